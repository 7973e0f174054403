/**
 * `npm run bench:analysis`: mplab's analyzer against tshark's MPTCP analysis on the same captures,
 * in one run, for two workloads (both kept in bench/out/, git-ignored):
 * - bulk: about a million packets of MPTCP v1 between two namespaces over two paths (300 short
 *   SOCKS connections, then bulk downloads with 1% random loss), captured once as root;
 * - short: 20,000 short SOCKS5 connections of MPTCP v1 with two subflows each (about 20 KB down),
 *   captured once as root in the same namespaces (scripts/bench-analysis-lab-short.ts), the weak
 *   spot of an analyzer that keeps state per connection; then time-shifted copies of it with 80,000
 *   and 320,000 connections, to show that memory stays flat (tshark runs on these only with
 *   --tshark-copies: it keeps every packet in memory).
 *
 *   npm run bench:analysis [-- --file other.pcap] [--runs 5] [--one-pass] [--only bulk|short] [--tshark-copies]
 *
 * Every run starts with the capture in the page cache (see warmPageCache()). mplab runs as a user
 * runs it (`node bin/mplab.js analyze`, start-up included); its own summary line gives the reading
 * and analysis alone. Each mplab figure is the best of --runs runs (by CPU time, the median is
 * printed too): on a shared machine the best is the one least disturbed. Each run writes into an
 * empty directory. Then scripts/analysis-warm-runner.ts analyzes the file several times in one
 * process: the first run's CPU split between the main thread and the others (V8's optimizing
 * compiler, the garbage collector's helpers), and the analyzer's speed once V8 has compiled it.
 * The JavaScript engine (MPLAB_ANALYZER_ENGINE=js) runs once on each capture too, for its figures
 * and to check that the two engines wrote the same bytes.
 * tshark runs once in one pass (mptcp.reinjection_of) and, unless --one-pass, once in two passes
 * (-2, which mptcp.reinjected_in needs). Ratios are tshark's time over mplab's, in wall and in CPU
 * time (user + system, all threads: what the program needed of the machine).
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { execa } from 'execa';
import { readCapture } from '../analysis/capture/reader.js';
import { startCapture } from '../proxy/capture.js';
import { deleteNetnsWithPrefix } from '../testbed/netns.js';
import { PROXY, SERVER_PORT, addLoss, createMptcpLab, runClients, startTrafficServer } from '../test/support/mptcp-lab.js';
import { TSHARK_MPTCP_PREFS } from '../test/support/tshark-compare.js';
import { makeLabShortCapture, writeShiftedCopies } from './bench-analysis-lab-short.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out');
const BULK = join(OUT, 'mptcp-v1-bench.pcap');
const SHORT_CONNECTIONS = 20_000;
const shortFile = (connections: number) => join(OUT, `short-mptcp-v1-${connections}.pcap`);
/** the copies of the short capture: their connections never meet (120 s apart, more than --grace) */
const SHORT_COPIES = [4, 16];
const COPY_GAP_SECONDS = 120;
const TARGET_PACKETS = 1_000_000;

const { values } = parseArgs({
  options: { file: { type: 'string' }, runs: { type: 'string', default: '5' }, 'one-pass': { type: 'boolean' }, only: { type: 'string' }, 'tshark-copies': { type: 'boolean' } },
});
if (values.only !== undefined && values.only !== 'bulk' && values.only !== 'short') throw new Error('--only: expected bulk or short');

/**
 * Reads the whole file into the page cache right before a measured run: this kind of VM hands idle
 * file pages back to the host within seconds (DAMON reclaim), and a run that reads some of the
 * capture from disk measures the disk. Every run, mplab's and tshark's, starts from a cached file.
 */
function warmPageCache(file: string): void {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

function countPackets(file: string): number {
  return readCapture(file, { ts: 0, frame() {} }).records;
}

async function makeBulkCapture(file: string): Promise<void> {
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
    mkdirSync(OUT, { recursive: true });
    renameSync(join(work, 'bench.pcap'), file);
  } finally {
    await deleteNetnsWithPrefix(prefix);
    rmSync(work, { recursive: true, force: true });
  }
}

interface Measured {
  seconds: number;
  /** user + system CPU seconds of all the program's threads */
  cpuSeconds: number;
  maxRssKiB: number;
  stdout: string;
}

/** Runs a command under GNU time for its wall time, CPU time and peak resident memory. */
async function measure(cmd: string, args: string[], file: string, env: Record<string, string> = {}): Promise<Measured> {
  warmPageCache(file);
  const r = await execa('/usr/bin/time', ['-f', 'MPLAB_TIME %e %M %U %S', cmd, ...args], { reject: false, stdout: 'pipe', stderr: 'pipe', maxBuffer: 1 << 30, env });
  const m = /MPLAB_TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(String(r.stderr));
  if (r.exitCode !== 0 || !m) throw new Error(`${cmd} failed (${r.exitCode}): ${String(r.stderr).slice(-2000)}`);
  return { seconds: Number(m[1]), maxRssKiB: Number(m[2]), cpuSeconds: Number(m[3]) + Number(m[4]), stdout: String(r.stdout) };
}

const WARM_RUNS = 4;
let warmBundle: string | null = null;

interface WarmRun {
  run: number;
  wall: number;
  /** all threads */
  cpu: number;
  /** the main thread alone */
  main: number;
  packets: number;
}

/**
 * scripts/analysis-warm-runner.ts, bundled as `mplab analyze` runs, analyzes the file WARM_RUNS
 * times in one process: its first run pays for V8's compiling (its split between the main thread
 * and the others shows how much), the best of the later ones is the analyzer once compiled.
 */
async function warmRuns(file: string, out: string): Promise<{ first: WarmRun; best: WarmRun }> {
  if (warmBundle === null) {
    // in the checkout, as bin/precompiled.js keeps its bundle: the native engine looks for its addon upwards from the bundle
    mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, 'node_modules', '.cache', 'mplab-bench-warm-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const bundle = join(dir, 'analysis-warm.cjs');
    await build({
      entryPoints: [join(ROOT, 'scripts', 'analysis-warm-runner.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: bundle,
      logLevel: 'warning',
      external: ['pino', 'pino-pretty'],
      // as bin/precompiled.js bundles: import.meta.url is the bundle's URL (the native engine finds its addon from there)
      banner: { js: `const __mplab_import_meta_url = require("node:url").pathToFileURL(__filename).href;` },
      define: { 'import.meta.url': '__mplab_import_meta_url' },
    });
    warmBundle = bundle;
  }
  warmPageCache(file);
  const r = await execa(process.execPath, [warmBundle, file, String(WARM_RUNS), out]);
  rmSync(out, { recursive: true, force: true });
  const runs = r.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as WarmRun);
  return { first: runs[0], best: runs.slice(1).reduce((x, y) => (y.cpu < x.cpu ? y : x)) };
}

interface MplabRun {
  wall: number;
  cpu: number;
  /** reading and analysis alone, from the command's own summary line */
  analysis: number;
  analysisCpu: number;
  rss: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const rate = (packets: number, s: number) => `${(packets / s / 1e6).toFixed(2)}M packets/s`;
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

interface Figures {
  name: string;
  packets: number;
  mplab: MplabRun;
  js: Measured;
  tshark: Measured | null;
}

const OUTPUT_FILES = ['connections.jsonl', 'subflows.jsonl', 'summary.json'];

/** The files of two analyses that differ (none: the engines agree byte for byte). */
function differing(a: string, b: string): string[] {
  return OUTPUT_FILES.filter((f) => !readFileSync(join(a, f)).equals(readFileSync(join(b, f))));
}
const table: Figures[] = [];

async function benchmark(name: string, file: string, packets = countPackets(file), opts: { tshark?: boolean } = {}): Promise<void> {
  const size = statSync(file).size;
  console.log(`\n== ${name}: ${file}\n   ${packets.toLocaleString('en')} packets, ${(size / 1e6).toFixed(1)} MB; load average before ${load()}`);

  const runs = Math.max(1, Number(values.runs));
  const out = mkdtempSync(join(tmpdir(), 'mplab-bench-out-'));
  const all: MplabRun[] = [];
  for (let i = 0; i < runs; i++) {
    // each run writes into an empty directory, as a first analysis does (replacing the files of the
    // run before took 35 ms of the kernel's time on the short capture)
    rmSync(out, { recursive: true, force: true });
    const r = await measure(process.execPath, [join(ROOT, 'bin', 'mplab.js'), 'analyze', file, '--out', out, '--no-progress'], file);
    // the CLI's own line: "N packets in X s (Y s CPU): ..." for the reading and analysis alone
    const m = / in ([\d.]+) s \(([\d.]+) s CPU\)/.exec(r.stdout);
    all.push({ wall: r.seconds, cpu: r.cpuSeconds, analysis: Number(m?.[1]), analysisCpu: Number(m?.[2]), rss: r.maxRssKiB });
  }
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { connections: { total: number; mptcp: number }; subflows: number; reinjectedBytes: { down: number } };
  const jsOut = mkdtempSync(join(tmpdir(), 'mplab-bench-out-js-'));
  rmSync(jsOut, { recursive: true, force: true });
  const js = await measure(process.execPath, [join(ROOT, 'bin', 'mplab.js'), 'analyze', file, '--out', jsOut, '--no-progress'], file, { MPLAB_ANALYZER_ENGINE: 'js' });
  const differ = differing(out, jsOut);
  rmSync(jsOut, { recursive: true, force: true });
  if (differ.length > 0) throw new Error(`${file}: the native and the JavaScript engines wrote different ${differ.join(', ')}`);
  const warm = await warmRuns(file, out);
  rmSync(out, { recursive: true, force: true });
  const b = all.reduce((x, y) => (y.cpu < x.cpu ? y : x));

  // tshark's MPTCP analysis, output as fields: one pass gives mptcp.reinjection_of; mptcp.reinjected_in
  // (the other half of the reinjection marks) needs the two-pass analysis (-2)
  const fields = ['tcp.stream', 'mptcp.stream', 'tcp.len', 'mptcp.dsn', 'mptcp.reinjection_of', 'mptcp.analysis.subflows'];
  const tsharkArgs = ['-r', file, '-n', ...TSHARK_MPTCP_PREFS, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  const withTshark = opts.tshark ?? true;
  const tshark = withTshark ? await measure('tshark', tsharkArgs, file) : null;
  const tshark2 = values['one-pass'] || !withTshark ? null : await measure('tshark', ['-2', ...tsharkArgs, '-e', 'mptcp.reinjected_in'], file);
  table.push({ name, packets, mplab: b, js, tshark });

  console.log(`   ${summary.connections.total} connections (${summary.connections.mptcp} MPTCP), ${summary.subflows} subflows, ${summary.reinjectedBytes.down} bytes reinjected down`);
  console.log(`mplab analyze, best of ${runs} runs by CPU time (median in brackets):`);
  console.log(
    `   whole command:        ${b.wall.toFixed(2)} s wall (${median(all.map((r) => r.wall)).toFixed(2)}), ${b.cpu.toFixed(2)} s CPU (${median(all.map((r) => r.cpu)).toFixed(2)}): ${rate(packets, b.wall)} wall, ${rate(packets, b.cpu)} per CPU second; peak RSS ${mib(b.rss)}`,
  );
  console.log(`   reading and analysis: ${b.analysis.toFixed(2)} s wall, ${b.analysisCpu.toFixed(2)} s CPU: ${rate(packets, b.analysis)} wall, ${rate(packets, b.analysisCpu)} per CPU second`);
  const { first, best } = warm;
  // the main thread's figure comes from /proc in 10 ms ticks: a difference below a tick is none
  const others = first.cpu - first.main;
  const othersText = others < 0.01 ? 'under 0.01 s (/proc counts the main thread in 10 ms ticks)' : `${others.toFixed(2)} s (${((100 * others) / first.cpu).toFixed(0)}%: V8's optimizing compiler, the collector's helpers)`;
  console.log(`   threads, first analysis of a process: main ${first.main.toFixed(2)} s CPU, the others ${othersText}`);
  console.log(
    `   once compiled (runs 2 to ${WARM_RUNS} of that process, best): ${best.wall.toFixed(2)} s wall, ${best.cpu.toFixed(2)} s CPU (main thread ${best.main.toFixed(2)} s): ${rate(best.packets, best.cpu)} per CPU second`,
  );
  console.log(
    `mplab analyze, JavaScript engine (MPLAB_ANALYZER_ENGINE=js), one run: ${js.seconds.toFixed(2)} s wall, ${js.cpuSeconds.toFixed(2)} s CPU (${rate(packets, js.cpuSeconds)} per CPU second), peak RSS ${mib(js.maxRssKiB)}; the same bytes as the native engine's; native / JavaScript: ${(js.seconds / b.wall).toFixed(1)}x wall, ${(js.cpuSeconds / b.cpu).toFixed(1)}x CPU`,
  );
  for (const [label, t] of [
    ['one pass (reinjection_of)', tshark],
    ['two passes (-2, reinjection_of and reinjected_in)', tshark2],
  ] as const) {
    if (!t) continue;
    console.log(`tshark, ${label}: ${t.seconds.toFixed(2)} s wall, ${t.cpuSeconds.toFixed(2)} s CPU (${rate(packets, t.cpuSeconds)} per CPU second), peak RSS ${mib(t.maxRssKiB)}`);
    console.log(
      `   tshark / mplab: whole command ${(t.seconds / b.wall).toFixed(1)}x wall, ${(t.cpuSeconds / b.cpu).toFixed(1)}x CPU; reading and analysis ${(t.seconds / b.analysis).toFixed(1)}x wall, ${(t.cpuSeconds / b.analysisCpu).toFixed(1)}x CPU`,
    );
  }
  console.log(`   load average after: ${load()}`);
}

/** One line per workload: the whole mplab command (best run) against tshark's one-pass analysis. */
function printTable(): void {
  console.log('\n| workload | packets | mplab | tshark (one pass) | ratio (wall, CPU) | mplab packets per CPU second | mplab peak RSS | JavaScript engine (wall, CPU, RSS) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const f of table) {
    const t = f.tshark;
    const ratio = t ? `${(t.seconds / f.mplab.wall).toFixed(1)}x, ${(t.cpuSeconds / f.mplab.cpu).toFixed(1)}x` : '-';
    const tshark = t ? `${t.seconds.toFixed(2)} s (${t.cpuSeconds.toFixed(2)} s CPU)` : 'not run';
    console.log(
      `| ${f.name} | ${f.packets.toLocaleString('en')} | ${f.mplab.wall.toFixed(2)} s (${f.mplab.cpu.toFixed(2)} s CPU) | ${tshark} | ${ratio} | ${(f.packets / f.mplab.cpu / 1e6).toFixed(2)}M | ${mib(f.mplab.rss)} | ${f.js.seconds.toFixed(2)} s, ${f.js.cpuSeconds.toFixed(2)} s, ${mib(f.js.maxRssKiB)} |`,
    );
  }
  console.log(`load average: ${load()}`);
}

// every mplab run but the JavaScript engine's uses the native engine, as `mplab analyze` does by
// default: forced, so that a missing addon fails the benchmark instead of measuring the other engine
process.env.MPLAB_ANALYZER_ENGINE = 'native';
if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time (Debian package "time") is needed to measure peak memory');
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model})`);
if (values.file) {
  await benchmark('capture', values.file);
} else {
  if (values.only !== 'short') {
    if (!existsSync(BULK)) {
      console.log(`making ${BULK} (once; later runs reuse it)`);
      await makeBulkCapture(BULK);
    }
    const packets = countPackets(BULK);
    await benchmark(`bulk${packets < TARGET_PACKETS * 0.9 ? ' (fewer than the 1 million packets aimed at)' : ''}`, BULK, packets);
  }
  if (values.only !== 'bulk') {
    const short = shortFile(SHORT_CONNECTIONS);
    if (!existsSync(short)) {
      console.log(`\nmaking ${short} (once; later runs reuse it)`);
      mkdirSync(OUT, { recursive: true });
      await makeLabShortCapture(short, SHORT_CONNECTIONS);
    }
    await benchmark(`short, ${SHORT_CONNECTIONS.toLocaleString('en')} connections`, short);
    for (const copies of SHORT_COPIES) {
      const file = shortFile(SHORT_CONNECTIONS * copies);
      if (!existsSync(file)) writeShiftedCopies(short, file, copies, COPY_GAP_SECONDS);
      await benchmark(`short, ${(SHORT_CONNECTIONS * copies).toLocaleString('en')} connections (${copies} time-shifted copies)`, file, undefined, { tshark: values['tshark-copies'] ?? false });
    }
  }
}
printTable();
