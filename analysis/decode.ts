import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_PPP,
  LINKTYPE_PPP_HDLC,
  LINKTYPE_RAW,
  LINKTYPE_RAW_BSD,
  LINKTYPE_RAW_OPENBSD,
} from './capture/linktypes.js';

/**
 * Link layer, IPv4/IPv6 and TCP with its MPTCP options, decoded into one reused Segment: no
 * allocation per packet. Lengths come from the IP header, so that a capture truncated to a
 * snapshot length still gives each segment's real payload length.
 */

export const TH_FIN = 0x01;
export const TH_SYN = 0x02;
export const TH_RST = 0x04;
export const TH_ACK = 0x10;

/** MPTCP option subtypes, as bits of Segment.mp */
export const MP_CAPABLE = 1 << 0;
export const MP_JOIN = 1 << 1;
export const MP_DSS = 1 << 2;
export const MP_ADD_ADDR = 1 << 3;
export const MP_REMOVE_ADDR = 1 << 4;
export const MP_PRIO = 1 << 5;
export const MP_FAIL = 1 << 6;
export const MP_FASTCLOSE = 1 << 7;
export const MP_TCPRST = 1 << 8;

/** DSS flags */
export const DSS_DATA_ACK = 0x01;
export const DSS_DATA_ACK8 = 0x02;
export const DSS_MAPPING = 0x04;
export const DSS_DSN8 = 0x08;
export const DSS_DATA_FIN = 0x10;

/** what decodeFrame found */
export const Decoded = {
  NotTcp: 0,
  Tcp: 1,
  /** IP or TCP header not (fully) captured */
  Truncated: 2,
  /** lengths that contradict each other */
  Malformed: 3,
} as const;
export type Decoded = (typeof Decoded)[keyof typeof Decoded];

export class Segment {
  buf: Buffer = Buffer.alloc(0);
  /** a DataView on `buf`: one 32-bit load instead of four byte loads, shifts and ors */
  view = new DataView(this.buf.buffer, this.buf.byteOffset, 0);
  /** epoch seconds (a double from the start, so that the field keeps a double representation) */
  ts = 0.5;
  v6 = false;
  src0 = 0;
  src1 = 0;
  src2 = 0;
  src3 = 0;
  dst0 = 0;
  dst1 = 0;
  dst2 = 0;
  dst3 = 0;
  sport = 0;
  dport = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  /** TCP payload length from the IP header (what the sender sent) */
  payloadLen = 0;
  /** offset of the payload in buf and how many of its bytes were captured */
  payloadOff = 0;
  payloadCap = 0;
  /** the TCP options were cut by the snapshot length */
  optionsCut = false;

  /** MPTCP options present (MP_* bits) */
  mp = 0;
  mpcVersion = 0;
  mpcFlags = 0;
  /** offsets in buf of the sender's and the receiver's keys, -1 when absent */
  mpcKey1 = -1;
  mpcKey2 = -1;
  /** data-level length of an MP_CAPABLE that carries data (v1), else 0 */
  mpcDll = 0;
  joinLen = 0;
  joinBackup = false;
  joinAddrId = 0;
  joinToken = 0;
  dssFlags = 0;
  dataAckHi = 0;
  dataAckLo = 0;
  dsnHi = 0;
  dsnLo = 0;
  ssn = 0;
  dll = 0;
  prioBackup = false;
}

export function decodeFrame(seg: Segment, buf: Buffer, off: number, caplen: number, wirelen: number, linktype: number): Decoded {
  // the reader hands over one buffer for millions of records
  if (seg.buf !== buf) {
    seg.buf = buf;
    seg.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  const view = seg.view;
  const end = off + caplen;
  let ip = off;
  let version = 0;
  switch (linktype) {
    case LINKTYPE_ETHERNET: {
      ip = off + 14;
      if (ip > end) return Decoded.Truncated;
      let type = (buf[off + 12] << 8) | buf[off + 13];
      // 802.1Q, 802.1ad and the old QinQ tags
      while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
        ip += 4;
        if (ip > end) return Decoded.Truncated;
        type = (buf[ip - 2] << 8) | buf[ip - 1];
      }
      version = etherTypeVersion(type);
      break;
    }
    case LINKTYPE_LINUX_SLL2: {
      ip = off + 20;
      if (ip > end) return Decoded.Truncated;
      version = etherTypeVersion((buf[off] << 8) | buf[off + 1]);
      break;
    }
    case LINKTYPE_LINUX_SLL: {
      ip = off + 16;
      if (ip > end) return Decoded.Truncated;
      version = etherTypeVersion((buf[off + 14] << 8) | buf[off + 15]);
      break;
    }
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD:
    case LINKTYPE_RAW_OPENBSD:
      if (ip >= end) return Decoded.Truncated;
      version = buf[ip] >> 4;
      break;
    case LINKTYPE_IPV4:
      version = 4;
      break;
    case LINKTYPE_IPV6:
      version = 6;
      break;
    case LINKTYPE_PPP:
    case LINKTYPE_PPP_HDLC: {
      if (off + 2 > end) return Decoded.Truncated;
      if (buf[off] === 0xff && buf[off + 1] === 0x03) ip += 2;
      if (ip + 2 > end) return Decoded.Truncated;
      const proto = (buf[ip] << 8) | buf[ip + 1];
      ip += 2;
      version = proto === 0x0021 ? 4 : proto === 0x0057 ? 6 : 0;
      break;
    }
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      ip = off + 4;
      if (ip > end) return Decoded.Truncated;
      // NULL: host byte order of the writer; LOOP: network byte order
      const family = linktype === LINKTYPE_LOOP ? view.getUint32(off) : buf[off] || buf[off + 3];
      version = family === 2 ? 4 : family === 10 || family === 24 || family === 28 || family === 30 ? 6 : 0;
      break;
    }
    default:
      return Decoded.NotTcp;
  }
  const linkLen = ip - off;
  let tcp: number;
  let ipEnd: number;
  if (version === 4) {
    if (ip + 20 > end) return Decoded.Truncated;
    if (buf[ip] >> 4 !== 4) return Decoded.Malformed;
    if (buf[ip + 9] !== 6) return Decoded.NotTcp;
    // a fragment other than the first holds no TCP header
    if (((buf[ip + 6] & 0x1f) | buf[ip + 7]) !== 0) return Decoded.NotTcp;
    const ihl = (buf[ip] & 0x0f) * 4;
    let total = (buf[ip + 2] << 8) | buf[ip + 3];
    // 0 when the capture saw a segmentation-offload super-packet
    if (total === 0) total = wirelen - linkLen;
    if (ihl < 20 || total < ihl) return Decoded.Malformed;
    seg.v6 = false;
    seg.src0 = view.getUint32(ip + 12);
    seg.dst0 = view.getUint32(ip + 16);
    seg.src1 = seg.src2 = seg.src3 = seg.dst1 = seg.dst2 = seg.dst3 = 0;
    tcp = ip + ihl;
    ipEnd = ip + total;
  } else if (version === 6) {
    if (ip + 40 > end) return Decoded.Truncated;
    let plen = (buf[ip + 4] << 8) | buf[ip + 5];
    if (plen === 0) plen = wirelen - linkLen - 40;
    let next = buf[ip + 6];
    tcp = ip + 40;
    ipEnd = tcp + plen;
    // extension headers: hop-by-hop, routing, fragment, destination options
    while (next !== 6) {
      if (next === 0 || next === 43 || next === 60) {
        if (tcp + 8 > end) return Decoded.Truncated;
        next = buf[tcp];
        tcp += (buf[tcp + 1] + 1) * 8;
      } else if (next === 44) {
        if (tcp + 8 > end) return Decoded.Truncated;
        if ((((buf[tcp + 2] << 8) | buf[tcp + 3]) & 0xfff8) !== 0) return Decoded.NotTcp;
        next = buf[tcp];
        tcp += 8;
      } else return Decoded.NotTcp;
    }
    seg.v6 = true;
    seg.src0 = view.getUint32(ip + 8);
    seg.src1 = view.getUint32(ip + 12);
    seg.src2 = view.getUint32(ip + 16);
    seg.src3 = view.getUint32(ip + 20);
    seg.dst0 = view.getUint32(ip + 24);
    seg.dst1 = view.getUint32(ip + 28);
    seg.dst2 = view.getUint32(ip + 32);
    seg.dst3 = view.getUint32(ip + 36);
  } else {
    return Decoded.NotTcp;
  }
  if (tcp + 20 > end) return Decoded.Truncated;
  const hlen = (buf[tcp + 12] >> 4) * 4;
  const payloadLen = ipEnd - tcp - hlen;
  if (hlen < 20 || payloadLen < 0) return Decoded.Malformed;
  seg.sport = (buf[tcp] << 8) | buf[tcp + 1];
  seg.dport = (buf[tcp + 2] << 8) | buf[tcp + 3];
  seg.seq = view.getUint32(tcp + 4);
  seg.ack = view.getUint32(tcp + 8);
  seg.flags = buf[tcp + 13];
  seg.payloadLen = payloadLen;
  const payloadOff = tcp + hlen;
  seg.payloadOff = payloadOff;
  const cap = end - payloadOff;
  seg.payloadCap = cap <= 0 ? 0 : cap < payloadLen ? cap : payloadLen;
  seg.mp = 0;
  seg.optionsCut = false;
  if (hlen > 20) parseOptions(seg, buf, tcp + 20, payloadOff < end ? payloadOff : end, payloadOff > end);
  return Decoded.Tcp;
}

/** The IP version an EtherType announces, 0 for anything else. */
function etherTypeVersion(type: number): number {
  return type === 0x0800 ? 4 : type === 0x86dd ? 6 : 0;
}

function parseOptions(seg: Segment, buf: Buffer, o: number, end: number, cut: boolean): void {
  seg.optionsCut = cut;
  while (o < end) {
    const kind = buf[o];
    if (kind === 0) return;
    if (kind === 1) {
      o++;
      continue;
    }
    if (o + 2 > end) {
      seg.optionsCut = true;
      return;
    }
    const len = buf[o + 1];
    if (len < 2) return;
    if (o + len > end) {
      seg.optionsCut = true;
      return;
    }
    if (kind === 30 && len >= 3) parseMptcp(seg, buf, o, len);
    o += len;
  }
}

/**
 * The Segment.mp bit of the subtypes that are present whatever their length; MP_CAPABLE and DSS
 * count only when long enough. One table lookup for all of them rather than a case each: code
 * that first runs after the decoder was optimized (the first MP_FASTCLOSE of a trace) would send
 * it back to the interpreter.
 */
const SUBTYPE_BIT = new Uint16Array(16);
SUBTYPE_BIT[1] = MP_JOIN;
SUBTYPE_BIT[3] = MP_ADD_ADDR;
SUBTYPE_BIT[4] = MP_REMOVE_ADDR;
SUBTYPE_BIT[5] = MP_PRIO;
SUBTYPE_BIT[6] = MP_FAIL;
SUBTYPE_BIT[7] = MP_FASTCLOSE;
SUBTYPE_BIT[8] = MP_TCPRST;

function parseMptcp(seg: Segment, buf: Buffer, o: number, len: number): void {
  const view = seg.view;
  const subtype = buf[o + 2] >> 4;
  seg.mp |= SUBTYPE_BIT[subtype];
  switch (subtype) {
    case 0: {
      if (len < 4) return;
      seg.mp |= MP_CAPABLE;
      seg.mpcVersion = buf[o + 2] & 0x0f;
      seg.mpcFlags = buf[o + 3];
      seg.mpcKey1 = len >= 12 ? o + 4 : -1;
      seg.mpcKey2 = len >= 20 ? o + 12 : -1;
      seg.mpcDll = len >= 22 ? (buf[o + 20] << 8) | buf[o + 21] : 0;
      return;
    }
    case 1: {
      seg.joinLen = len;
      seg.joinBackup = (buf[o + 2] & 1) === 1;
      seg.joinAddrId = len >= 4 ? buf[o + 3] : 0;
      seg.joinToken = len === 12 ? view.getUint32(o + 4) : 0;
      return;
    }
    case 2: {
      if (len < 4) return;
      const flags = buf[o + 3];
      const end = o + len;
      // 4- and 8-byte Data ACKs and DSNs share one path (see SUBTYPE_BIT)
      const ackLen = flags & DSS_DATA_ACK ? (flags & DSS_DATA_ACK8 ? 8 : 4) : 0;
      const dsnLen = flags & DSS_MAPPING ? (flags & DSS_DSN8 ? 8 : 4) : 0;
      let q = o + 4;
      if (ackLen > 0) {
        if (q + ackLen > end) return;
        seg.dataAckHi = ackLen === 8 ? view.getUint32(q) : 0;
        seg.dataAckLo = view.getUint32(q + ackLen - 4);
        q += ackLen;
      }
      if (dsnLen > 0) {
        // the DSN, the subflow sequence number and the data-level length
        if (q + dsnLen + 6 > end) return;
        seg.dsnHi = dsnLen === 8 ? view.getUint32(q) : 0;
        seg.dsnLo = view.getUint32(q + dsnLen - 4);
        q += dsnLen;
        seg.ssn = view.getUint32(q);
        seg.dll = (buf[q + 4] << 8) | buf[q + 5];
      }
      seg.dssFlags = flags;
      seg.mp |= MP_DSS;
      return;
    }
    case 5:
      seg.prioBackup = (buf[o + 2] & 1) === 1;
      return;
    default:
      return;
  }
}
