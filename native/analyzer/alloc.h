// Allocation that aborts the process when memory runs out (the analyzer has no way to go on without).
#ifndef MPLAB_MPA_ALLOC_H
#define MPLAB_MPA_ALLOC_H

#include <stdio.h>
#include <stdlib.h>

static inline void *mpa_checked(void *p) {
  if (!p) {
    fputs("mplab analyzer: out of memory\n", stderr);
    abort();
  }
  return p;
}

static inline void *mpa_xmalloc(size_t n) { return mpa_checked(malloc(n ? n : 1)); }
static inline void *mpa_xcalloc(size_t n) { return mpa_checked(calloc(1, n ? n : 1)); }
static inline void *mpa_xrealloc(void *p, size_t n) { return mpa_checked(realloc(p, n ? n : 1)); }

// The connections' state (alloc.c): blocks of up to 1 KiB from free lists per size class, shared by
// the analyzers of a thread while one of them lives (mpa_pool_retain in mpa_new, release in
// mpa_free; the last release gives the memory back). Allocating and freeing are a pop and a push:
// no lock, no coalescing, and the blocks of a class lie together. Larger blocks, and any outside an
// analyzer's life, come from malloc. Only mpa_pfree frees what these return.
void mpa_pool_retain(void);
void mpa_pool_release(void);
void *mpa_palloc(size_t n);
void *mpa_pcalloc(size_t n);
void *mpa_prealloc(void *p, size_t n);
void mpa_pfree(void *p);

#endif
