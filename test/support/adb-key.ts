import { constants, generateKeyPairSync, privateEncrypt, type KeyObject } from 'node:crypto';

/**
 * An adb host's key pair for tests, as the adb server keeps one (~/.android/adbkey and
 * adbkey.pub): the public line in Android's RSAPublicKey format (libcrypto_utils android_pubkey:
 * little-endian words of modulus size, n0inv = -1/n mod 2^32, modulus, R^2 mod n, exponent) and
 * adb's signature of a token (RSA_sign with NID_sha1, the token taken as the digest).
 */
export interface TestAdbKey {
  privateKey: KeyObject;
  /** "BASE64 comment", as in adbkey.pub */
  publicLine: string;
  sign(token: Buffer): Buffer;
}

const SHA1_DIGEST_INFO = Buffer.from('3021300906052b0e03021a05000414', 'hex');

function bigFromBase64url(text: string): bigint {
  return BigInt(`0x${Buffer.from(text, 'base64url').toString('hex') || '0'}`);
}

function littleEndian(value: bigint, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let v = value;
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** x^-1 mod m (m odd or a power of two; x coprime to m). */
function inverse(x: bigint, m: bigint): bigint {
  let [a, b, u, v] = [((x % m) + m) % m, m, 1n, 0n];
  while (b) {
    const q = a / b;
    [a, b] = [b, a - q * b];
    [u, v] = [v, u - q * v];
  }
  return ((u % m) + m) % m;
}

export function makeTestAdbKey(comment = 'test@mplab'): TestAdbKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const jwk = publicKey.export({ format: 'jwk' });
  const n = bigFromBase64url(jwk.n!);
  const e = bigFromBase64url(jwk.e!);
  const r32 = 1n << 32n;
  const n0inv = r32 - inverse(n % r32, r32);
  const rr = (1n << 4096n) % n;
  const words = Buffer.alloc(8);
  words.writeUInt32LE(64, 0);
  words.writeUInt32LE(Number(n0inv), 4);
  const exponent = Buffer.alloc(4);
  exponent.writeUInt32LE(Number(e));
  const raw = Buffer.concat([words, littleEndian(n, 256), littleEndian(rr, 256), exponent]);
  return {
    privateKey,
    publicLine: `${raw.toString('base64')} ${comment}`,
    sign: (token) => privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA1_DIGEST_INFO, token])),
  };
}
