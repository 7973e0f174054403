import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { onLines } from '../../common/lines.js';
import { NODE, PHONE_LIB } from './paths.js';
import { ANDROID_PATH, type PhoneSandbox } from './sandbox.js';

/**
 * A running app's process as the daemon holds it: a real process in the phone (the app's uid,
 * its package as process name) that makes the app's network traffic, and a channel to it (one
 * JSON object per line on its stdin and stdout; testbed/apps/process/ is the other end). The
 * screen logic in the daemon starts jobs in it and hears their events.
 */

/** A job running in the app's process. */
export interface AppRequest {
  /** More input for the job (a chat message to send, pause, resume). */
  input(input: object): void;
  cancel(): void;
}

export interface AppChannel {
  /** Starts a job; `onEvent` hears its events until one of type "done" or "error" (or until cancelled, or the process ends). */
  request(job: object, onEvent: (event: { type: string } & Record<string, unknown>) => void): AppRequest;
}

export type AppLogLine = { priority: 'V' | 'D' | 'I' | 'W' | 'E'; tag: string; message: string };

/** Emits 'log' (AppLogLine) and 'exit' (code, signal) once the process is gone. */
export class AppProcess extends EventEmitter implements AppChannel {
  private nextId = 1;
  private readonly waiting = new Map<number, (event: { type: string } & Record<string, unknown>) => void>();
  private exited = false;

  constructor(
    readonly child: ChildProcess,
    readonly pkg: string,
  ) {
    super();
    if (child.stdout) onLines(child.stdout, (line) => this.receive(line));
    if (child.stderr) {
      onLines(child.stderr, (line) => {
        if (line.trim()) this.emit('log', { priority: 'W', tag: 'System.err', message: line } satisfies AppLogLine);
      });
    }
    child.stdin?.on('error', () => undefined);
    child.on('error', (error) => this.emit('log', { priority: 'E', tag: 'AppProcess', message: error.message } satisfies AppLogLine));
    child.on('exit', (code, signal) => {
      this.exited = true;
      this.waiting.clear();
      this.emit('exit', code, signal);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited && this.child.exitCode === null && this.child.signalCode === null;
  }

  private receive(line: string): void {
    let message: { id?: number; event?: { type: string } & Record<string, unknown>; log?: AppLogLine };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      this.emit('log', { priority: 'W', tag: 'AppProcess', message: line } satisfies AppLogLine);
      return;
    }
    if (message.log) {
      this.emit('log', message.log);
      return;
    }
    if (typeof message.id !== 'number' || !message.event) return;
    const listener = this.waiting.get(message.id);
    if (!listener) return;
    if (message.event.type === 'done' || message.event.type === 'error') this.waiting.delete(message.id);
    listener(message.event);
  }

  private send(message: object): void {
    if (this.alive) this.child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  request(job: object, onEvent: (event: { type: string } & Record<string, unknown>) => void): AppRequest {
    const id = this.nextId++;
    if (!this.alive) {
      queueMicrotask(() => onEvent({ type: 'error', message: `${this.pkg}: the app's process is gone` }));
      return { input: () => undefined, cancel: () => undefined };
    }
    this.waiting.set(id, onEvent);
    this.send({ id, job });
    return {
      input: (input) => this.send({ id, input }),
      cancel: () => {
        if (!this.waiting.delete(id)) return;
        this.send({ id, cancel: true });
      },
    };
  }

  /** Kills the process at once (force-stop, a crash, pm clear), as Android's activity manager does. */
  kill(): void {
    this.waiting.clear();
    if (!this.alive) return;
    try {
      this.child.kill('SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Starts `pkg`'s process as `uid`; the system calls it when an app is launched. */
export type AppLauncher = (pkg: string, uid: number) => AppProcess;

/** An app's supplementary groups: inet (its network permission), sdcard_rw and sdcard_r (storage), everybody. */
export const APP_GROUPS = [3003, 1015, 1028, 9997];

/** Apps' processes as the phone runs them: `node /system/lib/mplab/app.mjs PACKAGE` in the phone, as the app's uid. */
export function sandboxLauncher(sandbox: PhoneSandbox): AppLauncher {
  return (pkg, uid) => {
    const dataDir = `/data/data/${pkg}`;
    const env = { PATH: ANDROID_PATH, ANDROID_DATA: '/data', ANDROID_ROOT: '/system', EXTERNAL_STORAGE: '/sdcard', HOME: dataDir, TMPDIR: `${dataDir}/cache` };
    const child = sandbox.spawnNow([NODE, `${PHONE_LIB}/app.mjs`, pkg], { uid, groups: [uid, ...APP_GROUPS], env, stdio: ['pipe', 'pipe', 'pipe'] });
    return new AppProcess(child, pkg);
  };
}
