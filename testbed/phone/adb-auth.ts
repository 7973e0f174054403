import { constants, createPublicKey, publicDecrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * adb's RSA authentication, the daemon's side, as a phone with ro.adb.secure=1 does it (AOSP adb
 * protocol.txt, daemon/auth.cpp; the key format of libcrypto_utils' android_pubkey): after the
 * host's CNXN the daemon sends AUTH TOKEN (20 random bytes); the host answers AUTH SIGNATURE, an
 * RSA PKCS#1 v1.5 signature that takes the token as a SHA-1 digest; a signature by an authorized
 * key lets the host in (the daemon's CNXN), any other gets a new token. A host out of keys sends
 * AUTH RSAPUBLICKEY and stays "unauthorized" until that key is accepted.
 *
 * A public key is one line, as in ~/.android/adbkey.pub and the phone's adb_keys: the base64 of
 * 524 bytes (little-endian words: modulus size in words (64), n0inv, the 2048-bit modulus
 * little-endian, R^2 mod n, the exponent), then a space and a comment (user@host).
 */

export const TOKEN_SIZE = 20;
export const AuthType = { token: 1, signature: 2, rsaPublicKey: 3 } as const;

const MODULUS_BYTES = 256;
export const ANDROID_PUBKEY_SIZE = 4 + 4 + MODULUS_BYTES + MODULUS_BYTES + 4;
/** DER of DigestInfo for SHA-1, the prefix of a PKCS#1 v1.5 signature block of a SHA-1 digest. */
const SHA1_DIGEST_INFO = Buffer.from('3021300906052b0e03021a05000414', 'hex');

export interface AdbPublicKey {
  /** The base64 part: what identifies the key. */
  base64: string;
  /** The rest of the line (user@host), may be empty. */
  comment: string;
  key: KeyObject;
}

export class AdbKeyError extends Error {
  override name = 'AdbKeyError';
}

function unsignedBigEndian(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

/** Parses one adb public key line; throws AdbKeyError saying what is wrong. */
export function parseAdbPublicKey(line: string): AdbPublicKey {
  const [base64 = '', ...rest] = line.trim().split(/[ \t]+/);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw new AdbKeyError('expected the base64 of an adb RSA public key, then a comment');
  const raw = Buffer.from(base64, 'base64');
  if (raw.length !== ANDROID_PUBKEY_SIZE) throw new AdbKeyError(`expected ${ANDROID_PUBKEY_SIZE} bytes of key, the base64 gives ${raw.length}`);
  if (raw.readUInt32LE(0) !== MODULUS_BYTES / 4) throw new AdbKeyError(`expected a 2048-bit key (modulus of ${MODULUS_BYTES / 4} words), got ${raw.readUInt32LE(0)} words`);
  const modulus = Buffer.from(raw.subarray(8, 8 + MODULUS_BYTES)).reverse();
  const exponent = raw.readUInt32LE(8 + 2 * MODULUS_BYTES);
  if (exponent < 3 || exponent % 2 === 0) throw new AdbKeyError(`exponent ${exponent} is not a valid RSA public exponent`);
  const e = Buffer.alloc(4);
  e.writeUInt32BE(exponent);
  const key = createPublicKey({ key: { kty: 'RSA', n: unsignedBigEndian(modulus).toString('base64url'), e: unsignedBigEndian(e).toString('base64url') }, format: 'jwk' });
  return { base64, comment: rest.join(' '), key };
}

/** Whether `signature` is `key`'s signature of `token` as adb makes it (RSA_sign with NID_sha1 over the token itself). */
export function signatureMatches(key: KeyObject, token: Buffer, signature: Buffer): boolean {
  if (signature.length !== MODULUS_BYTES) return false;
  let block: Buffer;
  try {
    block = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
  const expected = Buffer.concat([SHA1_DIGEST_INFO, token]);
  return block.length === expected.length && timingSafeEqual(block, expected);
}

/** The keys of an adb_keys file (one per line); lines that are not keys are reported, not used (as adbd logs and skips them). */
export function parseAdbKeys(text: string): { keys: AdbPublicKey[]; problems: string[] } {
  const keys: AdbPublicKey[] = [];
  const problems: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    try {
      keys.push(parseAdbPublicKey(line));
    } catch (error) {
      problems.push(`line ${i + 1}: ${(error as Error).message}`);
    }
  }
  return { keys, problems };
}

/** The public key file of this user's adb (what the adb server signs with): ~/.android/adbkey.pub. */
export function userAdbKeyFile(): string {
  return path.join(homedir(), '.android', 'adbkey.pub');
}

/** Reads an adbkey.pub file; the error names the file and what is wrong with it. */
export function readAdbKeyFile(file: string): AdbPublicKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AdbKeyError(`${file}: cannot read the adb public key (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return parseAdbPublicKey(text);
  } catch (error) {
    throw new AdbKeyError(`${file}: ${(error as Error).message}`);
  }
}

/**
 * The keys a phone accepts: those it was started with (like /adb_keys, read-only) and those
 * accepted since, kept in the phone's /data/misc/adb/adb_keys (read at every attempt, as adbd
 * does, so a line added there by root in the phone counts at the next connection).
 */
export class AdbKeyring {
  constructor(
    private readonly systemKeys: readonly AdbPublicKey[],
    /** the host path of the phone's /data/misc/adb/adb_keys */
    private readonly userKeysFile: string,
  ) {}

  keys(): AdbPublicKey[] {
    let text = '';
    try {
      text = readFileSync(this.userKeysFile, 'utf8');
    } catch {
      // no key accepted yet
    }
    return [...this.systemKeys, ...parseAdbKeys(text).keys];
  }

  /** The authorized key that made `signature` of `token`, if one did. */
  verify(token: Buffer, signature: Buffer): AdbPublicKey | undefined {
    return this.keys().find((k) => signatureMatches(k.key, token, signature));
  }

  isAuthorized(key: AdbPublicKey): boolean {
    return this.keys().some((k) => k.base64 === key.base64);
  }

  /** Accepts a key for good ("always allow from this computer"): appended to adb_keys. */
  accept(key: AdbPublicKey): void {
    if (this.isAuthorized(key)) return;
    const dir = path.dirname(this.userKeysFile);
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    appendFileSync(this.userKeysFile, `${key.base64}${key.comment ? ` ${key.comment}` : ''}\n`, { mode: 0o600 });
  }
}
