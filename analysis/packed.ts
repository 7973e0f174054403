/**
 * Numbers written one after the other into bytes and read back in the same order: the compact form
 * of a closed connection (see frozen.ts). Every value of the tracker's state is a double, a boolean
 * or a list of doubles, and most are integers (counts, flags, -1 for "none", 32-bit sequence
 * numbers and addresses): an integer of up to 50 bits is a varint of its zigzag form times two (one
 * byte up to 31, five bytes for 32 bits). Any other double (times, -0, NaN, the infinities) is the
 * byte 1 and its 8 bytes, or, when it is one of the last REPEATS such doubles of the record (a
 * connection's times repeat: a SYN's time is its subflow's first time, ...), the byte 3 + 2 * k
 * (k = 0 for the last one). Each value comes back exactly.
 */
const FLOAT = 1;
const REPEATS = 4;
const SMALL_LIMIT = 2 ** 30;
const INT_LIMIT = 2 ** 50;

/** records are written straight into chunks of this size, and are views of them (one chunk is freed once all its records are) */
const CHUNK = 256 * 1024;

export class PackWriter {
  private buf = new Uint8Array(CHUNK);
  /** where the record being written starts in `buf`, and its end */
  private start = 0;
  private n = 0;
  private readonly f64 = new Float64Array(1);
  private readonly f64Bytes = new Uint8Array(this.f64.buffer);
  /** the last doubles written as 8 bytes, newest at `recent[(newest) % REPEATS]` */
  private readonly recent = new Float64Array(REPEATS);
  private written = 0;

  /** Starts a new record. */
  reset(): void {
    this.start = this.n;
    this.written = 0;
  }

  num(x: number): void {
    if (this.n + 10 > this.buf.length) this.grow();
    const buf = this.buf;
    if (x === (x | 0) && x < SMALL_LIMIT && x >= -SMALL_LIMIT && (x !== 0 || 1 / x > 0)) {
      // zigzag, times two (the low bit 0: an integer)
      let v = (x >= 0 ? x * 2 : -x * 2 - 1) * 2;
      while (v >= 128) {
        buf[this.n++] = (v & 127) | 128;
        v >>>= 7;
      }
      buf[this.n++] = v;
      return;
    }
    if (Number.isInteger(x) && x < INT_LIMIT && x > -INT_LIMIT && x !== 0) {
      // (32-bit sequence numbers, IPv4 addresses, tokens): the bits above 31 in floating point,
      // without `%`, which compiles to a call to fmod; the rest with bit operations
      let v = (x >= 0 ? x * 2 : -x * 2 - 1) * 2;
      while (v >= 2147483648) {
        const q = Math.floor(v / 128);
        buf[this.n++] = (v - q * 128) | 128;
        v = q;
      }
      while (v >= 128) {
        buf[this.n++] = (v & 127) | 128;
        v >>>= 7;
      }
      buf[this.n++] = v;
      return;
    }
    const recent = this.recent;
    for (let k = 0; k < REPEATS && k < this.written; k++) {
      // (-0 never matches 0 here: an integer 0 is written as one)
      if (recent[(this.written - 1 - k) % REPEATS] === x) {
        buf[this.n++] = 3 + 2 * k;
        return;
      }
    }
    recent[this.written++ % REPEATS] = x;
    buf[this.n++] = FLOAT;
    this.f64[0] = x;
    const b = this.f64Bytes;
    for (let i = 0; i < 8; i++) buf[this.n++] = b[i];
  }

  /** As num(x ? 1 : 0): the integers 1 and 0 are the bytes 4 and 0. */
  bool(x: boolean): void {
    if (this.n + 1 > this.buf.length) this.grow();
    this.buf[this.n++] = x ? 4 : 0;
  }

  /** `count` values of `list` from index `from` (count first; null is written as -1). */
  list(list: readonly number[] | null, from = 0, count = list === null ? 0 : list.length - from): void {
    if (list === null) {
      this.num(-1);
      return;
    }
    this.num(count);
    for (let i = 0; i < count; i++) this.num(list[from + i]);
  }

  /** The record written since reset(): a view of the chunk it was written into. */
  take(): Uint8Array {
    return this.buf.subarray(this.start, this.n);
  }

  /** A new chunk, the record written so far copied to its start. */
  private grow(): void {
    const length = this.n - this.start;
    const grown = new Uint8Array(Math.max(CHUNK, 2 * length + 64));
    grown.set(this.buf.subarray(this.start, this.n));
    this.buf = grown;
    this.start = 0;
    this.n = length;
  }
}

export class PackReader {
  private buf: Uint8Array = new Uint8Array(0);
  private readonly f64 = new Float64Array(1);
  private readonly f64Bytes = new Uint8Array(this.f64.buffer);
  private readonly recent = new Float64Array(REPEATS);
  private read = 0;
  /** the byte offset of the next value */
  at = 0;

  start(buf: Uint8Array): void {
    this.buf = buf;
    this.at = 0;
    this.read = 0;
  }

  num(): number {
    const buf = this.buf;
    let b = buf[this.at++];
    const first = b;
    if (b & 1) {
      if (b !== FLOAT) return this.recent[(this.read - 1 - (b - 3) / 2) % REPEATS];
      const b8 = this.f64Bytes;
      for (let i = 0; i < 8; i++) b8[i] = buf[this.at++];
      const x = this.f64[0];
      this.recent[this.read++ % REPEATS] = x;
      return x;
    }
    let v = b & 127;
    let shift = 7;
    while (b >= 128 && shift < 28) {
      b = buf[this.at++];
      v |= (b & 127) << shift;
      shift += 7;
    }
    if (b >= 128) {
      // more than 28 bits: on in floating point (exact below 2 ** 53)
      v >>>= 0;
      let scale = 2 ** 28;
      do {
        b = buf[this.at++];
        v += (b & 127) * scale;
        scale *= 128;
      } while (b >= 128);
      // the zigzag form's lowest bit (the sign) is the first byte's second bit
      const u = Math.floor(v / 2);
      return first & 2 ? -(u + 1) / 2 : u / 2;
    }
    v >>>= 1;
    return v & 1 ? -(v + 1) / 2 : v / 2;
  }

  bool(): boolean {
    return this.num() !== 0;
  }

  /** A list written by PackWriter.list(), as a plain array (null for null). */
  list(): number[] | null {
    const count = this.num();
    if (count < 0) return null;
    // pushed, not written into new Array(count): a holey array would make the code that reads
    // these lists handle a second kind of array, and run slower for every connection
    const out: number[] = [];
    for (let k = 0; k < count; k++) out.push(this.num());
    return out;
  }

  get done(): boolean {
    return this.at === this.buf.length;
  }
}
