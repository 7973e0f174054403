// The native analyzer (mplab analyze's engine for directory output): the same decoding, tracking
// and records as analysis/*.ts, in C, with byte-identical output. Shared declarations.
#ifndef MPLAB_MPA_H
#define MPLAB_MPA_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// ---- byte order -------------------------------------------------------------------------------

// the 32-bit number at b, little endian when le, else big endian: one unaligned load and, for the
// other order, a byte swap (four loads, shifts and ors cost decoding 80 instructions a packet)
static inline uint32_t mpa_load_u32(const uint8_t *b, int le) {
  uint32_t v;
  memcpy(&v, b, 4);
  return le ? v : __builtin_bswap32(v);
}

// ---- byte buffer ------------------------------------------------------------------------------

typedef struct MpaBuf {
  uint8_t *p;
  size_t len;
  size_t cap;
} MpaBuf;

// room for `extra` more bytes
static inline void mpa_buf_reserve(MpaBuf *b, size_t extra) {
  if (b->cap - b->len >= extra) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < extra) cap *= 2;
  uint8_t *p = realloc(b->p, cap);
  if (!p) abort();
  b->p = p;
  b->cap = cap;
}
static inline void mpa_buf_free(MpaBuf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}
static inline void mpa_put_raw(MpaBuf *b, const char *s, size_t n) {
  mpa_buf_reserve(b, n);
  memcpy(b->p + b->len, s, n);
  b->len += n;
}
// a C string as it is (no quoting)
static inline void mpa_put_str(MpaBuf *b, const char *s) { mpa_put_raw(b, s, strlen(s)); }
static inline void mpa_put_char(MpaBuf *b, char c) {
  mpa_buf_reserve(b, 1);
  b->p[b->len++] = (uint8_t)c;
}
// a double as JavaScript's Number.prototype.toString (and JSON.stringify) writes it; null for NaN
// and the infinities (JSON.stringify's way)
void mpa_put_num(MpaBuf *b, double x);
// a double that JavaScript computed as Math.round(y * 10^decimals) / 10^decimals: same text as
// mpa_put_num, but fast (no shortest-digits search) whenever that is provably the same
void mpa_put_rounded(MpaBuf *b, double x, int decimals);
// bytes read as Latin-1 (one byte, one UTF-16 unit), as JSON.stringify writes that string: quoted,
// escaped, UTF-8
void mpa_put_json_latin1(MpaBuf *b, const uint8_t *s, size_t n);
// addresses as analysis/address.ts formats them: IPv4 as one word, IPv6 as four (most significant first)
void mpa_put_ipv4(MpaBuf *b, uint32_t a);
void mpa_put_ipv6(MpaBuf *b, uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3);
void mpa_put_endpoint(MpaBuf *b, int v6, uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3, int port);

// ---- decoding (analysis/decode.ts) ------------------------------------------------------------

enum { MPA_NOT_TCP = 0, MPA_TCP = 1, MPA_TRUNCATED = 2, MPA_MALFORMED = 3 };

#define MPA_TH_FIN 0x01
#define MPA_TH_SYN 0x02
#define MPA_TH_RST 0x04
#define MPA_TH_ACK 0x10

#define MPA_MP_CAPABLE (1 << 0)
#define MPA_MP_JOIN (1 << 1)
#define MPA_MP_DSS (1 << 2)
#define MPA_MP_ADD_ADDR (1 << 3)
#define MPA_MP_REMOVE_ADDR (1 << 4)
#define MPA_MP_PRIO (1 << 5)
#define MPA_MP_FAIL (1 << 6)
#define MPA_MP_FASTCLOSE (1 << 7)
#define MPA_MP_TCPRST (1 << 8)

#define MPA_DSS_DATA_ACK 0x01
#define MPA_DSS_DATA_ACK8 0x02
#define MPA_DSS_MAPPING 0x04
#define MPA_DSS_DSN8 0x08
#define MPA_DSS_DATA_FIN 0x10

// One decoded segment; offsets are from `buf`, the frame's first byte. Fields keep their values
// from earlier frames where decode.ts leaves them (it reuses one Segment): never cleared.
typedef struct MpaSegment {
  const uint8_t *buf;
  double ts;
  int v6;
  uint32_t src0, src1, src2, src3;
  uint32_t dst0, dst1, dst2, dst3;
  int sport, dport;
  uint32_t seq, ack;
  int flags;
  int64_t payloadLen;  // from the IP header: may exceed the int range with a damaged original length
  int payloadOff;
  int payloadCap;
  int optionsCut;
  int mp;
  int mpcVersion;
  int mpcFlags;
  int mpcKey1;  // offsets of the keys, -1 when absent
  int mpcKey2;
  int mpcDll;
  int joinLen;
  int joinBackup;
  int joinAddrId;
  uint32_t joinToken;
  int dssFlags;
  uint32_t dataAckHi, dataAckLo;
  uint32_t dsnHi, dsnLo;
  uint32_t ssn;
  int dll;
  int prioBackup;
} MpaSegment;

// decodeFrame() of decode.ts for the frame at `buf` (caplen bytes captured, wirelen on the wire)
int mpa_decode(MpaSegment *seg, const uint8_t *buf, int caplen, int64_t wirelen, int linktype);

// ---- MPTCP keys (analysis/key-hash.ts) ---------------------------------------------------------

// token and IDSN of the 8-byte key at `key`: SHA-256 for version >= 1, else SHA-1
void mpa_hash_key(const uint8_t *key, int version, uint32_t *token, uint32_t *idsnHi, uint32_t *idsnLo);

// ---- proxy requests (analysis/socks.ts) --------------------------------------------------------

enum { MPA_PROXY_MORE = 0, MPA_PROXY_NONE = 1, MPA_PROXY_FOUND = 2 };
enum { MPA_SOCKS5 = 1, MPA_SOCKS4 = 2, MPA_SHADOWSOCKS = 3, MPA_HTTP_CONNECT = 4 };

typedef struct MpaProxyRequest {
  int protocol;
  int hostLen;
  int port;
  int upBytes;
  int downBytes;
  // the host as the string socks.ts makes: its UTF-16 units are Latin-1 bytes here. Last, so that
  // a copy can keep only the hostLen bytes used (MPA_PROXY_REQUEST_SIZE).
  uint8_t host[520];
} MpaProxyRequest;

#define MPA_PROXY_REQUEST_SIZE(r) (offsetof(MpaProxyRequest, host) + (size_t)(r)->hostLen)

int mpa_parse_proxy(const uint8_t *up, int upLen, const uint8_t *down, int downLen, MpaProxyRequest *out);

// ---- the analyzer ------------------------------------------------------------------------------

typedef struct MpaCidr {
  // in IPv6 form: an IPv4 address or subnet as ::ffff:a.b.c.d (/96 + its prefix), as node's
  // BlockList matches the two families against each other
  uint32_t w[4];
  int prefix;
} MpaCidr;

typedef struct MpaConfig {
  double graceSeconds;
  double idleSeconds;
  MpaCidr *wifi;
  int wifiCount;
  MpaCidr *cellular;
  int cellularCount;
  // called whenever connectionsOut holds more than MPA_DRAIN_BYTES (also in the middle of
  // mpa_finish_all, which may write tens of thousands of connections): the caller writes both
  // buffers out and empties them; NULL to let them grow
  void (*drain)(void *ctx);
  void *drainCtx;
  // the proxy log to join (proxy-log.ts): proxyCount entries, each MPA_PROXY_FIELDS numbers of
  // proxyMeta (MPA_PM_*) pointing into proxyText; copied by mpa_new. No entries: no join.
  const uint8_t *proxyText;
  size_t proxyTextLen;
  const double *proxyMeta;
  int proxyCount;
  double proxyTolerance;
} MpaConfig;

// one proxy-log entry in MpaConfig.proxyMeta: its start, its client "ip:port", the JSON of its
// target (length -1: null), the JSON of the connection record's "proxy" field (records.ts
// proxyJoin), and its target's port for the summary (hasPort 0: none)
enum { MPA_PM_START, MPA_PM_CLIENT_OFF, MPA_PM_CLIENT_LEN, MPA_PM_TARGET_OFF, MPA_PM_TARGET_LEN, MPA_PM_PROXY_OFF, MPA_PM_PROXY_LEN, MPA_PM_HAS_PORT, MPA_PM_PORT, MPA_PROXY_FIELDS };

#define MPA_DRAIN_BYTES (1 << 20)

typedef struct MpaUpDown {
  double up, down;
} MpaUpDown;

typedef struct MpaPortCount {
  int hasPort;  // 0: no target (null)
  double port;
  double connections;
  MpaUpDown bytes;
} MpaPortCount;

// what summary.ts's SummaryBuilder.addConnection adds up, and the packet counts
typedef struct MpaSummary {
  double read, tcp, notTcp, truncated, malformed;
  double total, mptcp, tcpConns, fallback, established, failed, empty, handover;
  double subflows;
  double subtraceConnections[4];  // T0..T3
  MpaUpDown subtraceBytes[4];
  double counts[6];  // subflows per connection: 1, 2, 3, 4, 5, >5
  MpaPortCount *ports;  // in order of first appearance
  int portCount, portCap;
  MpaUpDown bytes, uniqueBytes, retransmittedBytes, reinjectedBytes;
  double proxyLogMatched;
} MpaSummary;

typedef struct Mpa Mpa;

Mpa *mpa_new(const MpaConfig *config);
void mpa_free(Mpa *a);
// one frame read by the capture reader
// wirelen: the record's original length, up to 2^32 - 1 (pcapng)
void mpa_frame(Mpa *a, const uint8_t *frame, int caplen, int64_t wirelen, int linktype, double ts);
// Tracker.finishAll(): every connection still open is written
void mpa_finish_all(Mpa *a);
// finishAll(), then the next file is a trace of its own (Tracker.trace++)
void mpa_next_trace(Mpa *a);
// the JSON lines written so far (the caller writes them out and empties the buffers)
MpaBuf *mpa_connections_out(Mpa *a);
MpaBuf *mpa_subflows_out(Mpa *a);
const MpaSummary *mpa_summary(const Mpa *a);

#endif
