import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Device } from '../devices/device.js';

/**
 * Before a scenario: a connection opened on the phone, as the app's own uid where the phone is
 * rooted (a redirector that only takes apps' traffic, as iptables rules by uid do), as the shell
 * otherwise (a VPN-based client such as ShadowSocks carries the shell's connections too), arrives
 * at the proxy. The probe asks for the proxy's own address on a random high port where nothing
 * listens: the proxy's connect is refused at once and it logs the CONNECT, which is all the check
 * needs to see (by the target's port), and no packet leaves the proxy's host.
 */

export interface ProxyPathOptions {
  device: Device;
  /** The app whose uid opens the probe on a rooted phone. */
  appPackage: string;
  /** The proxy's connection log (JSON lines, written when a connection ends). */
  proxyLog: string;
  /** host:port of the proxy as the phone reaches it (devices.json `proxy.server`). */
  proxyServer: string;
  timeoutS?: number;
  log: Logger;
}

export class ProxyPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProxyPathError';
  }
}

/** The uid `cmd package list packages -U` gives for the package, or null. */
export function parsePackageUid(output: string, pkg: string): number | null {
  for (const line of output.split('\n')) {
    const m = /^package:(\S+)\s+uid:(\d+)/.exec(line.trim());
    if (m && m[1] === pkg) return Number(m[2]);
  }
  return null;
}

/** The host of "host:port" or "[v6]:port". */
export function hostOf(server: string): string {
  const v6 = /^\[([^\]]+)\]:\d+$/.exec(server);
  return v6 ? v6[1]! : server.replace(/:\d+$/, '');
}

/** Whether one line of the proxy's log is the probe's connection. */
export function isProbeRecord(line: string, host: string, port: number): boolean {
  try {
    const r = JSON.parse(line) as { target?: { host?: string; port?: number } | null };
    return r.target?.host === host && r.target.port === port;
  } catch {
    return false;
  }
}

async function logSize(file: string): Promise<number> {
  try {
    const handle = await open(file, 'r');
    try {
      return (await handle.stat()).size;
    } finally {
      await handle.close();
    }
  } catch {
    return 0;
  }
}

async function logSince(file: string, offset: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Resolves with a line for the step's detail; throws ProxyPathError when the probe never reaches the proxy. */
export async function checkProxyPath(opts: ProxyPathOptions): Promise<string> {
  const { device } = opts;
  const port = 40000 + Math.floor(Math.random() * 10000);
  const timeoutS = opts.timeoutS ?? 10;
  const offset = await logSize(opts.proxyLog);
  let as = 'shell';
  const host = hostOf(opts.proxyServer);
  let argv = ['nc', '-w', '3', host, String(port)];
  if (device.config.root) {
    const list = await device.shell(['cmd', 'package', 'list', 'packages', '-U', opts.appPackage]);
    const uid = parsePackageUid(list.stdout.toString('utf8'), opts.appPackage);
    if (uid !== null) {
      as = `${opts.appPackage} (uid ${uid})`;
      argv = ['su', String(uid), ...argv];
    }
  }
  const started = performance.now();
  const probe = await device.shell(argv, { timeoutMs: 15_000 });
  opts.log.debug({ as, port, exit: probe.exitCode, stderr: probe.stderr.toString('utf8').trim() }, 'proxy path probe');
  const deadline = started + timeoutS * 1000;
  for (;;) {
    const text = await logSince(opts.proxyLog, offset).catch(() => '');
    if (text.split('\n').some((line) => isProbeRecord(line, host, port))) {
      return `a connection from the phone as ${as} reached the proxy in ${((performance.now() - started) / 1000).toFixed(1)} s`;
    }
    if (performance.now() >= deadline) break;
    await sleep(200);
  }
  throw new ProxyPathError(
    `no test connection from the phone reached the proxy within ${timeoutS} s: a connection opened on the phone as ${as} to ${host}:${port} ` +
      `is not in the proxy's log ${opts.proxyLog} (is the phone's SOCKS client running and pointed at ${opts.proxyServer}?)`,
  );
}
