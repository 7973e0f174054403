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

#endif
