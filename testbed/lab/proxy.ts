import { execa } from 'execa';
import { join } from 'node:path';
import { listening } from './network.js';
import type { LabPlan } from './plan.js';
import { startInNetns, waitReady } from './processes.js';
import type { ProcessRecord } from './state.js';
import { REPO_ROOT } from './paths.js';

/**
 * The lab's SOCKS proxy, started in the proxy namespace as a real lab starts it on its proxy
 * host: `node bin/mplab.js proxy start --listen IP:PORT --allow CIDR --log FILE`. The proxy is
 * built elsewhere (proxy/); until `mplab proxy start` exists in this checkout the lab comes up
 * without it and says so.
 */
export const MPLAB_CLI = join(REPO_ROOT, 'bin', 'mplab.js');

export async function proxyAvailable(): Promise<boolean> {
  const help = await execa(process.execPath, [MPLAB_CLI, 'proxy', 'start', '--help'], { reject: false, cwd: REPO_ROOT, timeout: 30_000 });
  return help.exitCode === 0 && help.stdout.includes('--listen');
}

export function proxyArgv(plan: LabPlan, log: string): string[] {
  return [
    process.execPath,
    MPLAB_CLI,
    'proxy',
    'start',
    '--listen',
    `${plan.proxy.ip}:${plan.proxy.socksPort}`,
    '--allow',
    plan.phones.flatMap((p) => [p.wifi.subnet, p.cellular.subnet]).join(','),
    '--log',
    log,
  ];
}

export async function startProxy(plan: LabPlan, dir: string): Promise<{ record: ProcessRecord; log: string }> {
  const log = join(dir, 'proxy-connections.jsonl');
  const record = startInNetns(plan.netns.proxy, proxyArgv(plan, log), join(dir, 'proxy.log'), MPLAB_CLI, REPO_ROOT);
  await waitReady(record, 'the proxy', () => listening(plan.netns.proxy, plan.proxy.socksPort));
  return { record, log };
}
