import { processAlive } from '../common/process.js';
import { addNetns, deleteNetns, ip, listNetns, sysctl, vethPair } from '../testbed/netns.js';

/**
 * The path the proxy benchmarks measure on, and their statistics: a client namespace, a proxy
 * namespace and an origin namespace joined by veths (offloads off, as in the lab), the proxy
 * namespace also routing between the two ("direct"). Names carry the benchmark's pid, so that a
 * later run removes what a dead one left and leaves a running one alone.
 */
export interface BenchPath {
  client: string;
  proxy: string;
  origin: string;
  all: string[];
}

export const BENCH_ADDRESSES = { client: '198.18.1.2', proxySide: '198.18.1.1', originSide: '198.19.0.1', origin: '198.19.0.2' } as const;

export function benchPath(prefix: string): BenchPath {
  const base = `${prefix}${process.pid}-`;
  const names = { client: `${base}c`, proxy: `${base}p`, origin: `${base}o` };
  return { ...names, all: [names.client, names.proxy, names.origin] };
}

/** Namespaces of earlier runs of this benchmark that died: named like ours, with a pid that is gone. */
export async function removeDeadBenchNamespaces(prefix: string): Promise<void> {
  const own = new RegExp(`^${prefix}(\\d+)-[cpo]$`);
  for (const name of await listNetns(prefix)) {
    const match = own.exec(name);
    if (match && !processAlive(Number(match[1]))) await deleteNetns(name);
  }
}

export async function buildBenchPath(path: BenchPath): Promise<void> {
  const a = BENCH_ADDRESSES;
  for (const ns of path.all) await addNetns(ns);
  await vethPair({ netns: path.client, ifname: 'wlan0', cidr: `${a.client}/24` }, { netns: path.proxy, ifname: 'c1', cidr: `${a.proxySide}/24` });
  await vethPair({ netns: path.proxy, ifname: 'o1', cidr: `${a.originSide}/24` }, { netns: path.origin, ifname: 'eth0', cidr: `${a.origin}/24` });
  // for "direct": the proxy namespace routes between the two links
  await sysctl(path.proxy, 'net.ipv4.ip_forward', 1);
  await ip(path.client, ['route', 'add', '198.19.0.0/24', 'via', a.proxySide]);
  await ip(path.origin, ['route', 'add', '198.18.1.0/24', 'via', a.originSide]);
}

/** Interrupted (a terminal's Ctrl-C reaches npm too, which may signal again): deleting the namespaces also ends every program in them. */
export function deleteOnInterrupt(path: BenchPath): void {
  let cleaning = false;
  const interrupted = (): void => {
    if (cleaning) return;
    cleaning = true;
    void Promise.all(path.all.map((ns) => deleteNetns(ns))).finally(() => process.exit(130));
  };
  process.on('SIGINT', interrupted).on('SIGTERM', interrupted);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
