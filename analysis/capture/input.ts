import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { Socket } from 'node:net';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { isatty } from 'node:tty';
import { CaptureError } from './errors.js';
import type { Source } from './window.js';

/** The argument that names standard input. */
export const STDIN = '-';

/** An opened capture: a regular file, or a stream (pipe, FIFO, socket: standard input, `<(...)`). */
export interface CaptureInput {
  /** the argument as given: a path, or "-" */
  readonly arg: string;
  /** its name in messages: the path, or "stdin" */
  readonly name: string;
  /** a stream is read once, as data arrives, by the asynchronous driver only */
  readonly stream: boolean;
  /** bytes, when known in advance (regular files) */
  readonly size: number | null;
  /** A source from the start, for a first look: what it reads, source() gives again. */
  probe(): Source;
  /** A source from the start. */
  source(): Source;
  close(): void;
}

export interface OpenOptions {
  /** how long to wait for a process to open a FIFO for writing (default 60 s) */
  writerTimeoutMs?: number;
  /** called once when a FIFO has no writer yet */
  onWaiting?: (name: string) => void;
}

/** A stream's first look may keep this much before it must have found its first record. */
const PROBE_LIMIT = 64 * 1024 * 1024;
const WRITER_POLL_MS = 50;
/** the longest a file is read without letting the event loop turn */
const TURN_MS = 20;

/** Opens a regular file; a stream is refused (it needs openInput() and the asynchronous driver). */
export function openFile(arg: string): CaptureInput {
  const { fd, name, size } = open(arg);
  if (size !== null) return new FileInput(arg, name, fd, size);
  if (fd !== 0) closeSync(fd);
  throw new CaptureError(name, null, 'is a pipe or FIFO: only the asynchronous reader (analyzeInputs, the CLI) reads one');
}

/**
 * Opens any input. A FIFO is opened without waiting for a writer, then waited for until a process
 * opened it for writing (or wrote and left), for at most `writerTimeoutMs`: a FIFO nobody writes to
 * is an error, not a run that never ends.
 */
export async function openInput(arg: string, options: OpenOptions = {}): Promise<CaptureInput> {
  const { fd, name, size, fifo } = open(arg);
  if (size !== null) return new FileInput(arg, name, fd, size);
  try {
    const first = fifo && fd !== 0 ? await awaitWriter(fd, name, options) : null;
    return new StreamInput(arg, name, fd, first);
  } catch (err) {
    if (fd !== 0) closeSync(fd);
    throw err;
  }
}

/** Opens without blocking (a FIFO without a writer would block open(2)); `size` is null for a stream. */
function open(arg: string): { fd: number; name: string; size: number | null; fifo: boolean } {
  const name = arg === STDIN ? 'stdin' : arg;
  let fd = 0;
  if (arg !== STDIN) {
    try {
      fd = openSync(arg, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      throw new CaptureError(name, null, `cannot open: ${code(err)}`);
    }
  }
  const refuse = (reason: string): never => {
    if (fd !== 0) closeSync(fd);
    throw new CaptureError(name, null, reason);
  };
  let stat;
  try {
    stat = fstatSync(fd);
  } catch (err) {
    return refuse(`cannot open: ${code(err)}`);
  }
  if (stat.isFile()) return { fd, name, size: stat.size, fifo: false };
  if (stat.isFIFO() || stat.isSocket()) return { fd, name, size: null, fifo: stat.isFIFO() };
  if (stat.isDirectory()) return refuse('is a directory, not a capture file');
  if (isatty(fd)) return refuse('is a terminal, not a capture: pipe one in (tcpdump -w - ... | mplab analyze - ...)');
  return refuse('is a device, not a capture file');
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

/**
 * Waits until a process has the FIFO open for writing. Read without blocking, a FIFO gives the end
 * of the input (0) while it has no writer and EAGAIN while its writer has nothing to say yet.
 * Returns the first bytes when some were already there.
 */
async function awaitWriter(fd: number, name: string, options: OpenOptions): Promise<Buffer | null> {
  const timeoutMs = options.writerTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (let waited = false; ; waited = true) {
    try {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n > 0) return buf.subarray(0, n);
    } catch (err) {
      if (code(err) === 'EAGAIN') return null;
      throw new CaptureError(name, 0, `cannot read: ${code(err)}`);
    }
    if (Date.now() >= deadline) throw new CaptureError(name, 0, `nothing was written to the FIFO within ${timeoutMs / 1000} s (no process opened it for writing)`);
    if (!waited) options.onWaiting?.(name);
    await sleep(WRITER_POLL_MS);
  }
}

/** A regular file, read at positions: any number of times, synchronously or between turns of the event loop. */
class FileInput implements CaptureInput {
  readonly stream = false;

  constructor(
    readonly arg: string,
    readonly name: string,
    private readonly fd: number,
    readonly size: number,
  ) {}

  probe(): Source {
    return this.source();
  }

  source(): Source {
    const { fd, name } = this;
    let position = 0;
    const readAt = (buf: Buffer, offset: number, length: number): number => {
      const n = readSync(fd, buf, offset, length, position);
      position += n;
      return n;
    };
    let turned = performance.now();
    return {
      name,
      readSync: readAt,
      // the event loop turns every TURN_MS at least, so that a signal can stop the run (a turn per
      // chunk costs a few percent of the reading)
      read: async (buf, offset, length) => {
        if (performance.now() - turned >= TURN_MS) {
          await nextTurn();
          turned = performance.now();
        }
        return readAt(buf, offset, length);
      },
    };
  }

  close(): void {
    if (this.fd !== 0) closeSync(this.fd);
  }
}

/**
 * A pipe, FIFO or socket, read as data arrives. It can be read from the start twice: a probe, whose
 * bytes are kept (up to PROBE_LIMIT), then the reading proper, which gets them again first.
 */
class StreamInput implements CaptureInput {
  readonly stream = true;
  readonly size = null;
  private readonly socket: Socket;
  private readonly chunks: AsyncIterator<Buffer>;
  /** bytes to give before the live stream: what the probe read, the rest of a chunk */
  private queue: Buffer[] = [];
  private recording: Buffer[] | null = null;
  private recorded = 0;
  private readFully = false;

  constructor(
    readonly arg: string,
    readonly name: string,
    fd: number,
    first: Buffer | null,
  ) {
    this.socket = new Socket({ fd, readable: true, writable: false });
    this.chunks = this.socket[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    if (first) this.queue.push(first);
  }

  probe(): Source {
    if (this.readFully || this.recording) throw new Error(`${this.name}: a stream is probed once, before it is read`);
    this.recording = [];
    return this.reader();
  }

  source(): Source {
    if (this.readFully) throw new Error(`${this.name}: a stream is read once`);
    this.readFully = true;
    if (this.recording) {
      this.queue = [...this.recording, ...this.queue];
      this.recording = null;
    }
    return this.reader();
  }

  close(): void {
    this.socket.destroy();
  }

  private reader(): Source {
    return {
      name: this.name,
      readSync: () => {
        throw new Error(`${this.name}: a stream is read by the asynchronous driver`);
      },
      read: (buf, offset, length) => this.read(buf, offset, length),
    };
  }

  private async read(buf: Buffer, offset: number, length: number): Promise<number> {
    let chunk = this.queue.shift();
    if (chunk === undefined) {
      const r = await this.chunks.next();
      if (r.done) return 0;
      chunk = r.value;
    }
    const n = Math.min(length, chunk.length);
    chunk.copy(buf, offset, 0, n);
    if (n < chunk.length) this.queue.unshift(chunk.subarray(n));
    if (this.recording) {
      this.recording.push(chunk.subarray(0, n));
      this.recorded += n;
      if (this.recorded > PROBE_LIMIT) {
        throw new CaptureError(this.name, this.recorded, `no record in the first ${PROBE_LIMIT / 1024 / 1024} MB: cannot order it among the other inputs (analyze it alone)`);
      }
    }
    return n;
  }
}
