// Port of analysis/records.ts and DirectoryOutput's lines (output.ts): a finished connection as
// one line of connections.jsonl and one line of subflows.jsonl per subflow, byte for byte what
// JSON.stringify writes for the TypeScript records; and summary.ts's addConnection.
#define _GNU_SOURCE  // qsort_r
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "analyzer-state.h"

enum { IFACE_NONE = 0, IFACE_WIFI = 1, IFACE_CELLULAR = 2 };

// JavaScript's Math.round: the nearest integer, halves towards +infinity
static double js_round(double x) {
  double r = floor(x);
  return x - r >= 0.5 ? r + 1 : r;
}

static double round6(double x) { return js_round(x * 1e6) / 1e6; }
static double round3(double x) { return js_round(x * 1000) / 1000; }

#define LIT(b, s) mpa_put_raw((b), (s), sizeof(s) - 1)

static void put_bool(MpaBuf *b, int v) {
  if (v) LIT(b, "true");
  else LIT(b, "false");
}

static void put_up_down(MpaBuf *b, double up, double down) {
  LIT(b, "{\"up\":");
  mpa_put_num(b, up);
  LIT(b, ",\"down\":");
  mpa_put_num(b, down);
  mpa_put_char(b, '}');
}

static int cidr_match(const MpaCidr *c, const uint32_t w[4]) {
  int bits = c->prefix;
  for (int i = 0; i < 4 && bits > 0; i++, bits -= 32) {
    uint32_t mask = bits >= 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
    if ((w[i] & mask) != (c->w[i] & mask)) return 0;
  }
  return 1;
}

static int in_list(const MpaCidr *list, int n, const uint32_t w[4]) {
  for (int i = 0; i < n; i++)
    if (cidr_match(&list[i], w)) return 1;
  return 0;
}

// InterfaceClassifier.classify of the subflow's client address
static int classify(const MpaConfig *cfg, const Subflow *sf) {
  uint32_t w[4];
  if (sf->v6) {
    w[0] = sf->c0, w[1] = sf->c1, w[2] = sf->c2, w[3] = sf->c3;
  } else {
    w[0] = 0, w[1] = 0, w[2] = 0xffff, w[3] = sf->c0;
  }
  if (in_list(cfg->wifi, cfg->wifiCount, w)) return IFACE_WIFI;
  if (in_list(cfg->cellular, cfg->cellularCount, w)) return IFACE_CELLULAR;
  return IFACE_NONE;
}

static int used(const Subflow *sf) { return SF_UP(sf)->bytes > 0 || SF_DOWN(sf)->bytes > 0; }

// metrics.ts hasHandover
static int has_handover(const Conn *c) {
  for (int i = 0; i < c->subflowCount; i++) {
    const Subflow *k = c->subflows[i];
    if (!used(k) || SF_UP(k)->fin || k->lastClientAck < 0) continue;
    for (int j = 0; j < c->subflowCount; j++) {
      const Subflow *l = c->subflows[j];
      if (!used(l) || l == k) continue;
      if (l->lastClientAck > k->lastClientAck && l->lastNewData > k->lastClientAck) return 1;
    }
  }
  return 0;
}

static void put_rtt(MpaBuf *b, const Dir *d) {
  if (d->rttSamples == 0) {
    LIT(b, "{\"avgMs\":null,\"minMs\":null,\"maxMs\":null,\"stdMs\":null,\"samples\":0}");
    return;
  }
  double avg = d->rttSum / d->rttSamples;
  double variance = d->rttSumSq / d->rttSamples - avg * avg;
  if (variance < 0) variance = 0;  // Math.max(0, v): NaN stays NaN
  LIT(b, "{\"avgMs\":");
  mpa_put_rounded(b, round3(avg), 3);
  LIT(b, ",\"minMs\":");
  mpa_put_rounded(b, round3(d->rttMin), 3);
  LIT(b, ",\"maxMs\":");
  mpa_put_rounded(b, round3(d->rttMax), 3);
  LIT(b, ",\"stdMs\":");
  mpa_put_rounded(b, round3(sqrt(variance)), 3);
  LIT(b, ",\"samples\":");
  mpa_put_num(b, d->rttSamples);
  mpa_put_char(b, '}');
}

static void put_connect_rtt(MpaBuf *b, const Subflow *sf) {
  if (sf->synTime < 0 || sf->synAckTime < sf->synTime || sf->establishedTime < sf->synAckTime || sf->synRetransmitted) {
    LIT(b, "null");
    return;
  }
  double a = sf->synAckTime - sf->synTime, c = sf->establishedTime - sf->synAckTime;
  mpa_put_rounded(b, js_round((a > c ? a : c) * 1e6) / 1e3, 3);
}

static void put_client(MpaBuf *b, const Subflow *sf) { mpa_put_endpoint(b, sf->v6, sf->c0, sf->c1, sf->c2, sf->c3, sf->cport); }
static void put_server(MpaBuf *b, const Subflow *sf) { mpa_put_endpoint(b, sf->v6, sf->s0, sf->s1, sf->s2, sf->s3, sf->sport); }

static const char *const IFACE_JSON[] = {"null", "\"wifi\"", "\"cellular\""};

static void put_subflow(Mpa *a, const Conn *conn, const Subflow *sf, int iface, double bestUsedRtt) {
  MpaBuf *b = &a->subflowsOut;
  const Dir *up = SF_UP(sf), *down = SF_DOWN(sf);
  int isUsed = used(sf);
  const char *reason = "null";
  if (!isUsed && sf->index > 0) {
    if (sf->backup) reason = "\"backup\"";
    else if (!sf->established) reason = "\"not-established\"";
    else if (conn->lastDownData >= 0 && sf->establishedTime > conn->lastDownData) reason = "\"late\"";
    else if (down->rttSamples > 0 && down->rttSum / down->rttSamples > bestUsedRtt) reason = "\"higher-rtt\"";
    else reason = "\"other\"";
  }
  LIT(b, "{\"connection\":");
  mpa_put_num(b, conn->id);
  LIT(b, ",\"trace\":");
  mpa_put_num(b, conn->trace);
  LIT(b, ",\"index\":");
  mpa_put_num(b, sf->index);
  LIT(b, ",\"client\":\"");
  put_client(b, sf);
  LIT(b, "\",\"server\":\"");
  put_server(b, sf);
  LIT(b, "\",\"iface\":");
  mpa_put_str(b, IFACE_JSON[iface]);
  LIT(b, ",\"start\":");
  mpa_put_rounded(b, round6(sf->firstTime), 6);
  LIT(b, ",\"end\":");
  mpa_put_rounded(b, round6(sf->lastTime), 6);
  LIT(b, ",\"joinDelay\":");
  if (sf->index > 0 && sf->synTime >= 0 && conn->firstSyn >= 0) mpa_put_rounded(b, round6(sf->synTime - conn->firstSyn), 6);
  else LIT(b, "null");
  LIT(b, ",\"synSeen\":");
  put_bool(b, up->synSeen || down->synSeen);
  LIT(b, ",\"established\":");
  put_bool(b, sf->established);
  LIT(b, ",\"join\":");
  put_bool(b, sf->join);
  LIT(b, ",\"addrId\":");
  if (sf->addrId >= 0) mpa_put_num(b, sf->addrId);
  else LIT(b, "null");
  LIT(b, ",\"backup\":");
  put_bool(b, sf->backup);
  LIT(b, ",\"packets\":");
  put_up_down(b, up->packets, down->packets);
  LIT(b, ",\"dataPackets\":");
  put_up_down(b, up->dataPackets, down->dataPackets);
  LIT(b, ",\"bytes\":");
  put_up_down(b, up->bytes, down->bytes);
  LIT(b, ",\"uniqueBytes\":");
  put_up_down(b, up->unique, down->unique);
  LIT(b, ",\"retransmittedBytes\":");
  put_up_down(b, up->retransmitted, down->retransmitted);
  LIT(b, ",\"reinjectedBytes\":");
  put_up_down(b, up->reinjected, down->reinjected);
  LIT(b, ",\"rtt\":");
  put_rtt(b, down);
  LIT(b, ",\"rttUp\":");
  put_rtt(b, up);
  LIT(b, ",\"used\":");
  put_bool(b, isUsed);
  LIT(b, ",\"unusedReason\":");
  mpa_put_str(b, reason);
  LIT(b, ",\"fin\":{\"up\":");
  put_bool(b, up->fin);
  LIT(b, ",\"down\":");
  put_bool(b, down->fin);
  LIT(b, "},\"rst\":");
  put_bool(b, sf->rst);
  LIT(b, ",\"connectRttMs\":");
  put_connect_rtt(b, sf);
  LIT(b, "}\n");
}

// the bins of the connection's ACK sizes under `key`, smallest first, as [low, ACKs, bytes]
static void put_bins(MpaBuf *b, const Conn *c, int key) {
  int idx[64];
  int n = 0;
  int *many = NULL;
  int *list = idx;
  for (int i = 0; i < c->ackCount; i += 3) {
    int slot = (int)c->ackSizes[i];
    if ((slot & 3) != key) continue;
    if (n == 64 && many == NULL) {
      many = mpa_xmalloc((size_t)c->ackCount * sizeof(int));
      memcpy(many, idx, sizeof idx);
      list = many;
    }
    // insertion by bin
    int k = n++;
    while (k > 0 && ((int)c->ackSizes[list[k - 1]] >> 2) > (slot >> 2)) {
      list[k] = list[k - 1];
      k--;
    }
    list[k] = i;
  }
  mpa_put_char(b, '[');
  for (int k = 0; k < n; k++) {
    const double *e = &c->ackSizes[list[k]];
    if (k > 0) mpa_put_char(b, ',');
    mpa_put_char(b, '[');
    mpa_put_num(b, ack_bin_low((int)e[0] >> 2));
    mpa_put_char(b, ',');
    mpa_put_num(b, e[1]);
    mpa_put_char(b, ',');
    mpa_put_num(b, e[2]);
    mpa_put_char(b, ']');
  }
  mpa_put_char(b, ']');
  free(many);
}

static void put_blocks(MpaBuf *b, const Blocks *bl) {
  mpa_put_char(b, '[');
  for (int i = 0; i < bl->count; i++) {
    if (i > 0) mpa_put_char(b, ',');
    mpa_put_num(b, bl->sizes[i]);
  }
  if (bl->current > 0) {
    if (bl->count > 0) mpa_put_char(b, ',');
    mpa_put_num(b, bl->current);
  }
  mpa_put_char(b, ']');
}

static const char *const PROTOCOL_JSON[] = {"null", "\"socks5\"", "\"socks4\"", "\"shadowsocks\"", "\"http-connect\""};

// cellularShare's one direction: NAN for null
static double cellular_share(const Conn *c, const int *ifaces, int down) {
  double total = 0, cellular = 0;
  for (int i = 0; i < c->subflowCount; i++) {
    const Subflow *sf = c->subflows[i];
    double n = down ? SF_DOWN(sf)->bytes : SF_UP(sf)->bytes;
    if (n == 0) continue;
    if (ifaces[i] == IFACE_NONE) return NAN;
    total += n;
    if (ifaces[i] == IFACE_CELLULAR) cellular += n;
  }
  return total == 0 ? NAN : round6(cellular / total);
}

static void put_share(MpaBuf *b, double share) {
  if (share != share) LIT(b, "null");
  else mpa_put_rounded(b, share, 6);
}

static void add_up_down(MpaUpDown *t, double up, double down) {
  t->up += up;
  t->down += down;
}

static void add_to_summary(Mpa *a, const Conn *conn, int established, int failed, int empty, int handover, int t1, int t2, const MpaUpDown sums[4], int hasPort, double port) {
  MpaSummary *s = &a->summary;
  s->total++;
  if (conn->mptcp) s->mptcp++;
  else s->tcpConns++;
  if (conn->mptcp && conn->fallback) s->fallback++;
  if (established) s->established++;
  if (failed) s->failed++;
  if (empty) s->empty++;
  if (handover) s->handover++;
  s->subflows += conn->subflowCount;
  int flags[4] = {1, t1, t2, handover};
  for (int i = 0; i < 4; i++) {
    if (!flags[i]) continue;
    s->subtraceConnections[i]++;
    add_up_down(&s->subtraceBytes[i], sums[0].up, sums[0].down);
  }
  s->counts[conn->subflowCount > 5 ? 5 : conn->subflowCount - 1]++;
  MpaPortCount *p = NULL;
  // a Map keyed by the port or null: SameValueZero (0 and -0 alike; JSON has no NaN)
  for (int i = 0; i < s->portCount; i++)
    if (s->ports[i].hasPort == hasPort && (!hasPort || s->ports[i].port == port)) {
      p = &s->ports[i];
      break;
    }
  if (p == NULL) {
    if (s->portCount == s->portCap) {
      s->portCap = s->portCap ? 2 * s->portCap : 16;
      s->ports = mpa_xrealloc(s->ports, (size_t)s->portCap * sizeof(MpaPortCount));
    }
    p = &s->ports[s->portCount++];
    memset(p, 0, sizeof *p);
    p->hasPort = hasPort;
    p->port = port;
  }
  p->connections++;
  add_up_down(&p->bytes, sums[0].up, sums[0].down);
  add_up_down(&s->bytes, sums[0].up, sums[0].down);
  add_up_down(&s->uniqueBytes, sums[1].up, sums[1].down);
  add_up_down(&s->retransmittedBytes, sums[2].up, sums[2].down);
  add_up_down(&s->reinjectedBytes, sums[3].up, sums[3].down);
}

// ---- the proxy log (proxy-log.ts) ---------------------------------------------------------------

static const double *pm(const Mpa *a, int i) { return a->config.proxyMeta + (size_t)i * MPA_PROXY_FIELDS; }

static int compare_client(const Mpa *a, int i, const uint8_t *client, size_t n) {
  const double *m = pm(a, i);
  size_t len = (size_t)m[MPA_PM_CLIENT_LEN];
  int c = memcmp(a->config.proxyText + (size_t)m[MPA_PM_CLIENT_OFF], client, len < n ? len : n);
  if (c != 0) return c;
  return len < n ? -1 : len > n ? 1 : 0;
}

static int by_client(const void *x, const void *y, void *ctx) {
  const Mpa *a = ctx;
  int i = *(const int *)x, j = *(const int *)y;
  const double *m = pm(a, j);
  int c = compare_client(a, i, a->config.proxyText + (size_t)m[MPA_PM_CLIENT_OFF], (size_t)m[MPA_PM_CLIENT_LEN]);
  return c != 0 ? c : i - j;
}

void proxy_log_index(Mpa *a) {
  int n = a->config.proxyCount;
  a->proxyOrder = mpa_xmalloc((size_t)n * sizeof(int));
  a->proxyUsed = mpa_xcalloc((size_t)n);
  for (int i = 0; i < n; i++) a->proxyOrder[i] = i;
  qsort_r(a->proxyOrder, (size_t)n, sizeof(int), by_client, a);
}

// ProxyLog.match: of the entries of `client` not used yet, the first whose start is nearest `start`
// within the tolerance (used from now on), or -1
static int proxy_match(Mpa *a, const uint8_t *client, size_t n, double start) {
  int lo = 0, hi = a->config.proxyCount;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (compare_client(a, a->proxyOrder[mid], client, n) < 0) lo = mid + 1;
    else hi = mid;
  }
  int best = -1;
  double bestGap = INFINITY;
  for (int k = lo; k < a->config.proxyCount && compare_client(a, a->proxyOrder[k], client, n) == 0; k++) {
    int i = a->proxyOrder[k];
    if (a->proxyUsed[i]) continue;
    double gap = fabs(pm(a, i)[MPA_PM_START] - start);
    if (gap <= a->config.proxyTolerance && gap < bestGap) {
      best = i;
      bestGap = gap;
    }
  }
  if (best < 0) return -1;
  a->proxyUsed[best] = 1;
  a->summary.proxyLogMatched++;
  return best;
}

static void put_proxy_text(MpaBuf *b, const Mpa *a, int entry, int off, int len) {
  const double *m = pm(a, entry);
  mpa_put_raw(b, (const char *)a->config.proxyText + (size_t)m[off], (size_t)m[len]);
}

void records_write(Mpa *a, Conn *conn) {
  const Subflow *first = conn->subflows[0];
  // bytes, unique, retransmitted, reinjected
  MpaUpDown sums[4] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
  int established = first->established;
  int nEstablished = 0, nUsed = 0;
  double bestUsedRtt = INFINITY;
  int known = a->config.wifiCount > 0 || a->config.cellularCount > 0;
  int ifaceStack[16];
  int *ifaces = conn->subflowCount <= 16 ? ifaceStack : mpa_xmalloc((size_t)conn->subflowCount * sizeof(int));
  for (int i = 0; i < conn->subflowCount; i++) {
    const Subflow *sf = conn->subflows[i];
    const Dir *up = SF_UP(sf), *down = SF_DOWN(sf);
    add_up_down(&sums[0], up->bytes, down->bytes);
    add_up_down(&sums[1], up->unique, down->unique);
    add_up_down(&sums[2], up->retransmitted, down->retransmitted);
    add_up_down(&sums[3], up->reinjected, down->reinjected);
    if (sf->established) nEstablished++;
    if (used(sf)) {
      nUsed++;
      if (down->rttSamples > 0 && down->rttSum / down->rttSamples < bestUsedRtt) bestUsedRtt = down->rttSum / down->rttSamples;
    }
    ifaces[i] = known ? classify(&a->config, sf) : IFACE_NONE;
  }

  // the proxy request: parsed once more now that the proxy's reply may have been read too
  MpaProxyRequest again;
  const MpaProxyRequest *request = conn->proxyRequest;
  if (request != NULL && conn->upPrefix != NULL) {
    if (mpa_parse_proxy(conn->upPrefix, conn->upFilled, conn->upPrefix + PREFIX_UP, conn->downFilled, &again) == MPA_PROXY_FOUND) request = &again;
  }
  MpaBuf *client = &a->scratch;
  client->len = 0;
  put_client(client, first);
  int entry = a->config.proxyCount > 0 ? proxy_match(a, client->p, client->len, conn->start) : -1;
  int failed = first->synTime >= 0 && !established;
  int handover = has_handover(conn);
  int empty = established && sums[1].up <= (request ? request->upBytes : 0) && sums[1].down <= (request ? request->downBytes : 0);

  for (int i = 0; i < conn->subflowCount; i++) put_subflow(a, conn, conn->subflows[i], ifaces[i], bestUsedRtt);

  MpaBuf *b = &a->connectionsOut;
  LIT(b, "{\"id\":");
  mpa_put_num(b, conn->id);
  LIT(b, ",\"trace\":");
  mpa_put_num(b, conn->trace);
  mpa_put_str(b, conn->mptcp ? ",\"kind\":\"mptcp\",\"version\":" : ",\"kind\":\"tcp\",\"version\":");
  if (conn->version == 0 || conn->version == 1) mpa_put_num(b, conn->version);
  else LIT(b, "null");
  LIT(b, ",\"fallback\":");
  put_bool(b, conn->mptcp && conn->fallback);
  LIT(b, ",\"client\":\"");
  mpa_put_raw(b, (const char *)client->p, client->len);
  LIT(b, "\",\"server\":\"");
  put_server(b, first);
  LIT(b, "\",\"start\":");
  mpa_put_rounded(b, round6(conn->start), 6);
  LIT(b, ",\"end\":");
  mpa_put_rounded(b, round6(conn->end), 6);
  LIT(b, ",\"duration\":");
  mpa_put_rounded(b, round6(conn->end - conn->start), 6);
  LIT(b, ",\"subflows\":");
  mpa_put_num(b, conn->subflowCount);
  LIT(b, ",\"bytes\":");
  put_up_down(b, sums[0].up, sums[0].down);
  LIT(b, ",\"uniqueBytes\":");
  put_up_down(b, sums[1].up, sums[1].down);
  LIT(b, ",\"retransmittedBytes\":");
  put_up_down(b, sums[2].up, sums[2].down);
  LIT(b, ",\"reinjectedBytes\":");
  put_up_down(b, sums[3].up, sums[3].down);
  LIT(b, ",\"blocks\":{\"up\":");
  put_blocks(b, &conn->data[UP].blocks);
  LIT(b, ",\"down\":");
  put_blocks(b, &conn->data[DOWN].blocks);
  LIT(b, "},\"handover\":");
  put_bool(b, handover);
  LIT(b, ",\"established\":");
  put_bool(b, established);
  LIT(b, ",\"failed\":");
  put_bool(b, failed);
  LIT(b, ",\"empty\":");
  put_bool(b, empty);
  LIT(b, ",\"target\":");
  if (request != NULL) {
    LIT(b, "{\"host\":");
    mpa_put_json_latin1(b, request->host, (size_t)request->hostLen);
    LIT(b, ",\"port\":");
    mpa_put_num(b, request->port);
    mpa_put_char(b, '}');
  } else if (entry >= 0 && pm(a, entry)[MPA_PM_TARGET_LEN] >= 0) put_proxy_text(b, a, entry, MPA_PM_TARGET_OFF, MPA_PM_TARGET_LEN);
  else LIT(b, "null");
  LIT(b, ",\"proxyProtocol\":");
  mpa_put_str(b, PROTOCOL_JSON[request != NULL ? request->protocol : 0]);
  LIT(b, ",\"cellularShare\":");
  if (known) {
    LIT(b, "{\"up\":");
    put_share(b, cellular_share(conn, ifaces, 0));
    LIT(b, ",\"down\":");
    put_share(b, cellular_share(conn, ifaces, 1));
    mpa_put_char(b, '}');
  } else LIT(b, "null");
  LIT(b, ",\"subtraces\":{\"t1\":");
  put_bool(b, nEstablished >= 2);
  LIT(b, ",\"t2\":");
  put_bool(b, nUsed >= 2);
  LIT(b, ",\"t3\":");
  put_bool(b, handover);
  LIT(b, "},\"synSeen\":");
  put_bool(b, first->synTime >= 0);
  LIT(b, ",\"dataFin\":{\"up\":");
  put_bool(b, conn->data[UP].dataFin);
  LIT(b, ",\"down\":");
  put_bool(b, conn->data[DOWN].dataFin);
  LIT(b, "},\"fastClose\":");
  put_bool(b, conn->fastClose);
  LIT(b, ",\"addAddr\":");
  mpa_put_num(b, conn->addAddr);
  LIT(b, ",\"removeAddr\":");
  mpa_put_num(b, conn->removeAddr);
  LIT(b, ",\"proxy\":");
  if (entry >= 0) put_proxy_text(b, a, entry, MPA_PM_PROXY_OFF, MPA_PM_PROXY_LEN);
  else LIT(b, "null");
  LIT(b, ",\"ackSizes\":{\"up\":{\"tcp\":");
  put_bins(b, conn, ACK_TCP + UP);
  LIT(b, ",\"data\":");
  put_bins(b, conn, ACK_DATA + UP);
  LIT(b, "},\"down\":{\"tcp\":");
  put_bins(b, conn, ACK_TCP + DOWN);
  LIT(b, ",\"data\":");
  put_bins(b, conn, ACK_DATA + DOWN);
  LIT(b, "}}}\n");

  int hasPort = request != NULL || (entry >= 0 && pm(a, entry)[MPA_PM_HAS_PORT] != 0);
  double port = request != NULL ? request->port : hasPort ? pm(a, entry)[MPA_PM_PORT] : 0;
  add_to_summary(a, conn, established, failed, empty, handover, nEstablished >= 2, nUsed >= 2, sums, hasPort, port);
  if (ifaces != ifaceStack) free(ifaces);
  if (a->config.drain != NULL && b->len > MPA_DRAIN_BYTES) a->config.drain(a->config.drainCtx);
}
