import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashKey, type KeyHash } from '../../../analysis/key-hash.js';

/** What RFC 8684 asks, computed with node:crypto: token = first 32 bits of the hash, IDSN = its last 64. */
function reference(key: Buffer, algorithm: 'sha256' | 'sha1'): KeyHash {
  const h = createHash(algorithm).update(key).digest();
  return { token: h.readUInt32BE(0), idsnHi: h.readUInt32BE(h.length - 8), idsnLo: h.readUInt32BE(h.length - 4) };
}

describe('hashKey', () => {
  const keys = [Buffer.alloc(8), Buffer.alloc(8, 0xff), Buffer.from('0123456789abcdef', 'hex'), ...Array.from({ length: 2000 }, () => randomBytes(8))];

  it('gives the token and IDSN of SHA-256 for MPTCP v1, for keys anywhere in a buffer', () => {
    const out: KeyHash = { token: -1, idsnHi: -1, idsnLo: -1 };
    for (const [i, key] of keys.entries()) {
      const off = i % 13;
      const buf = Buffer.concat([randomBytes(off), key, randomBytes(3)]);
      hashKey(buf, off, 1, out);
      expect(out, key.toString('hex')).toEqual(reference(key, 'sha256'));
    }
  });

  it('gives the token and IDSN of SHA-1 for MPTCP v0', () => {
    const out: KeyHash = { token: -1, idsnHi: -1, idsnLo: -1 };
    for (const key of keys.slice(0, 200)) {
      hashKey(key, 0, 0, out);
      expect(out).toEqual(reference(key, 'sha1'));
    }
  });

  it('matches SHA-256 as sha256sum computes it, for the key 01 02 03 04 05 06 07 08', () => {
    // printf '\x01\x02\x03\x04\x05\x06\x07\x08' | sha256sum: 66840dda...f5a101d3d29d6f72
    const out: KeyHash = { token: 0, idsnHi: 0, idsnLo: 0 };
    hashKey(Buffer.from('0102030405060708', 'hex'), 0, 1, out);
    expect(out).toEqual({ token: 0x66840dda, idsnHi: 0xf5a101d3, idsnLo: 0xd29d6f72 });
  });
});
