import type { Duplex } from 'node:stream';
import type { AdbServer } from './adb-server.js';
import { parseLegacy, wrapLegacy } from './legacy-shell.js';
import { shCommand } from './quote.js';
import { ShellPacket, ShellV2Decoder, encodeShellPacket } from './shell-v2.js';

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
    const err = (result.stderr.length ? result.stderr : result.stdout).toString('utf8').trim();
    super(`${abbreviate(command)} exited with status ${result.exitCode}${err ? `: ${abbreviate(err, 300)}` : ''}`);
    this.name = 'ShellExitError';
  }
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
  const raw = await collectRaw(stream, text, timeoutMs - (Date.now() - started));
  const parsed = parseLegacy(raw, wrapped.nonce);
  if (!parsed) throw new ShellCutError(text, raw);
  return { stdout: parsed.stdout, stderr: Buffer.alloc(0), exitCode: parsed.exitCode, protocol, durationMs: Date.now() - started };
}

function checkLength(text: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_COMMAND_BYTES) throw new Error(`shell command of ${bytes} bytes is longer than adb allows (${MAX_COMMAND_BYTES}): ${abbreviate(text)}`);
}

function collectV2(stream: Duplex, text: string, timeoutMs: number, stdin?: Buffer): Promise<Omit<ShellResult, 'protocol' | 'durationMs'>> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let exitCode: number | null = null;
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.removeAllListeners('data');
      stream.destroy();
      if (error) reject(error);
      else resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: exitCode ?? 255 });
    };
    const decoder = new ShellV2Decoder({
      stdout: (d) => out.push(Buffer.from(d)),
      stderr: (d) => err.push(Buffer.from(d)),
      exit: (code) => {
        exitCode = code;
        finish();
      },
    });
    const timer = setTimeout(() => finish(new ShellTimeoutError(text, timeoutMs, Buffer.concat(out))), Math.max(1, timeoutMs));
    stream.on('data', (chunk: Buffer) => decoder.push(chunk));
    stream.on('error', (e) => finish(new ShellCutError(text, Buffer.concat(out), e)));
    stream.on('close', () => finish(new ShellCutError(text, Buffer.concat(out))));
    stream.on('end', () => finish(new ShellCutError(text, Buffer.concat(out))));
    // Without stdin the command must see end-of-file at once, or `cat`-like commands would wait forever.
    if (stdin && stdin.length) {
      for (let i = 0; i < stdin.length; i += 65536) stream.write(encodeShellPacket(ShellPacket.stdin, stdin.subarray(i, i + 65536)));
    }
    stream.write(encodeShellPacket(ShellPacket.closeStdin));
  });
}

function collectRaw(stream: Duplex, text: string, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.removeAllListeners('data');
      stream.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(out));
    };
    const timer = setTimeout(() => finish(new ShellTimeoutError(text, timeoutMs, Buffer.concat(out))), Math.max(1, timeoutMs));
    stream.on('data', (chunk: Buffer) => out.push(Buffer.from(chunk)));
    stream.on('error', (e) => finish(new ShellCutError(text, Buffer.concat(out), e)));
    // the legacy shell has no other end-of-command signal: the stream ends, then the marker tells whether it completed
    stream.on('end', () => finish());
    stream.on('close', () => finish());
  });
}
