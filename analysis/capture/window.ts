import { CaptureError } from './errors.js';

/**
 * Where the reader's bytes come from: a regular file (read synchronously, or between turns of the
 * event loop) or a stream (a pipe, a FIFO, standard input), which only the asynchronous driver reads.
 */
export interface Source {
  /** the input's name in messages: its path, or "stdin" */
  readonly name: string;
  /** reads up to `length` bytes into buf at `offset`; 0 at the end of the input */
  readSync(buf: Buffer, offset: number, length: number): number;
  read(buf: Buffer, offset: number, length: number): Promise<number>;
}

/**
 * The parsers are generators that yield their Window whenever they need more of the input in it;
 * a driver reads into it and resumes them. runSync() reads regular files synchronously (readCapture,
 * analyzeFiles); runAsync() awaits each read, so that a pipe can be read as data arrives and the
 * event loop keeps turning (a signal can end the run cleanly). One parser, two ways of feeding it.
 */
export type Steps<T> = Generator<Window, T, void>;

export function runSync<T>(steps: Steps<T>): T {
  try {
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      r.value.readSync();
    }
  } finally {
    // a read that failed leaves the steps suspended: their `finally` blocks run now
    steps.return(undefined as T);
  }
}

export async function runAsync<T>(steps: Steps<T>): Promise<T> {
  try {
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      await r.value.read();
    }
  } finally {
    steps.return(undefined as T);
  }
}

/** A window on the input: bytes [base, base + end) of the input are in buf[0, end). */
export class Window {
  buf: Buffer;
  /** a DataView on `buf`, for 32-bit reads in either byte order */
  view: DataView;
  base = 0;
  end = 0;
  eof = false;
  /** called before the bytes in `buf` move or `buf` is replaced (see FrameSink.flush) */
  beforeMove: (() => void) | null = null;

  constructor(
    readonly source: Source,
    chunk: number,
  ) {
    this.buf = Buffer.allocUnsafe(chunk);
    this.view = viewOf(this.buf);
  }

  /** the number of bytes of the input seen so far */
  get bytesRead(): number {
    return this.base + this.end;
  }

  /**
   * Makes sure `need` bytes from buffer position `p` are present, moving them to the start of
   * the buffer first. Returns the new position of `p` (0 after a move); check `end - p >= need`
   * (at the end of the input there may be fewer).
   */
  *fill(p: number, need: number): Steps<number> {
    if (this.end - p >= need || this.eof) return p;
    if (this.beforeMove !== null && (p > 0 || need > this.buf.length)) this.beforeMove();
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, p, this.end);
      this.buf = bigger;
      this.view = viewOf(bigger);
    } else if (p > 0) {
      this.buf.copy(this.buf, 0, p, this.end);
    }
    this.base += p;
    this.end -= p;
    while (this.end < need && !this.eof) yield this;
    return 0;
  }

  /** Reads into the free end of the buffer until it is full or the input ends. */
  readSync(): void {
    try {
      while (this.end < this.buf.length && !this.eof) this.took(this.source.readSync(this.buf, this.end, this.buf.length - this.end));
    } catch (err) {
      throw this.readError(err);
    }
  }

  /** Reads what the input has (at least one byte, or its end) into the free end of the buffer. */
  async read(): Promise<void> {
    try {
      this.took(await this.source.read(this.buf, this.end, this.buf.length - this.end));
    } catch (err) {
      throw this.readError(err);
    }
  }

  private took(n: number): void {
    if (n === 0) this.eof = true;
    else this.end += n;
  }

  private readError(err: unknown): unknown {
    if (err instanceof CaptureError) return err;
    return new CaptureError(this.source.name, this.bytesRead, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}
