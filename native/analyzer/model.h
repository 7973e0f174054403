// The tracker's state per subflow direction, subflow and connection (port of analysis/model.ts).
// Numbers that JavaScript keeps as doubles stay doubles here, so that every sum and comparison
// gives what the TypeScript engine gives.
#ifndef MPLAB_MPA_MODEL_H
#define MPLAB_MPA_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "mpa.h"

void *mpa_xmalloc(size_t n);
void *mpa_xcalloc(size_t n);
void *mpa_xrealloc(void *p, size_t n);

typedef struct RangeSet {
  double *r;  // triples [start, end, owner] from index lo on
  int len, cap, lo;
  double horizon, maxEnd, other, same;
} RangeSet;

void range_reset(RangeSet *s);  // frees, and back to a new set
double range_add(RangeSet *s, double a, double b, double owner);
void range_acknowledge(RangeSet *s, double point);
void range_release(RangeSet *s);

#define MAPPINGS 8

typedef struct Dir {
  uint32_t base;
  uint8_t hasBase, synSeen, fin, rst, ssnKnown;
  double synTime;
  double lastRel;
  RangeSet sent;
  double acked;
  double packets, dataPackets, bytes, retransmitted, reinjected, unique;
  double ssnDelta;
  double *maps;  // ring of [seq start, dsn start, length] of MAPPINGS entries, allocated on first use for fewer
  int mapCount, mapHead, mapsLength;
  double *inflight;  // ring of [end, send time]
  int inflightCap, inflightHead, inflightLen;
  double rttSamples, rttSum, rttSumSq, rttMin, rttMax;
} Dir;

typedef struct Conn Conn;

typedef struct Subflow {
  struct Subflow *next;  // chain in the table's bucket
  Conn *conn;
  int index;
  double uid;
  uint32_t key;
  uint8_t v6;
  uint32_t c0, c1, c2, c3, s0, s1, s2, s3;
  int cport, sport;
  Dir dirs[2];
  int upIdx;  // dirs[upIdx] is up; flip() swaps the roles, as TypeScript swaps the objects
  double firstTime, lastTime;
  double synTime, synAckTime, establishedTime;
  uint8_t synRetransmitted, established, mpCapable, join, backup, rst, inTable;
  uint32_t joinToken;
  int addrId;
  double lastClientAck, lastNewData;
} Subflow;

#define SF_UP(sf) (&(sf)->dirs[(sf)->upIdx])
#define SF_DOWN(sf) (&(sf)->dirs[1 - (sf)->upIdx])

typedef struct Blocks {
  double lastUid;
  double current;
  double *sizes;
  int count, cap;
} Blocks;

typedef struct DataDir {
  uint32_t idsnHi, idsnLo;
  uint8_t idsnKnown, baseSet, dataFin;
  uint32_t baseHi, baseLo;
  double last;
  double acked, ackDelayed, ackDelayTime;
  RangeSet sent;
  Blocks blocks;
} DataDir;

#define PREFIX_UP 512
#define PREFIX_DOWN 64

struct Conn {
  double id;
  double trace;
  uint8_t mptcp, fallback, done, keyClient, keyServer, fastClose;
  int version;
  Subflow **subflows;
  int subflowCount, subflowCap;
  double start, end, firstSyn, lastActivity, lastData, lastDownData;
  uint32_t *tokens;
  int tokenCount, tokenCap;
  double tokenClient;  // -1 when unknown
  double orphanToken;  // -1 when none
  int placementTries;
  DataDir data[2];
  double *ackSizes;  // triples [slot, ACKs, bytes]
  int ackCount, ackCap;
  double addAddr, removeAddr;
  uint8_t *upPrefix;  // PREFIX_UP bytes then PREFIX_DOWN bytes, while the proxy request is read
  int upFilled, downFilled;
  int proxyState;
  MpaProxyRequest *proxyRequest;
};

#endif
