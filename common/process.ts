import { readFileSync } from 'node:fs';

/**
 * The process exists and has not ended. A process that ended but was not reaped yet (zombie, Z,
 * or dead, X, in /proc/PID/stat) is gone for every purpose here: a detached child's reaper may be
 * slow, or absent in a container.
 */
export function processAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** User plus system CPU seconds a process has used (/proc/PID/stat fields 14 and 15, in 1/100 s); null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
