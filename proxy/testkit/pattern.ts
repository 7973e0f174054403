import { createHash } from 'node:crypto';

/**
 * The bytes the test origin sends and the test client uploads: a fixed pseudo-random 64 KiB block,
 * repeated. Both ends can compute the digest of any length without storing the data.
 */
export const PATTERN: Buffer = (() => {
  const out = Buffer.alloc(64 * 1024);
  let x = 0x9e3779b9;
  for (let i = 0; i < out.length; i += 4) {
    // xorshift32: cheap, deterministic, and not compressible into something a bug could fake
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  return out;
})();

/** The pattern's bytes [offset, offset + length) as slices of PATTERN (no copies). */
export function* patternChunks(length: number, offset = 0): Generator<Buffer> {
  let at = offset;
  const end = offset + length;
  while (at < end) {
    const start = at % PATTERN.length;
    const take = Math.min(PATTERN.length - start, end - at);
    yield PATTERN.subarray(start, start + take);
    at += take;
  }
}

export function patternDigest(length: number): string {
  const hash = createHash('sha256');
  for (const chunk of patternChunks(length)) hash.update(chunk);
  return hash.digest('hex');
}
