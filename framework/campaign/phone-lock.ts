import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processAlive } from '../../common/process.js';
import { runRoot } from '../../testbed/lab/state.js';

/**
 * One campaign at a time per phone: a lock file per adb serial, created exclusively, holding the
 * owner's pid and process start time. A lock whose process is gone (killed, crashed, the machine
 * restarted) or whose pid now names another process is stale and taken over: a dead campaign
 * never keeps its phones.
 */
export interface LockOwner {
  pid: number;
  /** /proc/PID/stat field 22: tells the owner from a later process with the same pid. */
  start: string | null;
  campaign: string;
  phone: string;
}

export function locksDir(): string {
  return path.join(runRoot(), '.phone-locks');
}

/** The start time of a process (clock ticks since boot), null when it is gone. */
export function processStart(pid: number): string | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

export function ownerAlive(owner: Pick<LockOwner, 'pid' | 'start'>): boolean {
  return processAlive(owner.pid) && (owner.start === null || processStart(owner.pid) === owner.start);
}

function lockFile(dir: string, serial: string): string {
  return path.join(dir, `${serial.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
}

function readOwner(file: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

export class PhoneLockError extends Error {
  constructor(readonly held: { serial: string; owner: LockOwner }[]) {
    super(held.map((h) => `phone ${h.owner.phone} (${h.serial}) is in use by campaign ${h.owner.campaign} (pid ${h.owner.pid})`).join('; '));
    this.name = 'PhoneLockError';
  }
}

export class PhoneLocks {
  private readonly files: string[] = [];

  private constructor(private readonly dir: string) {}

  /** Takes every phone's lock or none: throws PhoneLockError naming the phones another live campaign holds. */
  static acquire(phones: { serial: string; label: string }[], campaign: string, dir = locksDir()): PhoneLocks {
    mkdirSync(dir, { recursive: true });
    const locks = new PhoneLocks(dir);
    const me: Omit<LockOwner, 'phone'> = { pid: process.pid, start: processStart(process.pid), campaign };
    const held: { serial: string; owner: LockOwner }[] = [];
    for (const p of phones) {
      const file = lockFile(dir, p.serial);
      for (let tries = 0; tries < 3; tries++) {
        try {
          writeFileSync(file, JSON.stringify({ ...me, phone: p.label }), { flag: 'wx' });
          locks.files.push(file);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          const owner = readOwner(file);
          if (owner && ownerAlive(owner) && owner.pid !== process.pid) {
            held.push({ serial: p.serial, owner });
            break;
          }
          // stale (its process is gone) or unreadable: take it over
          rmSync(file, { force: true });
        }
      }
    }
    if (held.length > 0) {
      locks.release();
      throw new PhoneLockError(held);
    }
    return locks;
  }

  release(): void {
    for (const file of this.files.splice(0)) {
      const owner = readOwner(file);
      if (owner?.pid === process.pid) rmSync(file, { force: true });
    }
  }
}
