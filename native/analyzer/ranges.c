// Port of analysis/ranges.ts: byte ranges already sent, for retransmission and reinjection.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "ranges.h"

#define MAX_RANGES 4096

static void grow(RangeSet *s, int need) {
  if (need <= s->cap) return;
  // most sets never get a second range
  int cap = s->cap < 3 ? 3 : s->cap;
  while (cap < need) cap *= 2;
  s->r = mpa_prealloc(s->r, (size_t)cap * sizeof(double));
  s->cap = cap;
}

static int size_of(const RangeSet *s) { return (s->len - s->lo) / 3; }

// r.splice(at, remove, ...items)
static void splice(RangeSet *s, int at, int remove, const double *items, int count) {
  grow(s, s->len - remove + count);
  memmove(s->r + at + count, s->r + at + remove, (size_t)(s->len - at - remove) * sizeof(double));
  if (count > 0) memcpy(s->r + at, items, (size_t)count * sizeof(double));
  s->len += count - remove;
}

static void push3(RangeSet *s, double a, double b, double owner) {
  grow(s, s->len + 3);
  s->r[s->len] = a;
  s->r[s->len + 1] = b;
  s->r[s->len + 2] = owner;
  s->len += 3;
}

void range_reset(RangeSet *s) {
  mpa_pfree(s->r);
  memset(s, 0, sizeof *s);
  s->horizon = -INFINITY;
  s->maxEnd = -INFINITY;
}

void range_acknowledge(RangeSet *s, double point) {
  if (point <= s->horizon) return;
  if (s->len > 0 || s->r != NULL) {
    double *r = s->r;
    int lo = s->lo;
    while (lo < s->len && r[lo + 1] <= point) lo += 3;
    if (lo < s->len && r[lo] < point) r[lo] = point;
    s->lo = lo;
    if (lo > 3072 && lo * 2 > s->len) {
      memmove(r, r + lo, (size_t)(s->len - lo) * sizeof(double));
      s->len -= lo;
      s->lo = 0;
    }
  }
  s->horizon = point;
  if (point > s->maxEnd) s->maxEnd = point;
}

static void collapse(RangeSet *s) {
  // keep the newest half of the ranges
  int cut = s->len - (MAX_RANGES / 2) * 3;
  range_acknowledge(s, s->r[cut - 2]);
}

static void push_merged(double *out, int *n, double st, double e, double owner) {
  if (*n > 0 && out[*n - 2] == st && out[*n - 1] == owner) out[*n - 2] = e;
  else {
    out[*n] = st;
    out[*n + 1] = e;
    out[*n + 2] = owner;
    *n += 3;
  }
}

static double add_slow(RangeSet *s, double a, double b, double owner) {
  if (a < s->horizon) {
    double h = b < s->horizon ? b : s->horizon;
    s->other += h - a;
    a = h;
    if (a >= b) return s->other;
  }
  int lo = s->lo;
  int i = s->len;
  while (i > lo && s->r[i - 2] > a) i -= 3;
  if (i == s->len || s->r[i] >= b) {
    double *r = s->r;
    int joinsPrev = i > lo && r[i - 2] == a && r[i - 1] == owner;
    int joinsNext = i < s->len && r[i] == b && r[i + 2] == owner;
    if (joinsPrev && joinsNext) {
      r[i - 2] = r[i + 1];
      splice(s, i, 3, NULL, 0);
    } else if (joinsPrev) r[i - 2] = b;
    else if (joinsNext) r[i] = a;
    else {
      double items[3] = {a, b, owner};
      splice(s, i, 0, items, 3);
      if (size_of(s) > MAX_RANGES) collapse(s);
    }
    if (b > s->maxEnd) s->maxEnd = b;
    return s->other;
  }
  int j = i;
  while (j < s->len && s->r[j] < b) j += 3;
  // at most one gap per range overlapped, plus the ranges, plus the tail
  double *out = mpa_palloc((size_t)(2 * (j - i) + 6) * sizeof(double));
  int n = 0;
  double cursor = a;
  double *r = s->r;
  for (int k = i; k < j; k += 3) {
    double st = r[k], e = r[k + 1];
    if (st > cursor) push_merged(out, &n, cursor, st, owner);
    double overlap = (e < b ? e : b) - (st > a ? st : a);
    if (overlap > 0) {
      if (r[k + 2] == owner) s->same += overlap;
      else s->other += overlap;
    }
    push_merged(out, &n, st, e, r[k + 2]);
    if (e > cursor) cursor = e;
  }
  if (cursor < b) push_merged(out, &n, cursor, b, owner);
  int from = i, to = j;
  if (from > lo && r[from - 2] == out[0] && r[from - 1] == out[2]) {
    out[0] = r[from - 3];
    from -= 3;
  }
  int last = n - 3;
  if (to < s->len && r[to] == out[last + 1] && r[to + 2] == out[last + 2]) {
    out[last + 1] = r[to + 1];
    to += 3;
  }
  splice(s, from, to - from, out, n);
  mpa_pfree(out);
  double top = s->r[s->len - 2];
  if (top > s->maxEnd) s->maxEnd = top;
  if (size_of(s) > MAX_RANGES) collapse(s);
  return s->other + s->same;
}

double range_add(RangeSet *s, double a, double b, double owner) {
  s->other = 0;
  s->same = 0;
  if (b <= a) return 0;
  if (a >= s->maxEnd && a >= s->horizon) {
    int n = s->len;
    if (n == 0 && s->r == NULL) {
      push3(s, a, b, owner);
      s->maxEnd = b;
      return 0;
    }
    double *r = s->r;
    if (n > s->lo && r[n - 2] == a && r[n - 1] == owner) {
      r[n - 2] = b;
    } else if (n == s->lo && n >= 3) {
      // everything was acknowledged: start again at the front
      r[0] = a;
      r[1] = b;
      r[2] = owner;
      s->len = 3;
      s->lo = 0;
    } else {
      push3(s, a, b, owner);
      if (size_of(s) > MAX_RANGES) collapse(s);
    }
    s->maxEnd = b;
    return 0;
  }
  if (s->r == NULL) grow(s, 3);
  return add_slow(s, a, b, owner);
}

void range_release(RangeSet *s) {
  if (s->r != NULL && s->lo == s->len) {
    mpa_pfree(s->r);
    s->r = NULL;
    s->cap = 0;
    s->len = 0;
    s->lo = 0;
  }
}
