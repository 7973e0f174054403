// Port of analysis/tracker.ts: decoded TCP segments into subflows and MPTCP connections. Only the
// compact form of frozen connections (frozen.ts) has no counterpart: it is a JavaScript heap
// measure that does not change any result.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "analyzer-state.h"

#define PLACE_WINDOW_64 1073741824.0
#define PLACE_WINDOW_32 1048576.0
#define SWEEP_INTERVAL 10
#define DATA_ACK_DELAY 2

// ---- maps -----------------------------------------------------------------------------------------

static uint64_t key_hash(const MapKey *k) {
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 6; i++) {
    h ^= k->w[i];
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  return h;
}

static void map_init(Map *m) {
  m->mask = 63;
  m->count = 0;
  m->slots = mpa_xcalloc(64 * sizeof(MapSlot));
}

static void map_free(Map *m) {
  free(m->slots);
  m->slots = NULL;
}

static void map_clear(Map *m) {
  map_free(m);
  map_init(m);
}

static MapSlot *map_find(const Map *m, const MapKey *k) {
  size_t i = key_hash(k) & m->mask;
  for (;;) {
    MapSlot *s = &m->slots[i];
    if (s->value == NULL || memcmp(&s->key, k, sizeof *k) == 0) return s;
    i = (i + 1) & m->mask;
  }
}

static void *map_get(const Map *m, const MapKey *k) { return map_find(m, k)->value; }

static void map_set(Map *m, const MapKey *k, void *value) {
  MapSlot *s = map_find(m, k);
  if (s->value == NULL) {
    if (2 * (m->count + 1) > m->mask + 1) {
      MapSlot *old = m->slots;
      size_t n = m->mask + 1;
      m->mask = 2 * n - 1;
      m->slots = mpa_xcalloc(2 * n * sizeof(MapSlot));
      for (size_t i = 0; i < n; i++)
        if (old[i].value != NULL) *map_find(m, &old[i].key) = old[i];
      free(old);
      s = map_find(m, k);
    }
    m->count++;
    s->key = *k;
  }
  s->value = value;
}

static void map_delete(Map *m, const MapKey *k) {
  MapSlot *s = map_find(m, k);
  if (s->value == NULL) return;
  // backward-shift deletion: no tombstones
  size_t i = (size_t)(s - m->slots);
  size_t j = i;
  for (;;) {
    j = (j + 1) & m->mask;
    MapSlot *t = &m->slots[j];
    if (t->value == NULL) break;
    size_t home = key_hash(&t->key) & m->mask;
    if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
      m->slots[i] = *t;
      i = j;
    }
  }
  m->slots[i].value = NULL;
  m->count--;
}

static MapKey token_key(uint32_t token) {
  MapKey k = {{token, 0, 0, 0, 0, 0}};
  return k;
}

// ---- new state --------------------------------------------------------------------------------

static Subflow *take_subflow(void) {
  Subflow *sf = mpa_pcalloc(sizeof *sf);
  dir_init(&sf->dirs[0]);
  dir_init(&sf->dirs[1]);
  sf->synTime = sf->synAckTime = sf->establishedTime = -1;
  sf->addrId = -1;
  sf->lastClientAck = sf->lastNewData = -1;
  sf->inTable = 1;
  return sf;
}

static void release_subflow(Subflow *sf) {
  dir_free(&sf->dirs[0]);
  dir_free(&sf->dirs[1]);
  mpa_pfree(sf);
}

static Conn *new_conn(Mpa *a, double ts) {
  Conn *c = mpa_pcalloc(sizeof *c);
  c->id = a->nextConnId++;
  c->trace = a->trace;
  c->version = -1;
  c->start = c->end = c->lastActivity = ts;
  c->firstSyn = c->lastData = c->lastDownData = -1;
  c->tokenClient = -1;
  c->orphanToken = -1;
  data_init(&c->data[0]);
  data_init(&c->data[1]);
  if (a->openCount == a->openCap) {
    a->openCap = a->openCap ? 2 * a->openCap : 1024;
    a->open = mpa_xrealloc(a->open, (size_t)a->openCap * sizeof(Conn *));
  }
  a->open[a->openCount++] = c;
  return c;
}

static void free_prefixes(Conn *c) {
  mpa_pfree(c->upPrefix);
  c->upPrefix = NULL;
}

// what a finished or merged-away connection still holds, once nothing refers to it
static void free_conn(Mpa *a, Conn *c) {
  if (c->orphanToken >= 0) {
    MapKey k = token_key((uint32_t)c->orphanToken);
    if (map_get(&a->orphans, &k) == c) map_delete(&a->orphans, &k);
  }
  for (int i = 0; i < c->subflowCount; i++) release_subflow(c->subflows[i]);
  mpa_pfree(c->subflows);
  mpa_pfree(c->tokens);
  data_free(&c->data[0]);
  data_free(&c->data[1]);
  mpa_pfree(c->ackSizes);
  free_prefixes(c);
  mpa_pfree(c->proxyRequest);
  mpa_pfree(c);
}

static void add_token(Conn *c, uint32_t t) {
  if (c->tokenCount == c->tokenCap) {
    c->tokenCap = c->tokenCap ? 2 * c->tokenCap : 2;
    c->tokens = mpa_prealloc(c->tokens, (size_t)c->tokenCap * sizeof(uint32_t));
  }
  c->tokens[c->tokenCount++] = t;
}

static void push_subflow(Conn *c, Subflow *sf) {
  if (c->subflowCount == c->subflowCap) {
    c->subflowCap = c->subflowCap ? 2 * c->subflowCap : 2;
    c->subflows = mpa_prealloc(c->subflows, (size_t)c->subflowCap * sizeof(Subflow *));
  }
  c->subflows[c->subflowCount++] = sf;
}

static void flip(Subflow *sf) {
  uint32_t t;
  t = sf->c0, sf->c0 = sf->s0, sf->s0 = t;
  t = sf->c1, sf->c1 = sf->s1, sf->s1 = t;
  t = sf->c2, sf->c2 = sf->s2, sf->s2 = t;
  t = sf->c3, sf->c3 = sf->s3, sf->s3 = t;
  int p = sf->cport;
  sf->cport = sf->sport;
  sf->sport = p;
  sf->upIdx = 1 - sf->upIdx;
}

static int sf_closed(const Subflow *sf) { return sf->rst || (SF_UP(sf)->fin && SF_DOWN(sf)->fin) || !sf->established; }

static int is_closed(const Conn *c) {
  if (c->fastClose) return 1;
  for (int i = 0; i < c->subflowCount; i++)
    if (!sf_closed(c->subflows[i])) return 0;
  return 1;
}

// ---- subflow table --------------------------------------------------------------------------------

static uint32_t imul(uint32_t a, uint32_t b) { return a * b; }

static uint32_t mix(uint32_t x, uint32_t port) {
  uint32_t h = imul(x ^ imul(port + 0x5bd1e995u, 0x9e3779b1u), 0x85ebca6bu);
  h ^= h >> 15;
  return imul(h, 0xc2b2ae35u);
}

static uint32_t flow_key(const MpaSegment *s) {
  uint32_t a = s->src0, b = s->dst0;
  if (s->v6) {
    a = a ^ imul(s->src1, 0x27d4eb2d) ^ imul(s->src2, 0x165667b1) ^ imul(s->src3, 0x61c88647);
    b = b ^ imul(s->dst1, 0x27d4eb2d) ^ imul(s->dst2, 0x165667b1) ^ imul(s->dst3, 0x61c88647);
  }
  return (mix(a, (uint32_t)s->sport) + mix(b, (uint32_t)s->dport)) & 0x3fffffff;
}

enum { NOT_THIS = 0, FROM_CLIENT = 1, FROM_SERVER = 2 };

static int orientation(const Subflow *sf, const MpaSegment *s) {
  if (sf->v6 != s->v6) return NOT_THIS;
  if (sf->cport == s->sport && sf->sport == s->dport && sf->c0 == s->src0 && sf->s0 == s->dst0) {
    if (!s->v6 || (sf->c1 == s->src1 && sf->c2 == s->src2 && sf->c3 == s->src3 && sf->s1 == s->dst1 && sf->s2 == s->dst2 && sf->s3 == s->dst3)) return FROM_CLIENT;
  }
  if (sf->cport == s->dport && sf->sport == s->sport && sf->c0 == s->dst0 && sf->s0 == s->src0) {
    if (!s->v6 || (sf->c1 == s->dst1 && sf->c2 == s->dst2 && sf->c3 == s->dst3 && sf->s1 == s->src1 && sf->s2 == s->src2 && sf->s3 == s->src3)) return FROM_SERVER;
  }
  return NOT_THIS;
}

static void table_insert(Mpa *a, Subflow *sf) {
  if (a->subflowsInTable + 1 > a->bucketMask + 1) {
    size_t n = a->bucketMask + 1;
    Subflow **old = a->buckets;
    a->buckets = mpa_xcalloc(2 * n * sizeof(Subflow *));
    a->bucketMask = 2 * n - 1;
    for (size_t i = 0; i < n; i++) {
      for (Subflow *s = old[i]; s != NULL;) {
        Subflow *next = s->next;
        Subflow **head = &a->buckets[s->key & a->bucketMask];
        s->next = *head;
        *head = s;
        s = next;
      }
    }
    free(old);
  }
  Subflow **head = &a->buckets[sf->key & a->bucketMask];
  sf->next = *head;
  *head = sf;
  a->subflowsInTable++;
}

static void unlink_sf(Mpa *a, Subflow *sf) {
  if (!sf->inTable) return;
  sf->inTable = 0;
  if (a->last == sf) a->last = NULL;
  Subflow **p = &a->buckets[sf->key & a->bucketMask];
  while (*p != NULL && *p != sf) p = &(*p)->next;
  if (*p == sf) {
    *p = sf->next;
    a->subflowsInTable--;
  }
  sf->next = NULL;
}

static Subflow *lookup(Mpa *a, const MpaSegment *s) {
  Subflow *last = a->last;
  if (last != NULL) {
    int o = orientation(last, s);
    if (o != NOT_THIS) {
      a->fromClient = o == FROM_CLIENT;
      return last;
    }
  }
  for (Subflow *sf = a->buckets[flow_key(s) & a->bucketMask]; sf != NULL; sf = sf->next) {
    int o = orientation(sf, s);
    if (o != NOT_THIS) {
      a->fromClient = o == FROM_CLIENT;
      a->last = sf;
      return sf;
    }
  }
  return NULL;
}

static int is_new_incarnation(const Mpa *a, const Subflow *sf, const MpaSegment *s) {
  const Dir *d = a->fromClient ? SF_UP(sf) : SF_DOWN(sf);
  return !d->synSeen || s->seq != d->base;
}

static MapKey server_key(int v6, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, int port) {
  MapKey k = {{a0, v6 ? a1 : 0, v6 ? a2 : 0, v6 ? a3 : 0, (uint32_t)port, v6 ? 2u : 1u}};
  return k;
}

static int is_server(Mpa *a, int v6, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, int port) {
  MapKey k = server_key(v6, a0, a1, a2, a3, port);
  return map_get(&a->servers, &k) != NULL;
}

static void note_server(Mpa *a, const Subflow *sf) {
  MapKey k = server_key(sf->v6, sf->s0, sf->s1, sf->s2, sf->s3, sf->sport);
  map_set(&a->servers, &k, (void *)1);
}

static int guess_server_port(int dport, int sport) {
  int dEphemeral = dport >= 32768;
  int sEphemeral = sport >= 32768;
  if (dEphemeral != sEphemeral) return sEphemeral;
  return dport <= sport;
}

static void attach(Subflow *sf, Conn *c) {
  sf->conn = c;
  sf->index = c->subflowCount;
  push_subflow(c, sf);
  if (sf->firstTime < c->start) c->start = sf->firstTime;
}

static Subflow *create(Mpa *a, const MpaSegment *s) {
  int flags = s->flags;
  int srcIsClient;
  if (flags & MPA_TH_SYN) srcIsClient = (flags & MPA_TH_ACK) == 0;
  else if (is_server(a, s->v6, s->dst0, s->dst1, s->dst2, s->dst3, s->dport)) srcIsClient = 1;
  else if (is_server(a, s->v6, s->src0, s->src1, s->src2, s->src3, s->sport)) srcIsClient = 0;
  else srcIsClient = guess_server_port(s->dport, s->sport);
  Subflow *sf = take_subflow();
  sf->uid = a->nextUid++;
  sf->key = flow_key(s);
  sf->v6 = (uint8_t)s->v6;
  if (srcIsClient) {
    sf->c0 = s->src0, sf->c1 = s->src1, sf->c2 = s->src2, sf->c3 = s->src3, sf->cport = s->sport;
    sf->s0 = s->dst0, sf->s1 = s->dst1, sf->s2 = s->dst2, sf->s3 = s->dst3, sf->sport = s->dport;
  } else {
    sf->c0 = s->dst0, sf->c1 = s->dst1, sf->c2 = s->dst2, sf->c3 = s->dst3, sf->cport = s->dport;
    sf->s0 = s->src0, sf->s1 = s->src1, sf->s2 = s->src2, sf->s3 = s->src3, sf->sport = s->sport;
  }
  sf->firstTime = sf->lastTime = s->ts;
  table_insert(a, sf);
  a->last = sf;
  a->fromClient = srcIsClient;
  a->subflowCount++;

  if ((flags & (MPA_TH_SYN | MPA_TH_ACK)) == MPA_TH_SYN && (s->mp & MPA_MP_JOIN) && s->joinLen == 12) {
    MapKey k = token_key(s->joinToken);
    Conn *c = map_get(&a->tokens, &k);
    if (c != NULL && !c->done) {
      attach(sf, c);
      // a join towards the client (the server opened it): keep "client" on the phone's side
      if (c->keyClient && c->tokenClient == (double)s->joinToken) {
        flip(sf);
        a->fromClient = !a->fromClient;
      }
      return sf;
    }
    Conn *orphan = new_conn(a, s->ts);
    orphan->mptcp = 1;
    orphan->orphanToken = s->joinToken;
    map_set(&a->orphans, &k, orphan);
    attach(sf, orphan);
    return sf;
  }
  attach(sf, new_conn(a, s->ts));
  return sf;
}

// ---- connections merged, placed, keys learnt ------------------------------------------------

static void merge(Mpa *a, Conn *from, Conn *into, int flipped) {
  ack_move_tcp(from, into, flipped);
  for (int i = 0; i < from->subflowCount; i++) {
    Subflow *sf = from->subflows[i];
    sf->conn = into;
    sf->index = into->subflowCount;
    push_subflow(into, sf);
  }
  if (from->start < into->start) into->start = from->start;
  if (from->end > into->end) into->end = from->end;
  if (from->firstSyn >= 0 && (into->firstSyn < 0 || from->firstSyn < into->firstSyn)) into->firstSyn = from->firstSyn;
  from->subflowCount = 0;
  from->done = 1;
  for (int i = 0; i < from->tokenCount; i++) {
    MapKey k = token_key(from->tokens[i]);
    if (map_get(&a->tokens, &k) == from) map_set(&a->tokens, &k, into);
  }
  for (int i = 0; i < from->tokenCount; i++) add_token(into, from->tokens[i]);
}

static void learn_key(Mpa *a, Conn *conn, int client, const uint8_t *key) {
  if (conn->done || (client ? conn->keyClient : conn->keyServer)) return;
  if (client) conn->keyClient = 1;
  else conn->keyServer = 1;
  int version = conn->version < 0 ? 0 : conn->version;
  uint32_t token, hi, lo;
  mpa_hash_key(key, version, &token, &hi, &lo);
  DataDir *data = &conn->data[client ? UP : DOWN];
  data->idsnHi = hi;
  data->idsnLo = lo;
  data->idsnKnown = 1;
  if (client) conn->tokenClient = token;
  MapKey k = token_key(token);
  Conn *existing = map_get(&a->tokens, &k);
  int firstSynSeen = conn->subflowCount > 0 && SF_UP(conn->subflows[0])->synSeen;
  if (existing != NULL && existing != conn && !existing->done && !firstSynSeen) {
    // the same connection seen from a subflow without its handshake: keep the older one
    merge(a, conn, existing, 0);
    return;
  }
  map_set(&a->tokens, &k, conn);
  add_token(conn, token);
  Conn *orphan = map_get(&a->orphans, &k);
  // (the orphan may be this connection itself: see learnKey in tracker.ts)
  if (orphan != NULL && orphan != conn && !orphan->done) {
    map_delete(&a->orphans, &k);
    // its joins were oriented by their SYN: one with the client's token was opened by the server
    if (client)
      for (int i = 0; i < orphan->subflowCount; i++) flip(orphan->subflows[i]);
    merge(a, orphan, conn, client);
  }
}

static int is_near(Conn *c, int dir, uint32_t hi, uint32_t lo, int wide) {
  const DataDir *data = &c->data[dir];
  if (!data->baseSet) return 0;
  double distance = data_peek(data, hi, lo, wide) - data->last;
  return fabs(distance) < (wide ? PLACE_WINDOW_64 : PLACE_WINDOW_32);
}

static int place(Mpa *a, Subflow *sf, Conn *conn, const MpaSegment *s) {
  int flags = s->dssFlags;
  int hasMap = (flags & MPA_DSS_MAPPING) != 0 && s->dll > 0;
  int hasAck = (flags & MPA_DSS_DATA_ACK) != 0;
  for (int i = 0; i < a->openCount; i++) {
    Conn *cand = a->open[i];
    if (cand == conn || cand->done || !cand->mptcp || cand->subflowCount == 0) continue;
    int sport = cand->subflows[0]->sport;
    if (sport != sf->sport && sport != sf->cport) continue;
    for (int t = 0; t < 2; t++) {
      int fromClient = t == 0 ? a->fromClient : !a->fromClient;
      int dir = fromClient ? UP : DOWN;
      int near = 0;
      if (hasMap) near = is_near(cand, dir, s->dsnHi, s->dsnLo, (flags & MPA_DSS_DSN8) != 0);
      if (!near && hasAck) near = is_near(cand, 1 - dir, s->dataAckHi, s->dataAckLo, (flags & MPA_DSS_DATA_ACK8) != 0);
      if (!near) continue;
      int flipped = fromClient != a->fromClient;
      if (flipped) {
        flip(sf);
        a->fromClient = fromClient;
      }
      merge(a, conn, cand, flipped);
      return 1;
    }
  }
  return 0;
}

// ---- handshake, options, data ----------------------------------------------------------------

static void on_syn(Mpa *a, Subflow *sf, Conn *conn, Dir *d, const MpaSegment *s, int fromClient, int ack) {
  if (!d->synSeen) {
    d->synSeen = 1;
    d->synTime = s->ts;
    d->base = s->seq;
    d->hasBase = 1;
    d->lastRel = 0;
    dir_sent_at(d, 1, s->ts);
  } else {
    // a retransmitted SYN: no RTT sample from it (Karn)
    dir_retransmitted_from(d, 0);
    sf->synRetransmitted = 1;
  }
  if (fromClient && !ack) {
    if (sf->synTime < 0) sf->synTime = s->ts;
    if (conn->firstSyn < 0 || s->ts < conn->firstSyn) conn->firstSyn = s->ts;
  } else if (!fromClient && ack) {
    if (sf->synAckTime < 0) sf->synAckTime = s->ts;
    note_server(a, sf);
  }
}

static void on_dss(Mpa *a, Subflow *sf, Conn *conn, Dir *d, const MpaSegment *s, int fromClient, double rel) {
  conn->mptcp = 1;
  int flags = s->dssFlags;
  if (sf->index == 0 && conn->subflowCount == 1 && !SF_UP(sf)->synSeen && !SF_DOWN(sf)->synSeen && !(conn->keyClient && conn->keyServer) && conn->placementTries < 16) {
    conn->placementTries++;
    if (place(a, sf, conn, s)) {
      conn = sf->conn;
      fromClient = a->fromClient;
      d = fromClient ? SF_UP(sf) : SF_DOWN(sf);
    }
  }
  int dir = fromClient ? UP : DOWN;
  if (flags & MPA_DSS_DATA_ACK) {
    int other = 1 - dir;
    DataDir *data = &conn->data[other];
    double acked = data_rel(data, s->dataAckHi, s->dataAckLo, (flags & MPA_DSS_DATA_ACK8) != 0);
    if (acked > data->acked) {
      if (data->acked > -INFINITY && (acked - data->acked > 1 || !data->dataFin)) ack_add_size(conn, ACK_DATA + other, acked - data->acked);
      data->acked = acked;
      // forget who sent acknowledged data only a while later: until the sender has seen this
      // Data ACK it may still send that data again, on the same subflow or another
      double ts = s->ts;
      if (ts - data->ackDelayTime >= DATA_ACK_DELAY) {
        if (data->ackDelayed > -INFINITY) range_acknowledge(&data->sent, data->ackDelayed);
        data->ackDelayed = acked;
        data->ackDelayTime = ts;
      }
    }
  }
  if (flags & MPA_DSS_MAPPING) {
    if (s->dll == 0) conn->fallback = 1;
    else if (s->payloadLen > 0) {
      if (!d->ssnKnown) {
        // without the SYN, assume the first mapping starts at this segment
        d->ssnDelta = d->synSeen ? 0 : rel - s->ssn;
        d->ssnKnown = 1;
      }
      double guess = (double)s->ssn + d->ssnDelta;
      double start = rel + (double)(int32_t)(js_u32(guess) - js_u32(rel));
      dir_push_mapping(d, start, data_rel(&conn->data[dir], s->dsnHi, s->dsnLo, (flags & MPA_DSS_DSN8) != 0), s->dll);
    }
    if (flags & MPA_DSS_DATA_FIN) conn->data[dir].dataFin = 1;
  }
}

static void on_mptcp(Mpa *a, Subflow *sf, Conn *conn, Dir *d, const MpaSegment *s, int fromClient, double rel, int syn, int ack) {
  int mp = s->mp;
  if (mp & MPA_MP_CAPABLE) {
    conn->mptcp = 1;
    const uint8_t *buf = s->buf;
    if (syn) {
      if (ack) sf->mpCapable = 1;
      if (conn->version < 0 || ack) conn->version = s->mpcVersion;
      if (s->mpcKey1 >= 0) learn_key(a, conn, fromClient, buf + s->mpcKey1);
    } else {
      if (conn->version < 0) conn->version = s->mpcVersion;
      sf->mpCapable = 1;
      if (s->mpcKey1 >= 0) learn_key(a, sf->conn, fromClient, buf + s->mpcKey1);
      if (s->mpcKey2 >= 0) learn_key(a, sf->conn, !fromClient, buf + s->mpcKey2);
      if (s->mpcDll > 0 && s->payloadLen > 0 && !conn->done) {
        // v1: the first data rides on MP_CAPABLE, at relative subflow sequence 1 and DSN IDSN + 1
        DataDir *data = &sf->conn->data[fromClient ? UP : DOWN];
        if (data->idsnKnown) {
          uint32_t lo = data->idsnLo + 1;
          uint32_t hi = lo == 0 ? data->idsnHi + 1 : data->idsnHi;
          if (!d->ssnKnown) {
            d->ssnDelta = d->synSeen ? 0 : rel - 1;
            d->ssnKnown = 1;
          }
          dir_push_mapping(d, 1 + d->ssnDelta, data_rel(data, hi, lo, 1), s->mpcDll);
        }
      }
    }
  }
  if (mp & MPA_MP_JOIN) {
    sf->join = 1;
    if (syn) {
      if (s->joinBackup) sf->backup = 1;
      if (!ack) {
        sf->addrId = s->joinAddrId;
        if (s->joinLen == 12) sf->joinToken = s->joinToken;
      }
    }
  }
  if (mp & MPA_MP_DSS) on_dss(a, sf, sf->conn, d, s, fromClient, rel);
  if (mp & MPA_MP_PRIO) sf->backup = (uint8_t)s->prioBackup;
  if (mp & MPA_MP_FAIL) sf->conn->fallback = 1;
  if (mp & MPA_MP_FASTCLOSE) sf->conn->fastClose = 1;
  if (mp & MPA_MP_ADD_ADDR) sf->conn->addAddr++;
  if (mp & MPA_MP_REMOVE_ADDR) sf->conn->removeAddr++;
}

static void read_proxy_request(Conn *conn, const MpaSegment *s, int fromClient, double rel) {
  if (conn->upPrefix == NULL) conn->upPrefix = mpa_palloc(PREFIX_UP + PREFIX_DOWN);
  uint8_t *prefix = fromClient ? conn->upPrefix : conn->upPrefix + PREFIX_UP;
  int length = fromClient ? PREFIX_UP : PREFIX_DOWN;
  double filled = fromClient ? conn->upFilled : conn->downFilled;
  double start = rel - 1;
  double cap = s->payloadCap;
  if (start > filled || start + cap <= filled || filled >= length) return;
  double to = cap < length - start ? cap : length - start;
  const uint8_t *src = s->buf;
  long j = s->payloadOff + (long)(filled - start);
  for (long i = (long)filled; i < (long)(start + to); i++, j++) prefix[i] = src[j];
  if (fromClient) conn->upFilled = (int)(start + to);
  else conn->downFilled = (int)(start + to);
  MpaProxyRequest found;
  int result = mpa_parse_proxy(conn->upPrefix, conn->upFilled, conn->upPrefix + PREFIX_UP, conn->downFilled, &found);
  if (result == MPA_PROXY_NONE || (result == MPA_PROXY_MORE && conn->upFilled >= PREFIX_UP)) {
    conn->proxyState = 2;
    mpa_pfree(conn->proxyRequest);
    conn->proxyRequest = NULL;
    free_prefixes(conn);
  } else if (result == MPA_PROXY_FOUND) {
    // only the host's bytes: a connection keeps this until it is written
    size_t size = MPA_PROXY_REQUEST_SIZE(&found);
    conn->proxyRequest = mpa_prealloc(conn->proxyRequest, size);
    memcpy(conn->proxyRequest, &found, size);
    conn->proxyState = 1;
    // done once the proxy's reply (whose length may depend on its content) has been read
    int need = found.downBytes > 32 ? found.downBytes : 32;
    if (need > PREFIX_DOWN) need = PREFIX_DOWN;
    if (found.downBytes == 0 || conn->downFilled >= need) {
      conn->proxyState = 2;
      free_prefixes(conn);
    }
  }
}

static void on_data(Subflow *sf, Conn *conn, Dir *d, const MpaSegment *s, int fromClient, double rel, double len) {
  double ts = s->ts;
  double end = rel + len;
  d->bytes += len;
  d->dataPackets++;
  double seen = range_add(&d->sent, rel, end, 0);
  double fresh = len - seen;
  d->retransmitted += seen;
  if (seen == 0) {
    sf->lastNewData = ts;
    dir_sent_at(d, end, ts);
  } else {
    dir_retransmitted_from(d, rel);
  }
  if (fresh > 0) {
    int dir = fromClient ? UP : DOWN;
    double dsn = conn->mptcp && !conn->fallback && d->mapCount > 0 ? dir_dsn_of(d, rel) : NAN;
    if (dsn == dsn) {
      // the fresh bytes are the segment's tail when part of it had been sent before
      RangeSet *set = &conn->data[dir].sent;
      range_add(set, dsn + seen, dsn + len, sf->uid);
      d->reinjected += set->other;
      d->retransmitted += set->same;
      d->unique += fresh - set->other - set->same;
    } else {
      d->unique += fresh;
    }
  }
  blocks_add(&conn->data[fromClient ? UP : DOWN].blocks, sf->uid);
  conn->lastData = ts;
  if (!fromClient) conn->lastDownData = ts;
  if (conn->proxyState != 2 && rel <= (fromClient ? PREFIX_UP : PREFIX_DOWN) && sf->index == 0 && d->synSeen) read_proxy_request(conn, s, fromClient, rel);
}

// ---- end of connections -----------------------------------------------------------------------

// the connection's lines are written; it stays where it is until it is freed
static void write_conn(Mpa *a, Conn *conn) {
  conn->done = 1;
  if (conn->subflowCount > 0) records_write(a, conn);
}

// taken out of the tables, then written
static void finish(Mpa *a, Conn *conn) {
  for (int i = 0; i < conn->subflowCount; i++) unlink_sf(a, conn->subflows[i]);
  for (int i = 0; i < conn->tokenCount; i++) {
    MapKey k = token_key(conn->tokens[i]);
    if (map_get(&a->tokens, &k) == conn) map_delete(&a->tokens, &k);
  }
  if (conn->orphanToken >= 0) {
    MapKey k = token_key((uint32_t)conn->orphanToken);
    if (map_get(&a->orphans, &k) == conn) map_delete(&a->orphans, &k);
  }
  write_conn(a, conn);
}

static void sweep(Mpa *a, double now) {
  a->nextSweep = now + SWEEP_INTERVAL;
  double grace = a->config.graceSeconds, idleMax = a->config.idleSeconds;
  int keep = 0;
  for (int i = 0; i < a->openCount; i++) {
    Conn *conn = a->open[i];
    if (conn->done) {
      free_conn(a, conn);
      continue;
    }
    double idle = now - conn->lastActivity;
    if ((idle > grace && is_closed(conn)) || idle > idleMax) {
      finish(a, conn);
      free_conn(a, conn);
      continue;
    }
    a->open[keep++] = conn;
  }
  a->openCount = keep;
}

static void segment(Mpa *a, MpaSegment *s) {
  double ts = s->ts;
  if (ts >= a->nextSweep) sweep(a, ts);
  int flags = s->flags;
  Subflow *sf = lookup(a, s);
  if (sf != NULL && (flags & (MPA_TH_SYN | MPA_TH_ACK)) == MPA_TH_SYN && is_new_incarnation(a, sf, s)) {
    unlink_sf(a, sf);
    sf = NULL;
  }
  if (sf == NULL) sf = create(a, s);
  int fromClient = a->fromClient;
  Conn *conn = sf->conn;
  Dir *d = fromClient ? SF_UP(sf) : SF_DOWN(sf);
  Dir *o = fromClient ? SF_DOWN(sf) : SF_UP(sf);

  if (ts > sf->lastTime) sf->lastTime = ts;
  if (ts > conn->end) conn->end = ts;
  if (ts < conn->start) conn->start = ts;
  conn->lastActivity = ts;
  d->packets++;

  int syn = (flags & MPA_TH_SYN) != 0;
  int ackFlag = (flags & MPA_TH_ACK) != 0;
  int rst = (flags & MPA_TH_RST) != 0;
  if (syn) on_syn(a, sf, conn, d, s, fromClient, ackFlag);
  else if (!d->hasBase) {
    // first packet of this direction without its SYN: count from one before it
    d->base = s->seq - 1;
    d->hasBase = 1;
    d->lastRel = 1;
  }
  // a RST may carry any sequence number: it must not move the reference for unwrapping
  double seqRel = dir_peek_rel(d, s->seq);
  if (!rst) d->lastRel = seqRel;
  double rel = seqRel + (syn ? 1 : 0);

  if (s->mp != 0) {
    if (s->mp == MPA_MP_DSS) on_dss(a, sf, conn, d, s, fromClient, rel);
    else on_mptcp(a, sf, conn, d, s, fromClient, rel, syn, ackFlag);
    if (sf->conn != conn || a->fromClient != fromClient) {
      // the subflow turned out to belong to another connection, or to face the other way
      conn = sf->conn;
      fromClient = a->fromClient;
      d = fromClient ? SF_UP(sf) : SF_DOWN(sf);
      o = fromClient ? SF_DOWN(sf) : SF_UP(sf);
    }
  } else if (syn && ackFlag && conn->mptcp && sf->index == 0 && !sf->mpCapable && SF_UP(sf)->synSeen) {
    // the server answered an MP_CAPABLE SYN without it
    conn->fallback = 1;
  }

  double len = s->payloadLen;
  if (len > 0) on_data(sf, conn, d, s, fromClient, rel, len);

  if (ackFlag && o->hasBase) {
    double ack = dir_peek_rel(o, s->ack);
    if (ack > o->acked) {
      // the ACK of the SYN (nothing acknowledged before) or of a FIN alone carries no data
      if (o->acked > -INFINITY && (ack - o->acked > 1 || !o->fin)) ack_add_size(conn, ACK_TCP + (fromClient ? DOWN : UP), ack - o->acked);
      o->acked = ack;
      range_acknowledge(&o->sent, ack);
      dir_acked_at(o, ack, ts);
    }
    if (!sf->established && !syn && !rst) {
      // the third ACK, or (handshake not captured) traffic from both sides
      Dir *up = SF_UP(sf), *down = SF_DOWN(sf);
      if (fromClient ? down->synSeen || (down->packets > 0 && !up->synSeen) : !down->synSeen && up->packets > 0) {
        sf->established = 1;
        sf->establishedTime = ts;
      }
    }
  }
  if (fromClient && ackFlag && !rst) sf->lastClientAck = ts;
  if (rst) {
    d->rst = 1;
    sf->rst = 1;
  }
  if (flags & MPA_TH_FIN) d->fin = 1;
  if ((flags & (MPA_TH_FIN | MPA_TH_RST)) && sf_closed(sf)) {
    dir_release(SF_UP(sf));
    dir_release(SF_DOWN(sf));
  }
}

// ---- the API ----------------------------------------------------------------------------------

Mpa *mpa_new(const MpaConfig *config) {
  mpa_pool_retain();
  Mpa *a = mpa_xcalloc(sizeof *a);
  a->config = *config;
  size_t n = sizeof(MpaCidr) * (size_t)config->wifiCount;
  a->config.wifi = mpa_xmalloc(n);
  if (n) memcpy(a->config.wifi, config->wifi, n);
  n = sizeof(MpaCidr) * (size_t)config->cellularCount;
  a->config.cellular = mpa_xmalloc(n);
  if (n) memcpy(a->config.cellular, config->cellular, n);
  uint8_t *text = mpa_xmalloc(config->proxyTextLen);
  if (config->proxyTextLen) memcpy(text, config->proxyText, config->proxyTextLen);
  a->config.proxyText = text;
  n = sizeof(double) * MPA_PROXY_FIELDS * (size_t)config->proxyCount;
  double *meta = mpa_xmalloc(n);
  if (n) memcpy(meta, config->proxyMeta, n);
  a->config.proxyMeta = meta;
  proxy_log_index(a);
  a->bucketMask = 1023;
  a->buckets = mpa_xcalloc(1024 * sizeof(Subflow *));
  map_init(&a->tokens);
  map_init(&a->orphans);
  map_init(&a->servers);
  a->nextSweep = -INFINITY;
  a->seg.mpcKey1 = a->seg.mpcKey2 = -1;
  a->seg.ts = 0.5;
  return a;
}

void mpa_frame(Mpa *a, const uint8_t *frame, int caplen, int64_t wirelen, int linktype, double ts) {
  MpaSummary *sum = &a->summary;
  sum->read++;
  int r = mpa_decode(&a->seg, frame, caplen, wirelen, linktype);
  if (r == MPA_TCP) {
    sum->tcp++;
    a->seg.ts = ts;
    segment(a, &a->seg);
  } else if (r == MPA_NOT_TCP) sum->notTcp++;
  else if (r == MPA_TRUNCATED) sum->truncated++;
  else sum->malformed++;
}

static void prefetch_lines(const void *p, size_t bytes) {
  for (size_t at = 0; at < bytes; at += 64) __builtin_prefetch((const char *)p + at);
}

// The state of connection i + 2 to the cache, and that of i + 1's subflows (whose addresses are
// in its state): at the end of a trace every connection left is cold, and writing one is short.
static void prefetch_ahead(Mpa *a, int i) {
  if (i + 2 < a->openCount) prefetch_lines(a->open[i + 2], sizeof(Conn));
  if (i + 1 < a->openCount) {
    const Conn *next = a->open[i + 1];
    for (int k = 0; k < next->subflowCount && k < 4; k++) prefetch_lines(next->subflows[k], sizeof(Subflow));
    if (next->ackSizes != NULL) prefetch_lines(next->ackSizes, (size_t)next->ackCount * sizeof(double));
  }
}

void mpa_finish_all(Mpa *a) {
  // every connection is written and the tables are emptied whole: none is taken out of them one
  // by one (finish's lookups would miss the cache for each)
  for (int i = 0; i < a->openCount; i++) {
    prefetch_ahead(a, i);
    Conn *conn = a->open[i];
    if (!conn->done) write_conn(a, conn);
  }
  a->last = NULL;
  memset(a->buckets, 0, (a->bucketMask + 1) * sizeof(Subflow *));
  a->subflowsInTable = 0;
  map_clear(&a->tokens);
  map_clear(&a->orphans);
  for (int i = 0; i < a->openCount; i++) free_conn(a, a->open[i]);
  a->openCount = 0;
}

void mpa_next_trace(Mpa *a) {
  mpa_finish_all(a);
  a->trace++;
}

MpaBuf *mpa_connections_out(Mpa *a) { return &a->connectionsOut; }
MpaBuf *mpa_subflows_out(Mpa *a) { return &a->subflowsOut; }
const MpaSummary *mpa_summary(const Mpa *a) { return &a->summary; }

void mpa_free(Mpa *a) {
  if (a == NULL) return;
  for (int i = 0; i < a->openCount; i++) free_conn(a, a->open[i]);
  free(a->open);
  free(a->buckets);
  map_free(&a->tokens);
  map_free(&a->orphans);
  map_free(&a->servers);
  mpa_buf_free(&a->connectionsOut);
  mpa_buf_free(&a->subflowsOut);
  free(a->summary.ports);
  free(a->config.wifi);
  free(a->config.cellular);
  free((void *)a->config.proxyText);
  free((void *)a->config.proxyMeta);
  free(a->proxyOrder);
  free(a->proxyUsed);
  mpa_buf_free(&a->scratch);
  free(a);
  mpa_pool_release();
}
