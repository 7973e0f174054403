import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

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

/** A process's arguments (/proc/PID/cmdline), to tell it from another that reused its pid; null once it is gone. */
export function commandLine(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return null;
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

/**
 * Sends `signal`, waits up to `graceMs` for the process to end, then SIGKILLs it. `ours()` says
 * whether the pid still names the process meant (pids are reused): nothing is sent to another.
 */
export async function terminate(pid: number, signal: NodeJS.Signals, graceMs: number, ours: () => boolean = () => true): Promise<void> {
  const running = (): boolean => processAlive(pid) && ours();
  if (!running()) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!running()) return;
    await sleep(25);
  }
  try {
    if (running()) process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}
