// A port of hashKey() of analysis/key-hash.ts: an MPTCP key's token and IDSN (SHA-256, or SHA-1 for v0).
#include "mpa.h"

static inline uint32_t rotr(uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}

static inline uint32_t rotl(uint32_t x, int n) {
  return (x << n) | (x >> (32 - n));
}

static inline uint32_t load_be(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

// the one block of an 8-byte message: the key, the bit 1, zeros, the length in bits (64)
static void key_block(const uint8_t *key, uint32_t *w) {
  w[0] = load_be(key);
  w[1] = load_be(key + 4);
  w[2] = 0x80000000u;
  for (int i = 3; i < 15; i++) w[i] = 0;
  w[15] = 64;
}

// FIPS 180-4
static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t H256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

static void sha256_key(const uint8_t *key, uint32_t *out) {
  uint32_t w[64];
  key_block(key, w);
  for (int i = 16; i < 64; i++) {
    uint32_t x = w[i - 15], y = w[i - 2];
    uint32_t s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3);
    uint32_t s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t v[8];
  for (int i = 0; i < 8; i++) v[i] = H256[i];
  for (int i = 0; i < 64; i++) {
    uint32_t a = v[0], e = v[4];
    uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    uint32_t ch = (e & v[5]) ^ (~e & v[6]);
    uint32_t t1 = v[7] + S1 + ch + K256[i] + w[i];
    uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    uint32_t maj = (a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]);
    v[7] = v[6];
    v[6] = v[5];
    v[5] = v[4];
    v[4] = v[3] + t1;
    v[3] = v[2];
    v[2] = v[1];
    v[1] = v[0];
    v[0] = t1 + S0 + maj;
  }
  for (int i = 0; i < 8; i++) out[i] = H256[i] + v[i];
}

static void sha1_key(const uint8_t *key, uint32_t *out) {
  uint32_t w[80];
  key_block(key, w);
  for (int i = 16; i < 80; i++) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  static const uint32_t H1[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
  uint32_t a = H1[0], b = H1[1], c = H1[2], d = H1[3], e = H1[4];
  for (int i = 0; i < 80; i++) {
    uint32_t f, k;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6;
    }
    uint32_t t = rotl(a, 5) + f + e + k + w[i];
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = t;
  }
  out[0] = H1[0] + a;
  out[1] = H1[1] + b;
  out[2] = H1[2] + c;
  out[3] = H1[3] + d;
  out[4] = H1[4] + e;
}

void mpa_hash_key(const uint8_t *key, int version, uint32_t *token, uint32_t *idsnHi, uint32_t *idsnLo) {
  uint32_t h[8];
  if (version >= 1) {
    sha256_key(key, h);
    *token = h[0];
    *idsnHi = h[6];
    *idsnLo = h[7];
    return;
  }
  sha1_key(key, h);
  *token = h[0];
  *idsnHi = h[3];
  *idsnLo = h[4];
}
