/**
 * Unsigned reads without Buffer's argument validation (which costs more than the read itself on
 * the per-packet path). Callers make sure the bytes are there.
 */
export function u32be(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export function u32le(b: Uint8Array, o: number): number {
  return ((b[o + 3] << 24) | (b[o + 2] << 16) | (b[o + 1] << 8) | b[o]) >>> 0;
}

export function u16be(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u16le(b: Uint8Array, o: number): number {
  return (b[o + 1] << 8) | b[o];
}
