// Operations on the state of model.h (model.c), for the tracker and the records.
#ifndef MPLAB_MPA_MODEL_OPS_H
#define MPLAB_MPA_MODEL_OPS_H

#include "model.h"

#define UP 0
#define DOWN 1
#define ACK_TCP 0
#define ACK_DATA 2

uint32_t js_u32(double x);

void dir_init(Dir *d);
void dir_free(Dir *d);
double dir_peek_rel(const Dir *d, uint32_t raw);
void dir_push_mapping(Dir *d, double seqStart, double dsnStart, double length);
double dir_dsn_of(const Dir *d, double rel);
void dir_sent_at(Dir *d, double end, double now);
void dir_release(Dir *d);
void dir_retransmitted_from(Dir *d, double rel);
void dir_acked_at(Dir *d, double ack, double now);

void blocks_init(Blocks *b);
void blocks_free(Blocks *b);
void blocks_add(Blocks *b, double uid);

void data_init(DataDir *d);
void data_free(DataDir *d);
double data_peek(const DataDir *d, uint32_t hi, uint32_t lo, int wide);
double data_rel(DataDir *d, uint32_t hi, uint32_t lo, int wide);

int ack_bin(double bytes);
double ack_bin_low(int bin);
void ack_add_slot(Conn *c, int slot, double count, double bytes);
void ack_add_size(Conn *c, int key, double bytes);
// the TCP ACK sizes of `from` added to `into` (Tracker.merge); `from` is left without any
void ack_move_tcp(Conn *from, Conn *into, int flipped);

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
  Subflow *spareSubflows;  // freed subflows, chained by `next`
  int spareCount;
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
