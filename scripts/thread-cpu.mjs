// Preloaded (`node --import`) into one `mplab analyze` run by `npm run bench:analysis`: at exit,
// writes the CPU time of the main thread and of all the others (V8's optimizing compiler, the
// garbage collector's helpers, libuv's pool) as JSON to the file MPLAB_THREAD_CPU names. Linux only
// (/proc/self).
import { readFileSync, writeFileSync } from 'node:fs';

const out = process.env.MPLAB_THREAD_CPU;
const TICKS_PER_SECOND = 100;

/** utime + stime of a stat file: the 14th and 15th fields (after the command name, which may hold spaces) */
function cpuSeconds(file) {
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

process.on('exit', () => {
  if (!out) return;
  // the process's figure includes threads that have already ended; the main thread's is its own
  const main = cpuSeconds(`/proc/self/task/${process.pid}/stat`);
  const all = cpuSeconds('/proc/self/stat');
  writeFileSync(out, JSON.stringify({ main, others: Math.max(0, all - main) }));
});
