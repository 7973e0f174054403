/**
 * The analyzer once V8 has compiled it: bundled by `npm run bench:analysis` (esbuild, one CommonJS
 * file, as `mplab analyze` runs it) and run as `node bundle.cjs FILE RUNS OUT`, it analyzes FILE
 * RUNS times in this one process, into OUT (emptied before each run), with the V8 flags of
 * `mplab analyze`. The first run pays for compiling; the later ones show the analyzer's own speed,
 * what a process that analyzes one capture after another (the campaign runner) gets. One JSON line
 * per run: wall and CPU seconds (all threads, and the main thread alone) and packets read.
 */
import { readFileSync, rmSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { analyzeFiles } from '../analysis/analyze.js';
import { ANALYZE_V8_FLAGS } from '../analysis/defaults.js';
import { DirectoryOutput } from '../analysis/output.js';

const TICKS_PER_SECOND = 100;

/** The main thread's user + system CPU seconds (/proc: the 14th and 15th fields of its stat). */
function mainThreadCpu(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

const [file, runsArg, out] = process.argv.slice(2);
const runs = Number(runsArg);
if (!file || !out || !Number.isInteger(runs) || runs < 1) throw new Error('usage: node bundle.cjs FILE RUNS OUT');
for (const flag of ANALYZE_V8_FLAGS) setFlagsFromString(flag);

for (let run = 1; run <= runs; run++) {
  rmSync(out, { recursive: true, force: true });
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpu();
  const t0 = performance.now();
  const summary = analyzeFiles([file], new DirectoryOutput(out), { progress: false });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ run, wall, cpu: (cpu.user + cpu.system) / 1e6, main: mainThreadCpu() - main0, packets: summary.packets.read }));
}
