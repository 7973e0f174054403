// Port of analysis/model.ts: what the tracker keeps per subflow direction and per connection.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

/** most directions of short connections see a few mappings: room for this many first */
#define FIRST_MAPPINGS 4
#define RTT_QUEUE 512

// JavaScript's ToUint32 of an integral double
uint32_t js_u32(double x) {
  if (x >= -9.2e18 && x <= 9.2e18) return (uint32_t)(int64_t)x;
  double m = fmod(trunc(x), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return (uint32_t)m;
}

// ---- Dir ----------------------------------------------------------------------------------------

void dir_init(Dir *d) {
  memset(d, 0, sizeof *d);
  d->synTime = -1;
  range_reset(&d->sent);
  d->acked = -INFINITY;
  d->rttMin = INFINITY;
}

void dir_free(Dir *d) {
  range_reset(&d->sent);
  mpa_pfree(d->maps);
  mpa_pfree(d->inflight);
  d->maps = NULL;
  d->inflight = NULL;
}

double dir_peek_rel(const Dir *d, uint32_t raw) {
  uint32_t r32 = raw - d->base;
  return d->lastRel + (double)(int32_t)(r32 - js_u32(d->lastRel));
}

void dir_push_mapping(Dir *d, double seqStart, double dsnStart, double length) {
  if (d->maps == NULL) {
    d->maps = mpa_palloc(3 * FIRST_MAPPINGS * sizeof(double));
    d->mapsLength = FIRST_MAPPINGS;
  } else if (d->mapHead == d->mapsLength && d->mapHead < MAPPINGS) {
    // the ring fills from the front until it is full: grown in place of wrapping
    d->maps = mpa_prealloc(d->maps, 3 * MAPPINGS * sizeof(double));
    d->mapsLength = MAPPINGS;
  }
  double *m = d->maps;
  if (d->mapCount > 0) {
    int last = 3 * ((d->mapHead + MAPPINGS - 1) % MAPPINGS);
    if (m[last] == seqStart && m[last + 1] == dsnStart && m[last + 2] == length) return;
  }
  int i = 3 * d->mapHead;
  m[i] = seqStart;
  m[i + 1] = dsnStart;
  m[i + 2] = length;
  d->mapHead = (d->mapHead + 1) % MAPPINGS;
  if (d->mapCount < MAPPINGS) d->mapCount++;
}

double dir_dsn_of(const Dir *d, double rel) {
  const double *m = d->maps;
  if (m == NULL) return NAN;
  int h = d->mapHead;
  for (int k = 0; k < d->mapCount; k++) {
    h = (h + MAPPINGS - 1) % MAPPINGS;
    int i = 3 * h;
    double start = m[i];
    if (rel >= start && rel < start + m[i + 2]) return m[i + 1] + (rel - start);
  }
  return NAN;
}

static void grow_inflight(Dir *d) {
  int cap = d->inflightCap * 2 > 4 ? d->inflightCap * 2 : 4;
  double *q = mpa_palloc((size_t)(2 * cap) * sizeof(double));
  for (int k = 0; k < d->inflightLen; k++) {
    int i = 2 * ((d->inflightHead + k) % d->inflightCap);
    q[2 * k] = d->inflight[i];
    q[2 * k + 1] = d->inflight[i + 1];
  }
  mpa_pfree(d->inflight);
  d->inflight = q;
  d->inflightCap = cap;
  d->inflightHead = 0;
}

void dir_sent_at(Dir *d, double end, double now) {
  if (d->inflightLen == d->inflightCap) {
    if (d->inflightCap < RTT_QUEUE) grow_inflight(d);
    else {
      d->inflightHead = (d->inflightHead + 1) % d->inflightCap;
      d->inflightLen--;
    }
  }
  int i = 2 * ((d->inflightHead + d->inflightLen) % d->inflightCap);
  d->inflight[i] = end;
  d->inflight[i + 1] = now;
  d->inflightLen++;
}

void dir_release(Dir *d) {
  if (d->inflightLen == 0 && d->inflightCap > 0) {
    mpa_pfree(d->inflight);
    d->inflight = NULL;
    d->inflightCap = 0;
    d->inflightHead = 0;
  }
  range_release(&d->sent);
}

void dir_retransmitted_from(Dir *d, double rel) {
  const double *q = d->inflight;
  while (d->inflightLen > 0) {
    int i = 2 * ((d->inflightHead + d->inflightLen - 1) % d->inflightCap);
    if (q[i] <= rel) break;
    d->inflightLen--;
  }
}

void dir_acked_at(Dir *d, double ack, double now) {
  const double *q = d->inflight;
  while (d->inflightLen > 0) {
    int i = 2 * d->inflightHead;
    double end = q[i];
    if (end > ack) break;
    d->inflightHead = (d->inflightHead + 1) % d->inflightCap;
    d->inflightLen--;
    if (end == ack) {
      double ms = (now - q[i + 1]) * 1000;
      if (ms >= 0) {
        d->rttSamples++;
        d->rttSum += ms;
        d->rttSumSq += ms * ms;
        if (ms < d->rttMin) d->rttMin = ms;
        if (ms > d->rttMax) d->rttMax = ms;
      }
      break;
    }
  }
}

// ---- Blocks -------------------------------------------------------------------------------------

void blocks_init(Blocks *b) {
  memset(b, 0, sizeof *b);
  b->lastUid = -1;
}

void blocks_free(Blocks *b) {
  mpa_pfree(b->sizes);
  b->sizes = NULL;
}

void blocks_add(Blocks *b, double uid) {
  if (uid == b->lastUid) {
    b->current++;
    return;
  }
  if (b->current > 0) {
    if (b->count == b->cap) {
      b->cap = b->cap ? 2 * b->cap : 4;
      b->sizes = mpa_prealloc(b->sizes, (size_t)b->cap * sizeof(double));
    }
    b->sizes[b->count++] = b->current;
  }
  b->lastUid = uid;
  b->current = 1;
}

// ---- DataDir ------------------------------------------------------------------------------------

void data_init(DataDir *d) {
  memset(d, 0, sizeof *d);
  d->acked = -INFINITY;
  d->ackDelayed = -INFINITY;
  d->ackDelayTime = -INFINITY;
  range_reset(&d->sent);
  blocks_init(&d->blocks);
}

void data_free(DataDir *d) {
  range_reset(&d->sent);
  blocks_free(&d->blocks);
}

double data_peek(const DataDir *d, uint32_t hi, uint32_t lo, int wide) {
  if (wide) {
    int64_t l = (int64_t)lo - (int64_t)d->baseLo;
    int64_t h = (int64_t)hi - (int64_t)d->baseHi;
    if (l < 0) {
      l += 4294967296LL;
      h -= 1;
    }
    return (double)(int32_t)(uint32_t)h * 4294967296.0 + (double)l;
  }
  double last = d->last;
  uint32_t r32 = lo - d->baseLo;
  return last + (double)(int32_t)(r32 - js_u32(last));
}

double data_rel(DataDir *d, uint32_t hi, uint32_t lo, int wide) {
  if (!d->baseSet) {
    if (d->idsnKnown) {
      d->baseHi = d->idsnHi;
      d->baseLo = d->idsnLo;
    } else {
      // count from one before the first DSN seen, as if it were the first byte
      d->baseHi = lo == 0 ? hi - 1 : hi;
      d->baseLo = lo - 1;
    }
    d->baseSet = 1;
    d->last = 0;
  }
  double rel = data_peek(d, hi, lo, wide);
  d->last = rel;
  return rel;
}

// ---- ACK sizes ----------------------------------------------------------------------------------

int ack_bin(double bytes) {
  uint32_t n = bytes >= 2147483647.0 ? 0x7fffffffu : (uint32_t)bytes;
  int e = n == 0 ? -1 : 31 - __builtin_clz(n);
  return e < 2 ? (int)n : 4 * (e - 1) + (int)((n >> (e - 2)) & 3);
}

double ack_bin_low(int bin) {
  if (bin < 4) return bin;
  int e = (bin >> 2) + 1;
  return (4 + (bin & 3)) * ldexp(1, e - 2);
}

void ack_add_slot(Conn *c, int slot, double count, double bytes) {
  for (int i = 0; i < c->ackCount; i += 3) {
    if (c->ackSizes[i] == slot) {
      c->ackSizes[i + 1] += count;
      c->ackSizes[i + 2] += bytes;
      return;
    }
  }
  if (c->ackCount + 3 > c->ackCap) {
    c->ackCap = c->ackCap ? 2 * c->ackCap : 12;
    c->ackSizes = mpa_prealloc(c->ackSizes, (size_t)c->ackCap * sizeof(double));
  }
  c->ackSizes[c->ackCount] = slot;
  c->ackSizes[c->ackCount + 1] = count;
  c->ackSizes[c->ackCount + 2] = bytes;
  c->ackCount += 3;
}

void ack_add_size(Conn *c, int key, double bytes) { ack_add_slot(c, 4 * ack_bin(bytes) + key, 1, bytes); }

void ack_move_tcp(Conn *from, Conn *into, int flipped) {
  for (int i = 0; i < from->ackCount; i += 3) {
    int slot = (int)from->ackSizes[i];
    if ((slot & 2) == ACK_TCP) ack_add_slot(into, flipped ? slot ^ 1 : slot, from->ackSizes[i + 1], from->ackSizes[i + 2]);
  }
  mpa_pfree(from->ackSizes);
  from->ackSizes = NULL;
  from->ackCount = from->ackCap = 0;
}
