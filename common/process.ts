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
