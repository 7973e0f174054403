// A port of JavaScript's number and JSON string text and of analysis/address.ts's formatting.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpa.h"

// ---- numbers ----------------------------------------------------------------------------------

// "00" to "99"
static const char DIGIT_PAIRS[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static int decimal_length(uint64_t v) {
  int n = 1;
  for (;;) {
    if (v < 10) return n;
    if (v < 100) return n + 1;
    if (v < 1000) return n + 2;
    if (v < 10000) return n + 3;
    v /= 10000;
    n += 4;
  }
}

// the n decimal digits of v, written backwards from end, two at a time
static void write_digits(uint8_t *end, uint64_t v) {
  while (v >= 100) {
    unsigned r = (unsigned)(v % 100);
    v /= 100;
    end -= 2;
    memcpy(end, DIGIT_PAIRS + 2 * r, 2);
  }
  if (v >= 10) memcpy(end - 2, DIGIT_PAIRS + 2 * v, 2);
  else end[-1] = (uint8_t)('0' + v);
}

static void put_u64(MpaBuf *b, uint64_t v) {
  int n = decimal_length(v);
  mpa_buf_reserve(b, (size_t)n);
  write_digits(b->p + b->len + n, v);
  b->len += (size_t)n;
}

static void put_zeros(MpaBuf *b, int n) {
  for (; n > 0; n--) mpa_put_char(b, '0');
}

// The digits of x (> 0, finite) correctly rounded to p significant digits: "d.ddde+XX" split into
// digits (no point) and the exponent of the first digit.
static void round_digits(double x, int p, char *digits, int *exp10) {
  char tmp[40];
  snprintf(tmp, sizeof tmp, "%.*e", p - 1, x);
  int n = 0;
  char *s = tmp;
  // anything but a digit before the 'e' is the (locale's) decimal point
  for (; *s && *s != 'e'; s++)
    if (*s >= '0' && *s <= '9') digits[n++] = *s;
  digits[n] = 0;
  *exp10 = atoi(s + 1);
}

// digits as an integer with an exponent: no decimal point for the locale to differ on
static double parse_digits(const char *digits, int p, int exp10) {
  char tmp[48];
  snprintf(tmp, sizeof tmp, "%se%d", digits, exp10 - (p - 1));
  return strtod(tmp, NULL);
}

// The p-digit decimal one unit in the last place above `digits`; carries may add an exponent.
static void bump_digits(char *digits, int p, int *exp10) {
  int i = p - 1;
  while (i >= 0 && digits[i] == '9') digits[i--] = '0';
  if (i >= 0) {
    digits[i]++;
    return;
  }
  digits[0] = '1';
  ++*exp10;
}

// Whether some p-digit decimal reads back as x; if so, the closest such one is left in digits.
// Only for a power of two (lower neighbour nearer than the upper) can the correctly rounded
// p digits fail while the next p-digit decimal above x reads back.
static int shortest_at(double x, int p, int pow2, char *digits, int *exp10) {
  round_digits(x, p, digits, exp10);
  double y = parse_digits(digits, p, *exp10);
  if (y == x) return 1;
  if (!pow2 || y > x) return 0;
  bump_digits(digits, p, exp10);
  return parse_digits(digits, p, *exp10) == x;
}

static int is_pow2(double x) {
  int e;
  double m = frexp(x, &e);
  return m == 0.5 && e > -1021;  // subnormals are evenly spaced
}

// ECMAScript Number::toString's layout of k digits with value 0.d1d2...dk * 10^n
static void put_layout(MpaBuf *b, const char *digits, int k, int n) {
  if (k <= n && n <= 21) {
    mpa_put_raw(b, digits, k);
    put_zeros(b, n - k);
  } else if (0 < n && n <= 21) {
    mpa_put_raw(b, digits, n);
    mpa_put_char(b, '.');
    mpa_put_raw(b, digits + n, k - n);
  } else if (-6 < n && n <= 0) {
    mpa_put_raw(b, "0.", 2);
    put_zeros(b, -n);
    mpa_put_raw(b, digits, k);
  } else {
    int e = n - 1;
    mpa_put_char(b, digits[0]);
    if (k > 1) {
      mpa_put_char(b, '.');
      mpa_put_raw(b, digits + 1, k - 1);
    }
    mpa_put_char(b, 'e');
    mpa_put_char(b, e < 0 ? '-' : '+');
    put_u64(b, (uint64_t)(e < 0 ? -e : e));
  }
}

void mpa_put_num(MpaBuf *b, double x) {
  if (isnan(x) || isinf(x)) {
    mpa_put_raw(b, "null", 4);
    return;
  }
  if (x == 0) {
    mpa_put_char(b, '0');
    return;
  }
  if (x < 0) {
    mpa_put_char(b, '-');
    x = -x;
  }
  // (uint64_t)x truncates: it reads back as x only for an integer
  if (x < 9007199254740992.0 && (double)(uint64_t)x == x) {
    put_u64(b, (uint64_t)x);
    return;
  }
  // binary search for the fewest digits that read back (17 always do)
  int pow2 = is_pow2(x);
  char digits[24], best[24];
  int exp10, bestExp = 0;
  int lo = 1, hi = 17;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (shortest_at(x, mid, pow2, digits, &exp10)) hi = mid;
    else lo = mid + 1;
  }
  shortest_at(x, lo, pow2, best, &bestExp);
  int k = lo;
  while (k > 1 && best[k - 1] == '0') k--;
  put_layout(b, best, k, bestExp + 1);
}

// Below ROUNDED_BOUND[d] = 2^floor(53 - d * log2(10)) every double has an ulp under 10^-d, so
// k * 10^-d is the only decimal with at most d places that reads back as x, and the shortest one.
// Up to 6 places the text is positional (JS writes 1e-7 but 0.000001).
static const double ROUNDED_BOUND[7] = {0x1p53, 0x1p49, 0x1p46, 0x1p43, 0x1p39, 0x1p36, 0x1p33};

void mpa_put_rounded(MpaBuf *b, double x, int decimals) {
  if (decimals < 0 || decimals > 6 || !(fabs(x) < ROUNDED_BOUND[decimals])) {
    mpa_put_num(b, x);
    return;
  }
  static const double POW10[7] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
  double scale = POW10[decimals];
  long long k = llrint(x * scale);
  if ((double)k / scale != x) {
    mpa_put_num(b, x);
    return;
  }
  uint8_t *o;
  mpa_buf_reserve(b, 24);
  o = b->p + b->len;
  if (k < 0) {
    *o++ = '-';
    k = -k;
  }
  static const long long IPOW10[7] = {1, 10, 100, 1000, 10000, 100000, 1000000};
  uint64_t whole = (uint64_t)k / (uint64_t)IPOW10[decimals];
  uint64_t frac = (uint64_t)k % (uint64_t)IPOW10[decimals];
  int n = decimal_length(whole);
  write_digits(o + n, whole);
  o += n;
  if (frac != 0) {
    // the fraction's digits without its trailing zeros, after its leading ones
    int places = decimals;
    while (frac % 10 == 0) {
      frac /= 10;
      places--;
    }
    *o++ = '.';
    write_digits(o + places, frac);
    int len = decimal_length(frac);
    memset(o, '0', (size_t)(places - len));
    o += places;
  }
  b->len = (size_t)(o - b->p);
}

// ---- JSON strings -----------------------------------------------------------------------------

void mpa_put_json_latin1(MpaBuf *b, const uint8_t *s, size_t n) {
  static const char HEX[] = "0123456789abcdef";
  mpa_buf_reserve(b, n * 6 + 2);
  uint8_t *o = b->p + b->len;
  *o++ = '"';
  for (size_t i = 0; i < n; i++) {
    uint8_t c = s[i];
    if (c >= 0x80) {
      *o++ = (uint8_t)(0xc0 | (c >> 6));
      *o++ = (uint8_t)(0x80 | (c & 0x3f));
    } else if (c == '"' || c == '\\') {
      *o++ = '\\';
      *o++ = c;
    } else if (c >= 0x20) {
      *o++ = c;
    } else {
      *o++ = '\\';
      switch (c) {
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
          memcpy(o, "u00", 3);
          o += 3;
          *o++ = (uint8_t)HEX[c >> 4];
          *o++ = (uint8_t)HEX[c & 15];
      }
    }
  }
  *o++ = '"';
  b->len = (size_t)(o - b->p);
}

// ---- addresses --------------------------------------------------------------------------------

void mpa_put_ipv4(MpaBuf *b, uint32_t a) {
  mpa_buf_reserve(b, 15);
  uint8_t *o = b->p + b->len;
  for (int shift = 24; shift >= 0; shift -= 8) {
    unsigned v = (a >> shift) & 255;
    int n = decimal_length(v);
    write_digits(o + n, v);
    o += n;
    if (shift) *o++ = '.';
  }
  b->len = (size_t)(o - b->p);
}

static void put_hex16(MpaBuf *b, unsigned v) {
  static const char HEX[] = "0123456789abcdef";
  int shift = 12;
  while (shift > 0 && (v >> shift) == 0) shift -= 4;
  for (; shift >= 0; shift -= 4) mpa_put_char(b, HEX[(v >> shift) & 15]);
}

static void put_groups(MpaBuf *b, const uint16_t *g, int from, int to) {
  for (int i = from; i < to; i++) {
    if (i > from) mpa_put_char(b, ':');
    put_hex16(b, g[i]);
  }
}

void mpa_put_ipv6(MpaBuf *b, uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3) {
  if (w0 == 0 && w1 == 0 && w2 == 0xffff) {
    mpa_put_raw(b, "::ffff:", 7);
    mpa_put_ipv4(b, w3);
    return;
  }
  const uint16_t g[8] = {w0 >> 16, w0 & 0xffff, w1 >> 16, w1 & 0xffff, w2 >> 16, w2 & 0xffff, w3 >> 16, w3 & 0xffff};
  // RFC 5952: the first of the longest runs of two or more zero groups
  int bestStart = -1, bestLen = 1;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      i++;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) {
    put_groups(b, g, 0, 8);
    return;
  }
  put_groups(b, g, 0, bestStart);
  mpa_put_raw(b, "::", 2);
  put_groups(b, g, bestStart + bestLen, 8);
}

void mpa_put_endpoint(MpaBuf *b, int v6, uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3, int port) {
  if (v6) {
    mpa_put_char(b, '[');
    mpa_put_ipv6(b, w0, w1, w2, w3);
    mpa_put_char(b, ']');
  } else {
    mpa_put_ipv4(b, w0);
  }
  mpa_put_char(b, ':');
  if (port < 0) {
    mpa_put_char(b, '-');
    put_u64(b, (uint64_t)-(int64_t)port);
  } else {
    put_u64(b, (uint64_t)port);
  }
}
