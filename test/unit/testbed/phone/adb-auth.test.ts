import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANDROID_PUBKEY_SIZE, AdbKeyring, parseAdbPublicKey, signatureMatches } from '../../../../testbed/phone/adb-auth.js';
import { makeTestAdbKey } from '../../../support/adb-key.js';

const alice = makeTestAdbKey('alice@lab');
const mallory = makeTestAdbKey('mallory@elsewhere');

describe('adb RSA authentication, the phone side (testbed/phone/adb-auth.ts)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mplabt-adbkeys-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a key line: the 524-byte RSAPublicKey and its comment', () => {
    const key = parseAdbPublicKey(alice.publicLine);
    expect(key.comment).toBe('alice@lab');
    expect(Buffer.from(key.base64, 'base64')).toHaveLength(ANDROID_PUBKEY_SIZE);
    expect(key.key.asymmetricKeyDetails).toEqual({ modulusLength: 2048, publicExponent: 65537n });
    // the modulus is the key pair's own
    expect(key.key.export({ format: 'jwk' }).n).toBe(alice.privateKey.export({ format: 'jwk' }).n);
  });

  it('refuses what is not an adb key, saying why', () => {
    const raw = Buffer.from(alice.publicLine.split(' ')[0], 'base64');
    expect(() => parseAdbPublicKey('')).toThrow(/expected the base64 of an adb RSA public key/);
    expect(() => parseAdbPublicKey('ssh-rsa AAAA user@host')).toThrow(/expected the base64/);
    expect(() => parseAdbPublicKey(raw.subarray(0, 520).toString('base64'))).toThrow(/expected 524 bytes of key, the base64 gives 520/);
    const words = Buffer.from(raw);
    words.writeUInt32LE(32, 0);
    expect(() => parseAdbPublicKey(words.toString('base64'))).toThrow(/expected a 2048-bit key \(modulus of 64 words\), got 32 words/);
  });

  it('accepts a signature of the token by the key, and nothing else', () => {
    const key = parseAdbPublicKey(alice.publicLine).key;
    const token = randomBytes(20);
    expect(signatureMatches(key, token, alice.sign(token))).toBe(true);
    expect(signatureMatches(key, randomBytes(20), alice.sign(token))).toBe(false);
    expect(signatureMatches(key, token, mallory.sign(token))).toBe(false);
    expect(signatureMatches(key, token, randomBytes(256))).toBe(false);
    expect(signatureMatches(key, token, alice.sign(token).subarray(1))).toBe(false);
  });

  it('knows the keys it started with and those accepted since, kept in adb_keys and read at every attempt', async () => {
    const file = path.join(dir, 'data', 'misc', 'adb', 'adb_keys');
    const ring = new AdbKeyring([parseAdbPublicKey(alice.publicLine)], file);
    const token = randomBytes(20);
    expect(ring.verify(token, alice.sign(token))?.comment).toBe('alice@lab');
    expect(ring.verify(token, mallory.sign(token))).toBeUndefined();
    ring.accept(parseAdbPublicKey(mallory.publicLine));
    expect(ring.verify(token, mallory.sign(token))?.comment).toBe('mallory@elsewhere');
    expect(await readFile(file, 'utf8')).toBe(`${mallory.publicLine}\n`);
    // accepted once only; a line that is not a key is skipped
    ring.accept(parseAdbPublicKey(mallory.publicLine));
    await writeFile(file, `${mallory.publicLine}\nnot a key\n`);
    expect(ring.keys().map((k) => k.comment)).toEqual(['alice@lab', 'mallory@elsewhere']);
    // removed from adb_keys: no longer accepted at the next attempt
    await writeFile(file, '');
    expect(ring.verify(token, mallory.sign(token))).toBeUndefined();
  });
});
