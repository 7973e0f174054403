// The tracker's state per subflow direction, subflow and connection (port of analysis/model.ts).
// Numbers that JavaScript keeps as doubles stay doubles here, so that every sum and comparison
// gives what the TypeScript engine gives.
#ifndef MPLAB_MPA_MODEL_H
#define MPLAB_MPA_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "alloc.h"
#include "mpa.h"
#include "ranges.h"


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
  MpaProxyRequest *proxyRequest;  // MPA_PROXY_REQUEST_SIZE bytes of it
};

// ---- operations (model.c) ----------------------------------------------------------------------
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

#endif
