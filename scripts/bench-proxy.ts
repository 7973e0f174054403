/**
 * npm run bench:proxy -- [--rounds N] [--megabytes N] [--pings N] [--capture]
 *
 * Throughput and added round-trip time of mplab's SOCKS5 proxy against microsocks, side by side on
 * one path in one run: client namespace -> proxy namespace -> origin namespace over veths (offloads
 * off, as in the lab). The client is the testkit agent (its own SOCKS5 client code); the origin is
 * the testkit origin. "direct" is the same path with the proxy namespace routing instead of relaying.
 * Rounds interleave the three ways so that a burst of load elsewhere hits them alike; medians are
 * printed. Uploads end with the origin's answer, not the client's FIN, because microsocks does not
 * relay half-closed connections. Needs root (namespaces) and microsocks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { cpuSeconds } from '../common/process.js';
import { startCaptureSet } from '../proxy/capture.js';
import { Agent, type NetnsProgram, startOrigin, startProxy } from '../proxy/testkit/remote.js';
import { deleteNetns, inNetns } from '../testbed/netns.js';
import { BENCH_ADDRESSES, benchPath, buildBenchPath, deleteOnInterrupt, median, percentile, removeDeadBenchNamespaces } from './bench-path.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    megabytes: { type: 'string', default: '400' },
    pings: { type: 'string', default: '2000' },
    /** tcpdump on the proxy namespace's interfaces during the whole run: its drop counters at these rates */
    capture: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const BYTES = Number(values.megabytes) * 1e6;
const PINGS = Number(values.pings);

const BENCH_PREFIX = 'mplabpbench';
const PATH = benchPath(BENCH_PREFIX);
const { client: CLIENT, proxy: PROXY_NS, origin: ORIGIN_NS } = PATH;
const ORIGIN = { host: BENCH_ADDRESSES.origin, port: 8080 };
const MPLAB = { host: BENCH_ADDRESSES.proxySide, port: 1080 };
const MICROSOCKS = { host: BENCH_ADDRESSES.proxySide, port: 1081 };

/** "mplab-mptcp": the same proxy with an MPTCP client (mptcpize), for information; the goals compare TCP clients */
type Way = 'direct' | 'mplab' | 'microsocks' | 'mplab-mptcp';
const WAYS: Way[] = ['direct', 'mplab', 'microsocks', 'mplab-mptcp'];

interface Sample {
  downMbps: number[];
  upMbps: number[];
  /** every round trip of every round, microseconds */
  rttUs: number[];
  cpuSecondsPerGB: number[];
}

/** CPU seconds of a proxy so far; NaN when it has no process (direct) or is gone. */
function proxyCpuSeconds(pid: number | undefined): number {
  return pid === undefined ? NaN : (cpuSeconds(pid) ?? NaN);
}

async function open(agent: Agent, way: Way, id: string): Promise<void> {
  if (way === 'direct') await agent.call({ op: 'open', id, host: ORIGIN.host, port: ORIGIN.port });
  else {
    const answer = await agent.call<{ failed?: string }>({ op: 'socks', id, proxy: way === 'microsocks' ? MICROSOCKS : MPLAB, target: ORIGIN });
    if (answer.failed) throw new Error(`${way}: ${answer.failed}`);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:proxy needs root (it creates network namespaces)');
  await removeDeadBenchNamespaces(BENCH_PREFIX);
  const programs: NetnsProgram[] = [];
  let agent: Agent | undefined;
  let mptcpAgent: Agent | undefined;
  let microsocks: ReturnType<typeof execa> | undefined;
  let captureDir: string | undefined;
  const load = { before: loadavg(), after: [0, 0, 0] };
  deleteOnInterrupt(PATH);
  try {
    await buildBenchPath(PATH);
    programs.push(await startOrigin(ORIGIN_NS, [`${ORIGIN.host}:${ORIGIN.port}`]));
    const mplab = await startProxy(PROXY_NS, ['--listen', `${MPLAB.host}:${MPLAB.port}`, '--allow', '198.18.1.0/24'], { env: { MPLAB_LOG_LEVEL: 'warn' } });
    programs.push(mplab);
    const mplabPid = (JSON.parse(mplab.stdout.find((l) => l.includes('"listening"'))!) as { pid: number }).pid;
    microsocks = inNetns(PROXY_NS, 'microsocks', ['-i', MICROSOCKS.host, '-p', String(MICROSOCKS.port)], { reject: false, stdout: 'ignore', stderr: 'ignore' });
    agent = await Agent.start(CLIENT);
    mptcpAgent = await Agent.start(CLIENT, { mptcpize: true });
    for (let tries = 0; ; tries++) {
      try {
        await open(agent, 'microsocks', 'probe');
        await agent.call({ op: 'close', id: 'probe' });
        break;
      } catch (err) {
        if (tries > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const pids: Record<Way, number | undefined> = { direct: undefined, mplab: mplabPid, microsocks: microsocks.pid, 'mplab-mptcp': mplabPid };

    if (values.capture) captureDir = await mkdtemp(join(tmpdir(), 'mplab-bench-proxy-'));
    const capture = captureDir ? await startCaptureSet({ dir: captureDir, name: 'proxy', netns: PROXY_NS, ifaces: ['all'] }) : undefined;
    const samples = Object.fromEntries(WAYS.map((w) => [w, { downMbps: [], upMbps: [], rttUs: [], cpuSecondsPerGB: [] }])) as unknown as Record<Way, Sample>;
    let n = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      // rotate the order each round so no way always goes first
      const order = WAYS.map((_, i) => WAYS[(i + round) % WAYS.length]);
      for (const way of order) {
        const s = samples[way];
        const client = way === 'mplab-mptcp' ? mptcpAgent : agent;
        const cpu0 = proxyCpuSeconds(pids[way]);
        let id = `d${++n}`;
        await open(client, way, id);
        const down = await client.call<{ bytes: number; seconds: number }>({ op: 'download', id, bytes: BYTES, digest: false });
        if (down.bytes !== BYTES) throw new Error(`${way}: downloaded ${down.bytes} of ${BYTES} bytes`);
        await client.call({ op: 'close', id });
        s.downMbps.push((down.bytes * 8) / down.seconds / 1e6);

        id = `u${++n}`;
        await open(client, way, id);
        const up = await client.call<{ answer: string; seconds: number }>({ op: 'upload', id, bytes: BYTES, halfClose: false });
        if (up.answer !== String(BYTES)) throw new Error(`${way}: the origin answered ${JSON.stringify(up.answer)} to the upload`);
        await client.call({ op: 'close', id });
        s.upMbps.push((BYTES * 8) / up.seconds / 1e6);
        s.cpuSecondsPerGB.push((proxyCpuSeconds(pids[way]) - cpu0) / ((2 * BYTES) / 1e9));

        id = `e${++n}`;
        await open(client, way, id);
        await client.call({ op: 'send', id, hex: Buffer.from('ECHO\n').toString('hex') });
        await client.call({ op: 'pingpong', id, count: 100, size: 64 }); // warm-up
        const pp = await client.call<{ rttsMs: number[] }>({ op: 'pingpong', id, count: PINGS, size: 64 });
        await client.call({ op: 'close', id });
        s.rttUs.push(...pp.rttsMs.map((ms) => ms * 1000));
        process.stderr.write(
          `round ${round} ${way.padEnd(11)} down ${s.downMbps.at(-1)!.toFixed(0)} Mbit/s, up ${s.upMbps.at(-1)!.toFixed(0)} Mbit/s, RTT ${(median(pp.rttsMs) * 1000).toFixed(1)} us\n`,
        );
      }
    }
    load.after = loadavg();
    const captured = await capture?.stop();
    report(samples, load);
    for (const c of captured?.captures ?? []) {
      process.stdout.write(`capture on the proxy's ${c.iface} (snaplen ${captured!.snaplen}): ${c.captured} packets captured, ${c.droppedByKernel} dropped by the kernel\n`);
    }
  } finally {
    await agent?.stop().catch(() => {});
    await mptcpAgent?.stop().catch(() => {});
    microsocks?.kill('SIGTERM');
    await microsocks?.catch(() => {});
    for (const p of programs.reverse()) await p.stop().catch(() => {});
    for (const ns of [CLIENT, PROXY_NS, ORIGIN_NS]) await deleteNetns(ns);
    if (captureDir) await rm(captureDir, { recursive: true, force: true });
  }
}

function report(samples: Record<Way, Sample>, load: { before: number[]; after: number[] }): void {
  const m = (way: Way, key: keyof Sample): number => median(samples[way][key]);
  const p10 = (way: Way): number => percentile(samples[way].rttUs, 10);
  const fmt = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');
  const lines = [
    `bench:proxy: ${ROUNDS} rounds, ${BYTES / 1e6} MB each way per transfer, ${ROUNDS} x ${PINGS} round trips of 64 bytes`,
    `throughput: median of the rounds; RTT: median and 10th percentile of all round trips (the percentile is steadier on a loaded machine)`,
    `load average before ${load.before.map((x) => x.toFixed(2)).join(' ')}, after ${load.after.map((x) => x.toFixed(2)).join(' ')} (2 cores)`,
    '',
    'way           download Mbit/s   upload Mbit/s   RTT us (p10)   added RTT us (p10)   proxy CPU s/GB',
  ];
  for (const way of WAYS) {
    const added = way === 'direct' ? '-' : `${fmt(m(way, 'rttUs') - m('direct', 'rttUs'), 1)} (${fmt(p10(way) - p10('direct'), 1)})`;
    lines.push(
      `${way.padEnd(12)} ${fmt(m(way, 'downMbps')).padStart(17)} ${fmt(m(way, 'upMbps')).padStart(15)} ${`${fmt(m(way, 'rttUs'), 1)} (${fmt(p10(way), 1)})`.padStart(14)} ${added.padStart(20)} ${fmt(m(way, 'cpuSecondsPerGB'), 2).padStart(16)}`,
    );
  }
  const ratioDown = m('mplab', 'downMbps') / m('microsocks', 'downMbps');
  const ratioUp = m('mplab', 'upMbps') / m('microsocks', 'upMbps');
  const addedMs = (m('mplab', 'rttUs') - m('direct', 'rttUs')) / 1000;
  lines.push(
    '',
    `throughput mplab/microsocks: download ${(100 * ratioDown).toFixed(0)}%, upload ${(100 * ratioUp).toFixed(0)}% (goal at least 80%: ${Math.min(ratioDown, ratioUp) >= 0.8 ? 'met' : 'NOT met'})`,
    `added RTT through mplab: ${addedMs.toFixed(3)} ms median, ${((p10('mplab') - p10('direct')) / 1000).toFixed(3)} ms 10th percentile (goal under 0.5 ms: ${addedMs < 0.5 ? 'met' : 'NOT met'})`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
