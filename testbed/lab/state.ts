import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LinkKind } from './plan.js';
import type { MptcpMode } from './profile.js';

/**
 * A lab's state folder, `/run/mplab/<lab>/` (MPLAB_RUN_DIR overrides /run/mplab), so that
 * `lab down`, `lab status` and `lab link` work from any process: the processes' ids, the
 * control socket, the logs, the proxy's connection log.
 */
export interface ProcessRecord {
  pid: number;
  /** null: the host's namespace */
  netns: string | null;
  /** a string that the process's command line contains, to tell it from a reused pid */
  marker: string;
  log: string;
}

/** A virtual phone's adb daemon: its process and the host:port adb connects to. */
export interface PhoneDaemonRecord extends ProcessRecord {
  serial: string;
  dir: string;
}

export interface LabState {
  name: string;
  createdAt: number;
  profile: string;
  phones: { name: string; mode: MptcpMode; defaultRoute: LinkKind; adb?: PhoneDaemonRecord }[];
  processes: Partial<Record<'linkd' | 'origin' | 'proxy', ProcessRecord>>;
  proxyLog: string | null;
  control: string;
}

export function runRoot(): string {
  return process.env.MPLAB_RUN_DIR ?? '/run/mplab';
}

export function stateDir(name: string): string {
  return join(runRoot(), name);
}

export function stateFile(name: string): string {
  return join(stateDir(name), 'state.json');
}

export function makeStateDir(name: string): string {
  const dir = stateDir(name);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

export function writeState(state: LabState): void {
  const file = stateFile(state.name);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  // rename is atomic: a reader never sees half a file
  renameSync(`${file}.tmp`, file);
}

export function readState(name: string): LabState | null {
  try {
    return JSON.parse(readFileSync(stateFile(name), 'utf8')) as LabState;
  } catch {
    return null;
  }
}

export function removeStateDir(name: string): void {
  rmSync(stateDir(name), { recursive: true, force: true });
}
