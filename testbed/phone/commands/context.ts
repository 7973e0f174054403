import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { PhoneProcess } from '../sandbox.js';
import type { PhoneSystem } from '../system.js';

/** What an Android command implemented by the daemon gets: its caller, its streams, the phone. */
export interface CommandContext {
  /** argv[0] is the command's name. */
  argv: string[];
  /** 0 when the caller is root, 2000 for the shell user (known from the socket it came through). */
  uid: number;
  /** The caller's working directory on the phone. */
  cwd: string;
  system: PhoneSystem;
  /** The phone's `/` on the host. */
  hostRoot: string;
  /** Whether su exists (rooted build). */
  rooted: boolean;
  stdout(data: string | Buffer): void;
  stderr(data: string | Buffer): void;
  /** Writes a file on the phone as the caller (with the caller's permissions); resolves to an errno code on failure. */
  writeFile(phonePath: string, data: string | Buffer): Promise<string | undefined>;
  /** The caller's stdin (the wrapper starts forwarding it when this is first called). */
  stdin(): Readable;
  /** Runs a program on the phone (used by su). */
  spawn(argv: readonly string[], options: { uid: number; cwd: string }): Promise<ChildProcess>;
  /** The processes running in the phone (ps). */
  processes(): Promise<PhoneProcess[]>;
  /** Restarts the phone. */
  reboot(reason: string): void;
  /** Aborted when the caller went away before the command finished. */
  signal: AbortSignal;
}

export type Command = (context: CommandContext) => Promise<number> | number;

/** Prints a usage error the way Android's shell commands do and returns their exit status. */
export function usageError(context: CommandContext, message: string, status = 1): number {
  context.stderr(message.endsWith('\n') ? message : `${message}\n`);
  return status;
}

/** Drops `--user N` / `--user current` options (this phone has one user, 0). */
export function withoutUserOption(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--user') {
      i++;
      continue;
    }
    out.push(args[i]);
  }
  return out;
}
