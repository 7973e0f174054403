/**
 * `npm run bench:analysis`: mplab's analyzer against tshark's MPTCP analysis on the same capture,
 * in one run. The capture (about a million packets of MPTCP v1 between two namespaces over two
 * paths, with some random loss) is made once as root and kept in bench/out/ (git-ignored).
 * Prints packets per second of both, the ratio, and the peak memory of both.
 *
 *   npm run bench:analysis [-- --file other.pcap] [--runs 3] [--one-pass]
 *
 * --one-pass skips tshark's two-pass analysis (-2), which mptcp.reinjected_in needs and which takes
 * about three times as long.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { readCapture } from '../analysis/capture/reader.js';
import { startCapture } from '../proxy/capture.js';
import { deleteNetnsWithPrefix } from '../testbed/netns.js';
import { PROXY, SERVER_PORT, addLoss, createMptcpLab, runClients, startTrafficServer } from '../test/support/mptcp-lab.js';
import { TSHARK_MPTCP_PREFS } from '../test/support/tshark-compare.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'bench', 'out', 'mptcp-v1-bench.pcap');
const TARGET_PACKETS = 1_000_000;

const { values } = parseArgs({ options: { file: { type: 'string' }, runs: { type: 'string', default: '3' }, 'one-pass': { type: 'boolean' } } });

function countPackets(file: string): number {
  return readCapture(file, { ts: 0, frame() {} }).records;
}

async function makeCapture(file: string): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error(`making ${file} needs root (network namespaces); run as root once, or pass --file`);
  const prefix = `mplabbench${process.pid}-`;
  const work = mkdtempSync(join(tmpdir(), 'mplab-bench-'));
  try {
    const lab = await createMptcpLab(prefix);
    const server = await startTrafficServer(lab);
    const capture = await startCapture({ netns: lab.proxy, iface: 'any', file: join(work, 'bench.pcap'), snaplen: 150, filter: 'tcp', bufferKiB: 65536 });
    try {
      const removeLoss = await addLoss(lab, 1);
      const at = `${PROXY}:${SERVER_PORT}`;
      // many short connections, then bulk downloads on both paths with 1% loss (retransmissions, reinjections)
      const short = Array.from({ length: 300 }, (_, i) => ({ target: { host: `host${i % 37}.example`, port: [443, 80, 53, 5228][i % 4] }, form: 'socks5' as const, download: 2000 + (i % 20) * 3000 }));
      await runClients(lab, { server: at, concurrency: 8, connections: short });
      await runClients(lab, { server: at, concurrency: 2, connections: Array.from({ length: 4 }, () => ({ target: { host: 'bulk.example', port: 443 }, form: 'socks5' as const, download: 300_000_000 })) });
      await removeLoss();
    } finally {
      const stats = await capture.stop();
      await server.stop();
      console.log(`capture: ${stats.captured} packets, ${stats.droppedByKernel} dropped by the kernel`);
    }
    mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
    renameSync(join(work, 'bench.pcap'), file);
  } finally {
    await deleteNetnsWithPrefix(prefix);
    rmSync(work, { recursive: true, force: true });
  }
}

interface Measured {
  seconds: number;
  /** user + system CPU seconds: what the program needed of one core, whatever else the machine ran */
  cpuSeconds: number;
  maxRssKiB: number;
  stdout: string;
}

/** Runs a command under GNU time for its wall time and peak resident memory. */
async function measure(cmd: string, args: string[]): Promise<Measured> {
  const r = await execa('/usr/bin/time', ['-f', 'MPLAB_TIME %e %M %U %S', cmd, ...args], { reject: false, stdout: 'pipe', stderr: 'pipe', maxBuffer: 1 << 30 });
  const m = /MPLAB_TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(String(r.stderr));
  if (r.exitCode !== 0 || !m) throw new Error(`${cmd} failed (${r.exitCode}): ${String(r.stderr).slice(-2000)}`);
  return { seconds: Number(m[1]), maxRssKiB: Number(m[2]), cpuSeconds: Number(m[3]) + Number(m[4]), stdout: String(r.stdout) };
}

const file = values.file ?? CACHE;
if (!values.file && !existsSync(CACHE)) {
  console.log(`making ${CACHE} (once; later runs reuse it)`);
  await makeCapture(CACHE);
}
if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time (Debian package "time") is needed to measure peak memory');
const packets = countPackets(file);
const size = statSync(file).size;
console.log(`capture: ${file}\n  ${packets} packets, ${(size / 1e6).toFixed(1)} MB${packets < TARGET_PACKETS * 0.9 ? ' (fewer than the 1 million aimed at)' : ''}`);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), load average before ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

const runs = Math.max(1, Number(values.runs));
const out = mkdtempSync(join(tmpdir(), 'mplab-bench-out-'));
let best: { wall: number; cpu: number; analysis: number; analysisCpu: number; rss: number } | null = null;
for (let i = 0; i < runs; i++) {
  const r = await measure(process.execPath, [join(ROOT, 'bin', 'mplab.js'), 'analyze', file, '--out', out, '--no-progress']);
  // the CLI's own line: "N packets in X s (Y s CPU): ..." for the reading and analysis alone
  const m = / in ([\d.]+) s \(([\d.]+) s CPU\)/.exec(r.stdout);
  const run = { wall: r.seconds, cpu: r.cpuSeconds, analysis: Number(m?.[1]), analysisCpu: Number(m?.[2]), rss: r.maxRssKiB };
  if (!best || run.cpu < best.cpu) best = run;
}
const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { connections: { total: number; mptcp: number }; subflows: number; reinjectedBytes: { down: number } };
rmSync(out, { recursive: true, force: true });

// tshark's MPTCP analysis, output as fields: one pass gives mptcp.reinjection_of; mptcp.reinjected_in
// (the other half of the reinjection marks) needs the two-pass analysis (-2)
const fields = ['tcp.stream', 'mptcp.stream', 'tcp.len', 'mptcp.dsn', 'mptcp.reinjection_of', 'mptcp.analysis.subflows'];
const tsharkArgs = ['-r', file, '-n', ...TSHARK_MPTCP_PREFS, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
const tshark = await measure('tshark', tsharkArgs);
const tsharkLines = tshark.stdout.split('\n').length - 1;
const tshark2 = values['one-pass'] ? null : await measure('tshark', ['-2', ...tsharkArgs, '-e', 'mptcp.reinjected_in']);

const b = best!;
const pps = (s: number) => `${Math.round(packets / s).toLocaleString('en')} packets/s`;
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
console.log(`mplab analyze (best of ${runs}): ${b.wall.toFixed(2)} s wall, ${b.cpu.toFixed(2)} s CPU, peak RSS ${mib(b.rss)}`);
console.log(`  whole command:        ${pps(b.wall)} wall, ${pps(b.cpu)} per CPU second (start-up included)`);
console.log(`  reading and analysis: ${pps(b.analysis)} wall (${b.analysis.toFixed(2)} s), ${pps(b.analysisCpu)} per CPU second (${b.analysisCpu.toFixed(2)} s)`);
console.log(`  ${summary.connections.total} connections (${summary.connections.mptcp} MPTCP), ${summary.subflows} subflows, ${summary.reinjectedBytes.down} bytes reinjected down`);
for (const [name, t] of [
  ['one pass (reinjection_of)', tshark],
  ['two passes (-2, reinjection_of and reinjected_in)', tshark2],
] as const) {
  if (!t) continue;
  console.log(`tshark MPTCP analysis, ${name}, ${tsharkLines} packets out: ${t.seconds.toFixed(2)} s wall, ${t.cpuSeconds.toFixed(2)} s CPU, peak RSS ${mib(t.maxRssKiB)}`);
  console.log(`  ${pps(t.seconds)} wall, ${pps(t.cpuSeconds)} per CPU second`);
  console.log(`  ratio (tshark time / mplab time): whole command ${(t.seconds / b.wall).toFixed(1)}x wall, ${(t.cpuSeconds / b.cpu).toFixed(1)}x CPU; analysis alone ${(t.seconds / b.analysis).toFixed(1)}x wall, ${(t.cpuSeconds / b.analysisCpu).toFixed(1)}x CPU`);
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
