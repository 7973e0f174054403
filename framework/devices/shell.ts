import type { Duplex } from 'node:stream';
import type { AdbServer } from './adb-server.js';
import { parseLegacy, wrapLegacy } from './legacy-shell.js';
import { shCommand } from './quote.js';
import { encodeShellPacket, ShellPacket } from '../../common/shell-packets.js';
import { ShellV2Decoder } from './shell-v2.js';

/**
 * Shell commands on a phone, each with stdout, stderr (shell protocol v2 only: the legacy shell
 * merges it into stdout) and the exit status, and each with a timeout. Commands are argument
 * vectors, quoted word by word; a script (several commands, pipes) is built by the caller from
 * quoted pieces and passed as `{ script }`.
 */
export type ShellProtocol = 'v2' | 'legacy';

export interface ShellResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
  protocol: ShellProtocol;
  durationMs: number;
}

export interface ShellRunOptions {
  timeoutMs?: number;
  /** Bytes for the command's stdin (protocol v2 only). */
  stdin?: Buffer;
}

export type ShellCommand = ReadonlyArray<string | number> | { script: string };

export const DEFAULT_SHELL_TIMEOUT_MS = 30_000;
/** adbd accepts service names up to its maximum payload; old daemons allow 4096 bytes. */
export const MAX_COMMAND_BYTES = 4000;

export class ShellTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
    readonly partialStdout: Buffer,
  ) {
    super(`shell command timed out after ${(timeoutMs / 1000).toFixed(1)} s: ${abbreviate(command)}`);
    this.name = 'ShellTimeoutError';
  }
}

/** The connection ended before the exit status arrived: the phone went away or adbd died. */
export class ShellCutError extends Error {
  constructor(
    readonly command: string,
    readonly partialStdout: Buffer,
    cause?: unknown,
  ) {
    super(`shell connection closed before the command finished: ${abbreviate(command)}`, { cause });
    this.name = 'ShellCutError';
  }
}

export class ShellExitError extends Error {
  constructor(
    readonly command: string,
    readonly result: ShellResult,
  ) {
    const err = commandOutput(result);
    super(`${abbreviate(command)} exited with status ${result.exitCode}${err ? `: ${abbreviate(err, 300)}` : ''}`);
    this.name = 'ShellExitError';
  }
}

/** What a command said: its stderr, or its stdout when stderr is empty (the legacy shell has no stderr), trimmed. */
export function commandOutput(result: Pick<ShellResult, 'stdout' | 'stderr'>): string {
  return (result.stderr.length ? result.stderr : result.stdout).toString('utf8').trim();
}

export function commandText(command: ShellCommand): string {
  return 'script' in command ? command.script : shCommand(command);
}

function abbreviate(text: string, max = 160): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max)}...` : one;
}

export async function runShell(
  server: AdbServer,
  serial: string,
  protocol: ShellProtocol,
  command: ShellCommand,
  options: ShellRunOptions = {},
): Promise<ShellResult> {
  const text = commandText(command);
  const timeoutMs = options.timeoutMs ?? DEFAULT_SHELL_TIMEOUT_MS;
  if (options.stdin && protocol !== 'v2') throw new Error('stdin needs shell protocol v2');
  const started = Date.now();
  if (protocol === 'v2') {
    checkLength(text);
    const stream = await server.openService(serial, `shell,v2,raw:${text}`, timeoutMs);
    const r = await collectV2(stream, text, timeoutMs - (Date.now() - started), options.stdin);
    return { ...r, protocol, durationMs: Date.now() - started };
  }
  const wrapped = wrapLegacy(text);
  checkLength(wrapped.command);
  const stream = await server.openService(serial, `shell:${wrapped.command}`, timeoutMs);
  const collecting = collectRaw(stream, text, timeoutMs - (Date.now() - started));
  // the nonce goes to the wrapper's stdin, never into a command line (see legacy-shell.ts); the
  // stream is not ended: that would close the whole shell
  stream.write(wrapped.stdinLine);
  const raw = await collecting;
  const parsed = parseLegacy(raw, wrapped.nonce);
  if (!parsed) throw new ShellCutError(text, raw);
  return { stdout: parsed.stdout, stderr: Buffer.alloc(0), exitCode: parsed.exitCode, protocol, durationMs: Date.now() - started };
}

function checkLength(text: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_COMMAND_BYTES) throw new Error(`shell command of ${bytes} bytes is longer than adb allows (${MAX_COMMAND_BYTES}): ${abbreviate(text)}`);
}

interface Collector<T> {
  onData(chunk: Buffer, done: (value: T) => void): void;
  /** The stream ended: resolve (legacy: the marker decides later) or fail (v2: no exit status came). */
  onEnd(done: (value: T) => void, fail: (err: Error) => void): void;
  partial(): Buffer;
}

/** Reads a shell stream until the collector is done, with one timeout for the whole command. */
function collect<T>(stream: Duplex, text: string, timeoutMs: number, c: Collector<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.removeAllListeners('data');
      stream.destroy();
      fn();
    };
    const done = (value: T): void => settle(() => resolve(value));
    const fail = (err: Error): void => settle(() => reject(err));
    const timer = setTimeout(() => fail(new ShellTimeoutError(text, timeoutMs, c.partial())), Math.max(1, timeoutMs));
    stream.on('data', (chunk: Buffer) => c.onData(chunk, done));
    stream.on('error', (e) => fail(new ShellCutError(text, c.partial(), e)));
    stream.on('end', () => c.onEnd(done, fail));
    stream.on('close', () => c.onEnd(done, fail));
  });
}

function collectV2(stream: Duplex, text: string, timeoutMs: number, stdin?: Buffer): Promise<Omit<ShellResult, 'protocol' | 'durationMs'>> {
  // the decoder hands over packet data of its own (copied out of the stream): kept as it is
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let exitCode: number | undefined;
  const decoder = new ShellV2Decoder({
    stdout: (d) => out.push(d),
    stderr: (d) => err.push(d),
    exit: (code) => {
      exitCode = code;
    },
  });
  const result = collect<Omit<ShellResult, 'protocol' | 'durationMs'>>(stream, text, timeoutMs, {
    onData: (chunk, done) => {
      decoder.push(chunk);
      if (exitCode !== undefined) done({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode });
    },
    onEnd: (_done, fail) => fail(new ShellCutError(text, Buffer.concat(out))),
    partial: () => Buffer.concat(out),
  });
  // Without stdin the command must see end-of-file at once, or `cat`-like commands would wait forever.
  if (stdin && stdin.length) {
    for (let i = 0; i < stdin.length; i += 65536) stream.write(encodeShellPacket(ShellPacket.stdin, stdin.subarray(i, i + 65536)));
  }
  stream.write(encodeShellPacket(ShellPacket.closeStdin));
  return result;
}

function collectRaw(stream: Duplex, text: string, timeoutMs: number): Promise<Buffer> {
  const out: Buffer[] = [];
  return collect(stream, text, timeoutMs, {
    onData: (chunk) => out.push(Buffer.from(chunk)),
    // the legacy shell has no other end-of-command signal: the stream ends, then the marker tells whether it completed
    onEnd: (done) => done(Buffer.concat(out)),
    partial: () => Buffer.concat(out),
  });
}
