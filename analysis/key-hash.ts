/**
 * The token and initial data sequence number (IDSN) of an MPTCP key (RFC 8684 section 3.1: the
 * most significant 32 bits of the key's hash, and its least significant 64 bits). A connection has
 * two keys and each is hashed once, so a capture of short connections hashes as many keys as it
 * has connections: v1's SHA-256 of the 8 bytes is one compression, computed here without the
 * crypto module's per-call cost (node:crypto's hash() took 1.2 to 1.6 us a key, this 0.28 us, on
 * 40,000 keys); v0's SHA-1 (the multipath-tcp.org kernel) goes through node:crypto.
 */
export interface KeyHash {
  token: number;
  idsnHi: number;
  idsnLo: number;
}

/** Hashes the 8-byte key at `buf[off]` into `out` (v1: SHA-256, else SHA-1). */
export function hashKey(buf: Uint8Array, off: number, version: number, out: KeyHash): void {
  if (version >= 1) {
    sha256Key(buf, off, out);
    return;
  }
  // node:crypto is loaded here, on first use: `mplab analyze` with the native engine never needs
  // it, and loading it costs every start about 3 ms
  const h = process.getBuiltinModule('node:crypto').hash('sha1', buf.subarray(off, off + 8), 'buffer');
  out.token = h.readUInt32BE(0);
  out.idsnHi = h.readUInt32BE(12);
  out.idsnLo = h.readUInt32BE(16);
}

// FIPS 180-4: the round constants and the initial hash value of SHA-256
const K = Int32Array.from(
  [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ].map((x) => x | 0),
);
const H0 = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19].map((x) => x | 0));
const W = new Int32Array(64);

function sha256Key(buf: Uint8Array, off: number, out: KeyHash): void {
  const w = W;
  // the one block of an 8-byte message: the key, the bit 1, zeros, the length in bits (64)
  w[0] = (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
  w[1] = (buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7];
  w[2] = 0x80000000 | 0;
  for (let i = 3; i < 15; i++) w[i] = 0;
  w[15] = 64;
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = H0[0];
  let b = H0[1];
  let c = H0[2];
  let d = H0[3];
  let e = H0[4];
  let f = H0[5];
  let g = H0[6];
  let h = H0[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[i] + w[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  out.token = (H0[0] + a) >>> 0;
  out.idsnHi = (H0[6] + g) >>> 0;
  out.idsnLo = (H0[7] + h) >>> 0;
}
