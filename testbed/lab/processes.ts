import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { commandLine, processAlive, terminate } from '../../common/process.js';
import { assertLabName } from '../netns.js';
import type { ProcessRecord } from './state.js';

/**
 * Long-running lab processes (link daemon, origin, proxy): started detached inside a namespace
 * with their output in a log file, so that they outlive the `mplab lab up` that started them;
 * stopped by pid, after checking that the pid is still the process we started.
 */
export function startInNetns(netns: string, argv: readonly string[], log: string, marker: string, cwd?: string): ProcessRecord {
  assertLabName(netns);
  // `ip netns exec` execs the program, so the child's pid is the program's pid
  return { ...startDetached(['ip', 'netns', 'exec', netns, ...argv], log, marker, cwd), netns };
}

/** The same in the host's namespace (the virtual phones' adb daemons listen on the host's loopback). */
export function startDetached(argv: readonly string[], log: string, marker: string, cwd?: string): ProcessRecord {
  const out = openSync(log, 'a');
  try {
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', out, out], cwd });
    if (child.pid === undefined) throw new Error(`cannot start ${argv.join(' ')}`);
    child.unref();
    return { pid: child.pid, netns: null, marker, log };
  } finally {
    closeSync(out);
  }
}

/** The process still runs and is the one recorded (not another that reused its pid). */
export function isRunning(record: ProcessRecord): boolean {
  return processAlive(record.pid) && (commandLine(record.pid)?.join(' ').includes(record.marker) ?? false);
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(record: ProcessRecord, graceMs = 2000): Promise<void> {
  await terminate(record.pid, 'SIGTERM', graceMs, () => isRunning(record));
}

export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Waits until `ready()` holds; fails early, with the log's tail, if the process ends. */
export async function waitReady(record: ProcessRecord, what: string, ready: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready()) return;
    // alive whatever it runs: right after fork it may not have exec'd the program yet
    if (!processAlive(record.pid)) throw new Error(`${what} ended before it was ready; its log (${record.log}):\n${logTail(record.log)}`);
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs} ms; its log (${record.log}):\n${logTail(record.log)}`);
    await sleep(50);
  }
}
