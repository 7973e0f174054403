// The pool behind mpa_palloc (alloc.h): free lists per size class, carved from 64 KiB slabs.
#include <stdint.h>
#include <string.h>
#include "alloc.h"

#define SLAB_BYTES (64 * 1024)
#define HEADER 8
#define POOL_MAX 1024  // larger blocks come from malloc
#define BIG_CLASS 255

// usable bytes of each class; a block is HEADER + that
static const uint16_t CLASS_SIZE[] = {8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024};
#define CLASSES (sizeof CLASS_SIZE / sizeof CLASS_SIZE[0])

typedef struct Slab {
  struct Slab *next;
} Slab;

typedef struct Pool {
  int users;  // mpa_pool_retain() calls not yet released
  void *free[CLASSES];  // blocks given back, chained through their first bytes
  uint8_t *carve, *carveEnd;  // the rest of the newest slab, not yet handed out
  Slab *slabs;
  uint8_t classOf[POOL_MAX / 8 + 1];  // by (n + 7) / 8
} Pool;

// one pool per thread: the analyzers of a thread share it, and no lock is needed
static _Thread_local Pool pool;

void mpa_pool_retain(void) {
  if (pool.users++ > 0) return;
  for (size_t c = 0, k = 0; k <= POOL_MAX / 8; k++) {
    while (CLASS_SIZE[c] < k * 8) c++;
    pool.classOf[k] = (uint8_t)c;
  }
}

// the last analyzer of the thread is freed: every block is back, so the slabs go
void mpa_pool_release(void) {
  if (--pool.users > 0) return;
  while (pool.slabs != NULL) {
    Slab *next = pool.slabs->next;
    free(pool.slabs);
    pool.slabs = next;
  }
  memset(pool.free, 0, sizeof pool.free);
  pool.carve = pool.carveEnd = NULL;
}

static uint8_t *carve(size_t block) {
  if ((size_t)(pool.carveEnd - pool.carve) < block) {
    // what is left of the slab is too small for this class: it stays unused
    Slab *s = mpa_checked(malloc(SLAB_BYTES));
    s->next = pool.slabs;
    pool.slabs = s;
    pool.carve = (uint8_t *)s + sizeof(Slab) + (HEADER - sizeof(Slab) % HEADER) % HEADER;
    pool.carveEnd = (uint8_t *)s + SLAB_BYTES;
  }
  uint8_t *b = pool.carve;
  pool.carve += block;
  return b;
}

void *mpa_palloc(size_t n) {
  if (n > POOL_MAX || pool.users == 0) {
    uint8_t *b = mpa_checked(malloc(HEADER + n));
    b[0] = BIG_CLASS;
    return b + HEADER;
  }
  unsigned c = pool.classOf[(n + 7) / 8];
  void *p = pool.free[c];
  if (p != NULL) {
    memcpy(&pool.free[c], p, sizeof(void *));
    return p;
  }
  uint8_t *b = carve(HEADER + CLASS_SIZE[c]);
  b[0] = (uint8_t)c;
  return b + HEADER;
}

void *mpa_pcalloc(size_t n) {
  void *p = mpa_palloc(n);
  memset(p, 0, n);
  return p;
}

void mpa_pfree(void *p) {
  if (p == NULL) return;
  uint8_t *b = (uint8_t *)p - HEADER;
  unsigned c = b[0];
  if (c == BIG_CLASS) {
    free(b);
    return;
  }
  memcpy(p, &pool.free[c], sizeof(void *));
  pool.free[c] = p;
}

void *mpa_prealloc(void *p, size_t n) {
  if (p == NULL) return mpa_palloc(n);
  uint8_t *b = (uint8_t *)p - HEADER;
  unsigned c = b[0];
  if (c == BIG_CLASS) {
    // a big block stays one (its size is malloc's to know)
    b = mpa_checked(realloc(b, HEADER + n));
    return b + HEADER;
  }
  if (n <= CLASS_SIZE[c]) return p;
  void *q = mpa_palloc(n);
  memcpy(q, p, CLASS_SIZE[c]);
  mpa_pfree(p);
  return q;
}
