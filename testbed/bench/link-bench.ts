/**
 * `npm run bench:link` (root): the link emulator against the alternatives, side by side on one
 * lab path (phone1's WiFi link, phone to origin), in one run:
 *   kernel  the links namespace forwards by itself (no emulation: the ceiling of this machine)
 *   addon   mplab's emulator: TUN devices through native/tun_link.c, scheduling in TypeScript
 *   socat   socat TUN<->UDP and a Node dgram socket that holds each packet (setTimeout)
 * For each: TCP throughput down and up (iperf3, 5 s), ping RTT with 0 and 10 ms one-way delay,
 * and the CPU time the emulator used. Prints a table and the ratios to the kernel path.
 */
import type { ResultPromise } from 'execa';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds } from '../../common/process.js';
import { inNetns, ip } from '../netns.js';
import { labDown, labLink, labUp } from '../lab/lab.js';
import { labPlan } from '../lab/plan.js';
import { readState } from '../lab/state.js';

const NAME = 'mplabbench';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const plan = labPlan(NAME, 1);
const phone = plan.phones[0];
const wifi = phone.wifi;
const links = plan.netns.links;

interface Row {
  path: string;
  downMbit: number;
  upMbit: number;
  rtt0: number;
  rtt10: number | null;
  cpuDown: number | null;
  cpuUp: number | null;
}

/** CPU seconds the emulator's processes have used (those gone count 0). */
function totalCpuSeconds(pids: number[]): number {
  return pids.reduce((total, pid) => total + (cpuSeconds(pid) ?? 0), 0);
}

async function iperf(reverse: boolean, pids: number[]): Promise<{ mbit: number; cpu: number }> {
  const server = inNetns(plan.netns.origin, 'iperf3', ['-s', '-1', '-B', plan.origin.ip], { reject: false });
  await sleep(300);
  const before = totalCpuSeconds(pids);
  const client = await inNetns(phone.netns, 'iperf3', ['-c', plan.origin.ip, '-t', String(SECONDS), '-J', ...(reverse ? ['-R'] : [])]);
  const cpu = (totalCpuSeconds(pids) - before) / SECONDS;
  await server;
  const report = JSON.parse(String(client.stdout)) as { end: { sum_received: { bits_per_second: number } } };
  return { mbit: report.end.sum_received.bits_per_second / 1e6, cpu };
}

async function pingRtt(): Promise<number> {
  const { stdout } = await inNetns(phone.netns, 'ping', ['-q', '-c', '50', '-i', '0.02', plan.proxy.ip]);
  const m = /= [\d.]+\/([\d.]+)\//.exec(String(stdout));
  if (!m) throw new Error(`cannot read ping's output: ${String(stdout)}`);
  return Number(m[1]);
}

async function measure(path: string, pids: () => number[], setDelay: ((ms: number) => Promise<void>) | null): Promise<Row> {
  if (setDelay) await setDelay(0);
  const rtt0 = await pingRtt();
  const down = await iperf(true, pids());
  const up = await iperf(false, pids());
  let rtt10: number | null = null;
  if (setDelay) {
    await setDelay(10);
    rtt10 = await pingRtt();
    await setDelay(0);
  }
  return { path, downMbit: down.mbit, upMbit: up.mbit, rtt0, rtt10, cpuDown: setDelay ? down.cpu : null, cpuUp: setDelay ? up.cpu : null };
}

async function kernelPath(): Promise<Row> {
  const rules = [
    ['iif', wifi.linksIface, 'lookup', String(wifi.linksTables.up), 'pref', '1000'],
    ['iif', plan.proxy.linksIface, 'to', wifi.subnet, 'lookup', String(wifi.linksTables.down), 'pref', '1000'],
  ];
  for (const rule of rules) await ip(links, ['rule', 'del', ...rule]);
  try {
    return await measure('kernel', () => [], null);
  } finally {
    for (const rule of rules) await ip(links, ['rule', 'add', ...rule]);
  }
}

async function addonPath(): Promise<Row> {
  const linkd = readState(NAME)?.processes.linkd?.pid;
  if (!linkd) throw new Error('no link daemon');
  const setDelay = async (ms: number): Promise<void> => {
    await labLink(NAME, phone.name, 'wifi', { up: { delayMs: ms }, down: { delayMs: ms } });
  };
  return measure('addon', () => [linkd], setDelay);
}

async function socatPath(): Promise<Row> {
  const pump = join(import.meta.dirname, 'udp-pump.mjs');
  const children: ResultPromise[] = [];
  const devices = { up: 's1w-up', down: 's1w-dn' };
  const ports = { up: [40001, 40002], down: [40003, 40004] };
  let delay = 0;
  const start = async (): Promise<void> => {
    for (const dir of ['up', 'down'] as const) {
      const [pumpPort, socatPort] = ports[dir];
      const p = inNetns(links, process.execPath, [pump, String(pumpPort), String(delay)], { reject: false });
      children.push(p);
      await new Promise<void>((resolve) => p.stdout!.once('data', () => resolve()));
      const tunAddress = dir === 'up' ? '198.18.254.1/32' : '198.18.254.2/32';
      const s = inNetns(links, 'socat', [`TUN:${tunAddress},tun-name=${devices[dir]},tun-type=tun,iff-no-pi,iff-up`, `UDP:127.0.0.1:${pumpPort},sourceport=${socatPort}`], { reject: false });
      children.push(s);
    }
    await sleep(300);
    await ip(links, ['route', 'replace', 'default', 'dev', devices.up, 'table', String(wifi.linksTables.up)]);
    await ip(links, ['route', 'replace', 'default', 'dev', devices.down, 'table', String(wifi.linksTables.down)]);
    for (const dev of Object.values(devices)) await inNetns(links, 'sysctl', ['-q', '-w', `net.ipv4.conf.${dev}.rp_filter=0`]);
  };
  const stop = async (): Promise<void> => {
    await ip(links, ['route', 'replace', 'default', 'dev', wifi.tun.up, 'table', String(wifi.linksTables.up)]);
    await ip(links, ['route', 'replace', 'default', 'dev', wifi.tun.down, 'table', String(wifi.linksTables.down)]);
    for (const child of children.splice(0)) {
      child.kill('SIGTERM');
      await child;
    }
  };
  const setDelay = async (ms: number): Promise<void> => {
    if (ms === delay && children.length > 0) return;
    delay = ms;
    await stop();
    await start();
  };
  try {
    return await measure('socat', () => children.map((c) => c.pid!).filter(Boolean), setDelay);
  } finally {
    await stop();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:link needs root (it builds a lab)');
  const profile = join(tmpdir(), `mplab-bench-${process.pid}.json`);
  writeFileSync(profile, JSON.stringify({ description: 'unshaped', wifi: {}, cellular: {} }));
  const load = readFileSync('/proc/loadavg', 'utf8').trim();
  // no adb: the phone's daemon takes any free port and stays away from the shared adb server
  await labUp({ name: NAME, profile, proxy: false, adbPortBase: 0, adbConnect: false });
  const rows: Row[] = [];
  try {
    rows.push(await kernelPath());
    rows.push(await addonPath());
    rows.push(await socatPath());
  } finally {
    await labDown(NAME);
    rmSync(profile, { force: true });
  }
  const loadAfter = readFileSync('/proc/loadavg', 'utf8').trim();
  const base = rows[0];
  const fmt = (n: number | null, digits = 1): string => (n === null ? '-' : n.toFixed(digits));
  console.log(`link emulator bench: phone1 wifi to origin, iperf3 ${SECONDS} s each way; load before: ${load}; after: ${loadAfter}`);
  console.log('path     down Mbit/s  up Mbit/s  RTT@0 ms  RTT@2x10 ms  emulator CPU (cores, down/up)  down vs kernel  up vs kernel');
  for (const r of rows) {
    console.log(
      `${r.path.padEnd(8)} ${fmt(r.downMbit).padStart(11)}  ${fmt(r.upMbit).padStart(9)}  ${fmt(r.rtt0, 3).padStart(8)}  ${fmt(r.rtt10, 3).padStart(11)}  ${`${fmt(r.cpuDown, 2)}/${fmt(r.cpuUp, 2)}`.padStart(29)}  ${(r.downMbit / base.downMbit).toFixed(2).padStart(14)}  ${(r.upMbit / base.upMbit).toFixed(2).padStart(12)}`,
    );
  }
  const [, addon, socat] = rows;
  console.log(`addon / socat: down ${(addon.downMbit / socat.downMbit).toFixed(2)}x, up ${(addon.upMbit / socat.upMbit).toFixed(2)}x`);
}

await main();
