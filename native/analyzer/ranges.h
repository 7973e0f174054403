// Byte ranges already sent (ranges.c, a port of analysis/ranges.ts).
#ifndef MPLAB_MPA_RANGES_H
#define MPLAB_MPA_RANGES_H

typedef struct RangeSet {
  double *r;  // triples [start, end, owner] from index lo on
  int len, cap, lo;
  double horizon, maxEnd, other, same;
} RangeSet;

void range_reset(RangeSet *s);  // frees, and back to a new set
double range_add(RangeSet *s, double a, double b, double owner);
void range_acknowledge(RangeSet *s, double point);
void range_release(RangeSet *s);

#endif
