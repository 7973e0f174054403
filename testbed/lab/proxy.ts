import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MPLAB_CLI, REPO_ROOT } from '../../common/paths.js';
import { serverHostsLines } from '../apps/servers.js';
import { listening } from './network.js';
import type { LabPlan } from './plan.js';
import { startInNetns, waitReady } from './processes.js';
import type { ProcessRecord } from './state.js';

/**
 * The lab's SOCKS proxy, started in the proxy namespace as a real lab starts it on its proxy
 * host: `node bin/mplab.js proxy start --listen IP:PORT --allow CIDR --log FILE`, plus a hosts
 * file that names the origin (the lab has no DNS).
 */
/** Names the proxy resolves (only these: the lab has no DNS): the origin's. */
export const ORIGIN_NAMES = ['origin', 'origin.mplab.test'];

export function proxyArgv(plan: LabPlan, log: string, hosts: string): string[] {
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
    '--hosts',
    hosts,
    '--no-dns',
  ];
}

/** Starts the proxy; its connection log goes to `log` (default: the lab's state folder, removed by `lab down`). */
export async function startProxy(plan: LabPlan, dir: string, log = join(dir, 'proxy-connections.jsonl')): Promise<{ record: ProcessRecord; log: string }> {
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, [`${plan.origin.ip} ${ORIGIN_NAMES.join(' ')}`, ...serverHostsLines()].join('\n') + '\n');
  const record = startInNetns(plan.netns.proxy, proxyArgv(plan, log, hosts), join(dir, 'proxy.log'), MPLAB_CLI, REPO_ROOT);
  await waitReady(record, 'the proxy', () => listening(plan.netns.proxy, plan.proxy.socksPort));
  return { record, log };
}
