// A port of decodeFrame() of analysis/decode.ts (link layer, IPv4/IPv6, TCP and MPTCP options).
#include "mpa.h"

// analysis/capture/linktypes.ts
enum {
  LINKTYPE_NULL = 0,
  LINKTYPE_ETHERNET = 1,
  LINKTYPE_PPP = 9,
  LINKTYPE_RAW_BSD = 12,
  LINKTYPE_RAW_OPENBSD = 14,
  LINKTYPE_PPP_HDLC = 50,
  LINKTYPE_RAW = 101,
  LINKTYPE_LOOP = 108,
  LINKTYPE_LINUX_SLL = 113,
  LINKTYPE_IPV4 = 228,
  LINKTYPE_IPV6 = 229,
  LINKTYPE_LINUX_SLL2 = 276,
};

static inline uint32_t u32be(const uint8_t *b, int o) { return mpa_load_u32(b + o, 0); }

static inline int u16be(const uint8_t *b, int o) {
  uint16_t v;
  memcpy(&v, b + o, 2);
  return __builtin_bswap16(v);
}

static int ether_type_version(int type) {
  return type == 0x0800 ? 4 : type == 0x86dd ? 6 : 0;
}

// The IP version the link layer announces, and in *ip where the IP header starts; or -1 - the
// Decoded result when the frame ends before that.
static int link_layer(const uint8_t *buf, int end, int linktype, int *ip) {
  *ip = 0;
  switch (linktype) {
    case LINKTYPE_ETHERNET: {
      *ip = 14;
      if (*ip > end) return -1 - MPA_TRUNCATED;
      int type = u16be(buf, 12);
      // 802.1Q, 802.1ad and the old QinQ tags
      while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
        *ip += 4;
        if (*ip > end) return -1 - MPA_TRUNCATED;
        type = u16be(buf, *ip - 2);
      }
      return ether_type_version(type);
    }
    case LINKTYPE_LINUX_SLL2:
      *ip = 20;
      if (*ip > end) return -1 - MPA_TRUNCATED;
      return ether_type_version(u16be(buf, 0));
    case LINKTYPE_LINUX_SLL:
      *ip = 16;
      if (*ip > end) return -1 - MPA_TRUNCATED;
      return ether_type_version(u16be(buf, 14));
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD:
    case LINKTYPE_RAW_OPENBSD:
      if (*ip >= end) return -1 - MPA_TRUNCATED;
      return buf[*ip] >> 4;
    case LINKTYPE_IPV4:
      return 4;
    case LINKTYPE_IPV6:
      return 6;
    case LINKTYPE_PPP:
    case LINKTYPE_PPP_HDLC: {
      if (2 > end) return -1 - MPA_TRUNCATED;
      if (buf[0] == 0xff && buf[1] == 0x03) *ip += 2;
      if (*ip + 2 > end) return -1 - MPA_TRUNCATED;
      int proto = u16be(buf, *ip);
      *ip += 2;
      return proto == 0x0021 ? 4 : proto == 0x0057 ? 6 : 0;
    }
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      *ip = 4;
      if (*ip > end) return -1 - MPA_TRUNCATED;
      // NULL: host byte order of the writer (JS `buf[0] || buf[3]`); LOOP: network byte order
      uint32_t family = linktype == LINKTYPE_LOOP ? u32be(buf, 0) : buf[0] ? buf[0] : buf[3];
      return family == 2 ? 4 : family == 10 || family == 24 || family == 28 || family == 30 ? 6 : 0;
    }
    default:
      return -1 - MPA_NOT_TCP;
  }
}

// decode.ts's SUBTYPE_BIT: the subtypes present whatever their length
static const uint16_t SUBTYPE_BIT[16] = {
    [1] = MPA_MP_JOIN, [3] = MPA_MP_ADD_ADDR, [4] = MPA_MP_REMOVE_ADDR, [5] = MPA_MP_PRIO,
    [6] = MPA_MP_FAIL, [7] = MPA_MP_FASTCLOSE, [8] = MPA_MP_TCPRST,
};

static void parse_dss(MpaSegment *seg, const uint8_t *buf, int o, int len) {
  if (len < 4) return;
  int flags = buf[o + 3];
  int end = o + len;
  int ackLen = flags & MPA_DSS_DATA_ACK ? (flags & MPA_DSS_DATA_ACK8 ? 8 : 4) : 0;
  int dsnLen = flags & MPA_DSS_MAPPING ? (flags & MPA_DSS_DSN8 ? 8 : 4) : 0;
  int q = o + 4;
  if (ackLen > 0) {
    if (q + ackLen > end) return;
    seg->dataAckHi = ackLen == 8 ? u32be(buf, q) : 0;
    seg->dataAckLo = u32be(buf, q + ackLen - 4);
    q += ackLen;
  }
  if (dsnLen > 0) {
    // the DSN, the subflow sequence number and the data-level length
    if (q + dsnLen + 6 > end) return;
    seg->dsnHi = dsnLen == 8 ? u32be(buf, q) : 0;
    seg->dsnLo = u32be(buf, q + dsnLen - 4);
    q += dsnLen;
    seg->ssn = u32be(buf, q);
    seg->dll = u16be(buf, q + 4);
  }
  seg->dssFlags = flags;
  seg->mp |= MPA_MP_DSS;
}

static void parse_mptcp(MpaSegment *seg, const uint8_t *buf, int o, int len) {
  int subtype = buf[o + 2] >> 4;
  seg->mp |= SUBTYPE_BIT[subtype];
  switch (subtype) {
    case 0:
      if (len < 4) return;
      seg->mp |= MPA_MP_CAPABLE;
      seg->mpcVersion = buf[o + 2] & 0x0f;
      seg->mpcFlags = buf[o + 3];
      seg->mpcKey1 = len >= 12 ? o + 4 : -1;
      seg->mpcKey2 = len >= 20 ? o + 12 : -1;
      seg->mpcDll = len >= 22 ? u16be(buf, o + 20) : 0;
      return;
    case 1:
      seg->joinLen = len;
      seg->joinBackup = (buf[o + 2] & 1) == 1;
      seg->joinAddrId = len >= 4 ? buf[o + 3] : 0;
      seg->joinToken = len == 12 ? u32be(buf, o + 4) : 0;
      return;
    case 2:
      parse_dss(seg, buf, o, len);
      return;
    case 5:
      seg->prioBackup = (buf[o + 2] & 1) == 1;
      return;
    default:
      return;
  }
}

static void parse_options(MpaSegment *seg, const uint8_t *buf, int o, int end, int cut) {
  seg->optionsCut = cut;
  while (o < end) {
    int kind = buf[o];
    if (kind == 0) return;
    if (kind == 1) {
      o++;
      continue;
    }
    if (o + 2 > end) {
      seg->optionsCut = 1;
      return;
    }
    int len = buf[o + 1];
    if (len < 2) return;
    if (o + len > end) {
      seg->optionsCut = 1;
      return;
    }
    if (kind == 30 && len >= 3) parse_mptcp(seg, buf, o, len);
    o += len;
  }
}

// The IPv4 header at ip: sets the addresses, *tcp and *ipEnd; returns -1 or the Decoded result.
static int ipv4(MpaSegment *seg, const uint8_t *buf, int end, int ip, int linkLen, int64_t wirelen, int *tcp, int64_t *ipEnd) {
  if (ip + 20 > end) return MPA_TRUNCATED;
  if (buf[ip] >> 4 != 4) return MPA_MALFORMED;
  if (buf[ip + 9] != 6) return MPA_NOT_TCP;
  // a fragment other than the first holds no TCP header
  if (((buf[ip + 6] & 0x1f) | buf[ip + 7]) != 0) return MPA_NOT_TCP;
  int ihl = (buf[ip] & 0x0f) * 4;
  int64_t total = u16be(buf, ip + 2);
  // 0 when the capture saw a segmentation-offload super-packet
  if (total == 0) total = wirelen - linkLen;
  if (ihl < 20 || total < ihl) return MPA_MALFORMED;
  seg->v6 = 0;
  seg->src0 = u32be(buf, ip + 12);
  seg->dst0 = u32be(buf, ip + 16);
  seg->src1 = seg->src2 = seg->src3 = seg->dst1 = seg->dst2 = seg->dst3 = 0;
  *tcp = ip + ihl;
  *ipEnd = ip + total;
  return -1;
}

static int ipv6(MpaSegment *seg, const uint8_t *buf, int end, int ip, int linkLen, int64_t wirelen, int *tcp, int64_t *ipEnd) {
  if (ip + 40 > end) return MPA_TRUNCATED;
  int64_t plen = u16be(buf, ip + 4);
  if (plen == 0) plen = wirelen - linkLen - 40;
  int next = buf[ip + 6];
  int t = ip + 40;
  *ipEnd = t + plen;
  // extension headers: hop-by-hop, routing, fragment, destination options
  while (next != 6) {
    if (next == 0 || next == 43 || next == 60) {
      if (t + 8 > end) return MPA_TRUNCATED;
      next = buf[t];
      t += (buf[t + 1] + 1) * 8;
    } else if (next == 44) {
      if (t + 8 > end) return MPA_TRUNCATED;
      if ((u16be(buf, t + 2) & 0xfff8) != 0) return MPA_NOT_TCP;
      next = buf[t];
      t += 8;
    } else {
      return MPA_NOT_TCP;
    }
  }
  *tcp = t;
  seg->v6 = 1;
  seg->src0 = u32be(buf, ip + 8);
  seg->src1 = u32be(buf, ip + 12);
  seg->src2 = u32be(buf, ip + 16);
  seg->src3 = u32be(buf, ip + 20);
  seg->dst0 = u32be(buf, ip + 24);
  seg->dst1 = u32be(buf, ip + 28);
  seg->dst2 = u32be(buf, ip + 32);
  seg->dst3 = u32be(buf, ip + 36);
  return -1;
}

int mpa_decode(MpaSegment *seg, const uint8_t *buf, int caplen, int64_t wirelen, int linktype) {
  seg->buf = buf;
  const int end = caplen;
  int ip;
  int version = link_layer(buf, end, linktype, &ip);
  if (version < 0) return -1 - version;
  const int linkLen = ip;
  int tcp, r;
  int64_t ipEnd;
  if (version == 4) r = ipv4(seg, buf, end, ip, linkLen, wirelen, &tcp, &ipEnd);
  else if (version == 6) r = ipv6(seg, buf, end, ip, linkLen, wirelen, &tcp, &ipEnd);
  else return MPA_NOT_TCP;
  if (r >= 0) return r;
  if (tcp + 20 > end) return MPA_TRUNCATED;
  int hlen = (buf[tcp + 12] >> 4) * 4;
  int64_t payloadLen = ipEnd - tcp - hlen;
  if (hlen < 20 || payloadLen < 0) return MPA_MALFORMED;
  seg->sport = u16be(buf, tcp);
  seg->dport = u16be(buf, tcp + 2);
  seg->seq = u32be(buf, tcp + 4);
  seg->ack = u32be(buf, tcp + 8);
  seg->flags = buf[tcp + 13];
  seg->payloadLen = payloadLen;
  int payloadOff = tcp + hlen;
  seg->payloadOff = payloadOff;
  int cap = end - payloadOff;
  seg->payloadCap = cap <= 0 ? 0 : cap < payloadLen ? cap : payloadLen;
  seg->mp = 0;
  seg->optionsCut = 0;
  if (hlen > 20) parse_options(seg, buf, tcp + 20, payloadOff < end ? payloadOff : end, payloadOff > end);
  return MPA_TCP;
}
