import type { Readable, Writable } from 'node:stream';

/** Reads exact byte counts from a stream: `await read(8)` resolves with 8 bytes, or null at the end. */
export class ByteReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private ended = false;
  private error: Error | undefined;
  private waiting: (() => void) | undefined;

  constructor(private readonly input: Readable) {
    input.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      if (this.length > 1024 * 1024) input.pause();
      this.wake();
    });
    // a stream destroyed without an error emits close but no end
    for (const event of ['end', 'close']) {
      input.on(event, () => {
        this.ended = true;
        this.wake();
      });
    }
    input.on('error', (error) => {
      this.error = error;
      this.wake();
    });
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  /** Exactly n bytes; null when the stream ended first (a partial message is dropped). */
  async read(n: number): Promise<Buffer | null> {
    while (this.length < n) {
      if (this.error) throw this.error;
      if (this.ended) return null;
      this.input.resume();
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.length = rest.length;
    if (this.length <= 1024 * 1024) this.input.resume();
    return out;
  }
}

/** Writes and waits for the stream to drain when its buffer is full. */
export async function writeAll(output: Writable, data: Buffer): Promise<void> {
  if (output.write(data)) return;
  await new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      output.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      output.off('drain', onDrain);
      reject(error);
    };
    output.once('drain', onDrain);
    output.once('error', onError);
  });
}
