import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inNetns, ip } from '../../../testbed/netns.js';
import { nstat } from '../../support/nstat.js';

/** Helpers of the lab integration tests: probes, counters and transfers inside lab namespaces. */
const PROBE = fileURLToPath(new URL('./udp-probe.mjs', import.meta.url));

export interface ProbeResult {
  count: number;
  seqs: number[];
  delaysMs: number[];
  firstNs: string;
  lastNs: string;
  bytes: number;
}

/** Sends `count` UDP datagrams from one namespace to another at `kbit` kbit/s and reports what arrived. */
export async function udpProbe(opts: {
  from: string;
  to: string;
  dst: string;
  src?: string;
  port?: number;
  count: number;
  size: number;
  kbit: number;
}): Promise<ProbeResult> {
  const port = String(opts.port ?? 7000);
  const receiver = inNetns(opts.to, process.execPath, [PROBE, 'recv', opts.dst, port, '1000']);
  await new Promise<void>((resolve, reject) => {
    receiver.stdout!.once('data', () => resolve());
    receiver.catch(reject);
  });
  await inNetns(opts.from, process.execPath, [PROBE, 'send', opts.dst, port, String(opts.count), String(opts.size), String(opts.kbit), ...(opts.src ? [opts.src] : [])]);
  const { stdout } = await receiver;
  const lines = String(stdout).trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as ProbeResult;
}

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Mean ping RTT (ms) from `netns` to `dst` out of `source`: ping stamps with kernel timestamps. */
export async function pingRtt(netns: string, dst: string, source: string, count = 50): Promise<number> {
  const { stdout } = await inNetns(netns, 'ping', ['-q', '-c', String(count), '-i', '0.02', '-I', source, dst]);
  const m = /= [\d.]+\/([\d.]+)\//.exec(String(stdout));
  if (!m) throw new Error(`cannot read ping's output: ${String(stdout)}`);
  return Number(m[1]);
}

/** Receive rate in kbit/s (IP bytes) between the first and the last arrival. */
export function receiveRateKbit(r: ProbeResult): number {
  const seconds = Number(BigInt(r.lastNs) - BigInt(r.firstNs)) / 1e9;
  const perPacket = r.bytes / r.count;
  return ((r.count - 1) * perPacket * 8) / seconds / 1000;
}

export async function rxBytes(netns: string, iface: string): Promise<number> {
  const [info] = JSON.parse(await ip(netns, ['-s', '-j', 'link', 'show', 'dev', iface])) as [{ stats64: { rx: { bytes: number } } }];
  return info.stats64.rx.bytes;
}

/** UDP datagrams the kernel of `netns` received so far (delivered or dropped at a full socket), whatever the receiving process does. */
export async function udpReceived(netns: string): Promise<number> {
  const counters = await nstat(netns, ['UdpInDatagrams', 'UdpInErrors']);
  return (counters.get('UdpInDatagrams') ?? 0) + (counters.get('UdpInErrors') ?? 0);
}

/** The namespace's MPTCP counters (absolute values, nstat's history file untouched). */
export async function mptcpCounters(netns: string): Promise<Record<string, number>> {
  return Object.fromEntries(await nstat(netns, ['MPTcp*']));
}

export interface Download {
  bytes: number;
  /** seconds from the first byte to the last */
  transferSeconds: number;
  /** goodput from the first byte to the last, Mbit/s */
  mbit: number;
}

/** A curl download in `netns`: over MPTCP (mptcpize), from a source address, through a SOCKS5 proxy ("ip:port"). */
export async function download(netns: string, url: string, opts: { mptcp?: boolean; source?: string; socks?: string; timeoutMs?: number } = {}): Promise<Download> {
  const curl = [
    'curl',
    '-sS',
    '-o',
    '/dev/null',
    '-w',
    '%{size_download} %{time_starttransfer} %{time_total}',
    ...(opts.source ? ['--interface', opts.source] : []),
    ...(opts.socks ? ['--socks5-hostname', opts.socks] : []),
    url,
  ];
  const argv = opts.mptcp ? ['mptcpize', 'run', ...curl] : curl;
  const { stdout } = await inNetns(netns, argv[0], argv.slice(1), { timeout: opts.timeoutMs ?? 60_000 });
  const [bytes, start, total] = String(stdout).trim().split(' ').map(Number);
  const transferSeconds = total - start;
  return { bytes, transferSeconds, mbit: (bytes * 8) / transferSeconds / 1e6 };
}

export function writeProfile(profile: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'mplab-lab-test-'));
  const file = join(dir, 'profile.json');
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

/** A lab name for this test process: its namespaces fall under test/support's cleanup. */
export function testLabName(prefix: string): string {
  return prefix.replace(/-$/, '');
}
