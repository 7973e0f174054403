// The analyzer's state (struct Mpa), shared by the tracker (tracker.c) and the records (records.c).
#ifndef MPLAB_MPA_ANALYZER_STATE_H
#define MPLAB_MPA_ANALYZER_STATE_H

#include "model.h"

// ---- hash maps (tracker.c) -------------------------------------------------------------------

// open addressing on a key of five words: a token (w[0]), or a server's address and port
typedef struct MapKey {
  uint32_t w[6];
} MapKey;

typedef struct MapSlot {
  MapKey key;
  void *value;  // NULL: empty slot
} MapSlot;

typedef struct Map {
  MapSlot *slots;
  size_t mask, count;
} Map;

// ---- the analyzer's state ---------------------------------------------------------------------

struct Mpa {
  MpaConfig config;
  Subflow **buckets;  // the subflow table: chains by flow key
  size_t bucketMask, subflowsInTable;
  Map tokens, orphans, servers;
  Conn **open;
  int openCount, openCap;
  double nextConnId, nextUid, nextSweep;
  int fromClient;
  Subflow *last;
  double trace;
  double subflowCount;
  MpaSegment seg;
  MpaBuf connectionsOut, subflowsOut;
  MpaSummary summary;
  MpaBuf scratch;
  // the proxy log's entries by client (then in their order), and which are used
  int *proxyOrder;
  uint8_t *proxyUsed;
};

// records.c: the proxy log's lookup order, made once
void proxy_log_index(Mpa *a);

// records.c: writes the connection's JSON lines and adds it to the summary
void records_write(Mpa *a, Conn *conn);

#endif
