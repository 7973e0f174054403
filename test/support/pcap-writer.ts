import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * Hand-built captures for the analyzer's unit tests: IPv4/IPv6 + TCP packets with arbitrary
 * options (MPTCP option builders included), wrapped in any supported link layer, written as pcap
 * or pcapng bytes. `Conversation` keeps the sequence numbers of both sides of one subflow.
 */

// ---- addresses and checksums are not checked by the analyzer; they are left at zero --------

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new Error(`bad address ${ip}`);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export function splitEndpoint(ep: string): { ip: string; port: number } {
  const m = /^\[(.+)\]:(\d+)$/.exec(ep) ?? /^([^:]+):(\d+)$/.exec(ep);
  if (!m) throw new Error(`bad endpoint ${ep}`);
  return { ip: m[1], port: Number(m[2]) };
}

export interface TcpSpec {
  src: string;
  dst: string;
  seq: number;
  ack?: number;
  /** any of "SAFRP" */
  flags: string;
  payload?: Buffer | number;
  options?: Buffer[];
  window?: number;
}

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10 };

/** An IPv4 or IPv6 packet carrying one TCP segment. */
export function tcpPacket(spec: TcpSpec): Buffer {
  const src = splitEndpoint(spec.src);
  const dst = splitEndpoint(spec.dst);
  let opts = Buffer.concat(spec.options ?? []);
  while (opts.length % 4 !== 0) opts = Buffer.concat([opts, Buffer.from([1])]);
  const payload = typeof spec.payload === 'number' ? Buffer.alloc(spec.payload, 0x61) : (spec.payload ?? Buffer.alloc(0));
  const tcp = Buffer.alloc(20 + opts.length);
  tcp.writeUInt16BE(src.port, 0);
  tcp.writeUInt16BE(dst.port, 2);
  tcp.writeUInt32BE(spec.seq >>> 0, 4);
  tcp.writeUInt32BE((spec.ack ?? 0) >>> 0, 8);
  tcp[12] = ((20 + opts.length) / 4) << 4;
  let flags = 0;
  for (const f of spec.flags) flags |= FLAG_BITS[f] ?? 0;
  tcp[13] = flags;
  tcp.writeUInt16BE(spec.window ?? 65535, 14);
  opts.copy(tcp, 20);
  const segment = Buffer.concat([tcp, payload]);
  if (isIPv4(src.ip)) {
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + segment.length, 2);
    ip[6] = 0x40;
    ip[8] = 64;
    ip[9] = 6;
    ipBytes(src.ip).copy(ip, 12);
    ipBytes(dst.ip).copy(ip, 16);
    return Buffer.concat([ip, segment]);
  }
  const ip = Buffer.alloc(40);
  ip[0] = 0x60;
  ip.writeUInt16BE(segment.length, 4);
  ip[6] = 6;
  ip[7] = 64;
  ipBytes(src.ip).copy(ip, 8);
  ipBytes(dst.ip).copy(ip, 24);
  return Buffer.concat([ip, segment]);
}

// ---- link layers ---------------------------------------------------------------------------

export type Link = 'ethernet' | 'ethernet-vlan' | 'sll' | 'sll2' | 'raw' | 'ipv4' | 'ipv6' | 'ppp';

export const LINKTYPE: Record<Link, number> = { ethernet: 1, 'ethernet-vlan': 1, sll: 113, sll2: 276, raw: 101, ipv4: 228, ipv6: 229, ppp: 9 };

export function frame(link: Link, ipPacket: Buffer): Buffer {
  const v6 = ipPacket[0] >> 4 === 6;
  const etype = v6 ? 0x86dd : 0x0800;
  switch (link) {
    case 'ethernet': {
      const h = Buffer.alloc(14);
      h.writeUInt16BE(etype, 12);
      return Buffer.concat([h, ipPacket]);
    }
    case 'ethernet-vlan': {
      // two tags (QinQ) before the IP header
      const h = Buffer.alloc(22);
      h.writeUInt16BE(0x88a8, 12);
      h.writeUInt16BE(100, 14);
      h.writeUInt16BE(0x8100, 16);
      h.writeUInt16BE(200, 18);
      h.writeUInt16BE(etype, 20);
      return Buffer.concat([h, ipPacket]);
    }
    case 'sll': {
      const h = Buffer.alloc(16);
      h.writeUInt16BE(4, 0);
      h.writeUInt16BE(1, 2);
      h.writeUInt16BE(6, 4);
      h.writeUInt16BE(etype, 14);
      return Buffer.concat([h, ipPacket]);
    }
    case 'sll2': {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(etype, 0);
      h.writeUInt32BE(3, 4);
      h.writeUInt16BE(1, 8);
      h[11] = 6;
      return Buffer.concat([h, ipPacket]);
    }
    case 'ppp':
      return Buffer.concat([Buffer.from([0xff, 0x03, 0x00, v6 ? 0x57 : 0x21]), ipPacket]);
    default:
      return ipPacket;
  }
}

// ---- capture files ---------------------------------------------------------------------------

export interface CaptureRecord {
  ts: number;
  data: Buffer;
  /** original length (defaults to data length) */
  wirelen?: number;
}

export interface PcapOptions {
  linktype: number;
  snaplen?: number;
  nanoseconds?: boolean;
  bigEndian?: boolean;
}

/** 16- and 32-bit writes in a file's byte order. */
function writers(bigEndian: boolean) {
  return {
    w16: (b: Buffer, v: number, o: number) => (bigEndian ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o)),
    w32: (b: Buffer, v: number, o: number) => (bigEndian ? b.writeUInt32BE(v >>> 0, o) : b.writeUInt32LE(v >>> 0, o)),
  };
}

export function pcapFile(records: CaptureRecord[], opts: PcapOptions): Buffer {
  const snaplen = opts.snaplen ?? 262144;
  const { w16, w32 } = writers(opts.bigEndian ?? false);
  const header = Buffer.alloc(24);
  w32(header, opts.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(header, 2, 4);
  w16(header, 4, 6);
  w32(header, snaplen, 16);
  w32(header, opts.linktype, 20);
  const parts: Buffer[] = [header];
  for (const r of records) {
    const cap = Math.min(r.data.length, snaplen);
    const h = Buffer.alloc(16);
    const sec = Math.floor(r.ts);
    // a fraction that rounds up to a whole second would make the record corrupt
    const ticks = opts.nanoseconds ? 1e9 : 1e6;
    const frac = Math.min(ticks - 1, Math.round((r.ts - sec) * ticks));
    w32(h, sec, 0);
    w32(h, frac, 4);
    w32(h, cap, 8);
    w32(h, r.wirelen ?? r.data.length, 12);
    parts.push(h, r.data.subarray(0, cap));
  }
  return Buffer.concat(parts);
}

export interface PcapngOptions {
  linktype: number;
  snaplen?: number;
  bigEndian?: boolean;
  /** if_tsresol exponent of 10 (6 = microseconds, the default; 9 = nanoseconds) */
  tsresol?: number;
}

export function pcapngFile(records: CaptureRecord[], opts: PcapngOptions): Buffer {
  const { w16, w32 } = writers(opts.bigEndian ?? false);
  const block = (type: number, body: Buffer): Buffer => {
    const len = 12 + body.length + ((4 - (body.length % 4)) % 4);
    const b = Buffer.alloc(len);
    w32(b, type, 0);
    w32(b, len, 4);
    body.copy(b, 8);
    w32(b, len, len - 4);
    return b;
  };
  const shbBody = Buffer.alloc(16);
  w32(shbBody, 0x1a2b3c4d, 0);
  w16(shbBody, 1, 4);
  shbBody.writeBigInt64LE(-1n, 8);
  const resol = opts.tsresol ?? 6;
  const idbBody = Buffer.alloc(8 + (resol !== 6 ? 8 + 4 : 0));
  w16(idbBody, opts.linktype, 0);
  w32(idbBody, opts.snaplen ?? 262144, 4);
  if (resol !== 6) {
    w16(idbBody, 9, 8);
    w16(idbBody, 1, 10);
    idbBody[12] = resol;
  }
  const parts = [block(0x0a0d0d0a, shbBody), block(1, idbBody)];
  for (const r of records) {
    const units = BigInt(Math.round(r.ts * 1e6)) * 10n ** BigInt(resol) / 1000000n;
    const cap = Math.min(r.data.length, opts.snaplen ?? 262144);
    const body = Buffer.alloc(20 + cap);
    w32(body, 0, 0);
    w32(body, Number(units >> 32n), 4);
    w32(body, Number(units & 0xffffffffn), 8);
    w32(body, cap, 12);
    w32(body, r.wirelen ?? r.data.length, 16);
    r.data.copy(body, 20, 0, cap);
    parts.push(block(6, body));
  }
  return Buffer.concat(parts);
}

// ---- MPTCP options ---------------------------------------------------------------------------

export function mptcpKey(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn);
  return b;
}

export function keyHash(key: Buffer, version: 0 | 1): { token: number; idsn: bigint } {
  const h = createHash(version === 1 ? 'sha256' : 'sha1')
    .update(key)
    .digest();
  return { token: h.readUInt32BE(0), idsn: h.readBigUInt64BE(h.length - 8) };
}

function opt(subtype: number, lowNibble: number, rest: Buffer): Buffer {
  return Buffer.concat([Buffer.from([30, 3 + rest.length, (subtype << 4) | lowNibble]), rest]);
}

export function mpCapable(o: { version: 0 | 1; senderKey?: Buffer; receiverKey?: Buffer; dataLength?: number; flags?: number }): Buffer {
  const parts: Buffer[] = [Buffer.from([o.flags ?? 0x01])];
  if (o.senderKey) parts.push(o.senderKey);
  if (o.receiverKey) parts.push(o.receiverKey);
  if (o.dataLength !== undefined) {
    const d = Buffer.alloc(2);
    d.writeUInt16BE(o.dataLength);
    parts.push(d);
  }
  return opt(0, o.version, Buffer.concat(parts));
}

export function mpJoinSyn(o: { token: number; backup?: boolean; addrId?: number; nonce?: number }): Buffer {
  const b = Buffer.alloc(9);
  b[0] = o.addrId ?? 1;
  b.writeUInt32BE(o.token >>> 0, 1);
  b.writeUInt32BE(o.nonce ?? 0x12345678, 5);
  return opt(1, o.backup ? 1 : 0, b);
}

export function mpJoinSynAck(o: { backup?: boolean; addrId?: number } = {}): Buffer {
  const b = Buffer.alloc(13);
  b[0] = o.addrId ?? 0;
  return opt(1, o.backup ? 1 : 0, b);
}

export function mpJoinAck(): Buffer {
  return opt(1, 0, Buffer.alloc(21));
}

export interface DssSpec {
  dataAck?: bigint;
  dataAck8?: boolean;
  dsn?: bigint;
  dsn8?: boolean;
  ssn?: number;
  dataLength?: number;
  dataFin?: boolean;
  checksum?: boolean;
}

export function dss(o: DssSpec): Buffer {
  let flags = 0;
  const parts: Buffer[] = [];
  if (o.dataAck !== undefined) {
    flags |= 0x01;
    const wide = o.dataAck8 ?? true;
    if (wide) flags |= 0x02;
    const b = Buffer.alloc(wide ? 8 : 4);
    if (wide) b.writeBigUInt64BE(o.dataAck & 0xffffffffffffffffn);
    else b.writeUInt32BE(Number(o.dataAck & 0xffffffffn));
    parts.push(b);
  }
  if (o.dsn !== undefined) {
    flags |= 0x04;
    const wide = o.dsn8 ?? true;
    if (wide) flags |= 0x08;
    const b = Buffer.alloc((wide ? 8 : 4) + 6 + (o.checksum ? 2 : 0));
    if (wide) b.writeBigUInt64BE(o.dsn & 0xffffffffffffffffn);
    else b.writeUInt32BE(Number(o.dsn & 0xffffffffn));
    const q = wide ? 8 : 4;
    b.writeUInt32BE((o.ssn ?? 0) >>> 0, q);
    b.writeUInt16BE(o.dataLength ?? 0, q + 4);
    parts.push(b);
  }
  if (o.dataFin) flags |= 0x10;
  return opt(2, 0, Buffer.concat([Buffer.from([flags]), ...parts]));
}

export function mpPrio(backup: boolean): Buffer {
  return opt(5, backup ? 1 : 0, Buffer.alloc(0));
}

export function addAddr(ip: string): Buffer {
  return opt(3, 0, Buffer.concat([Buffer.from([1]), ipBytes(ip), Buffer.alloc(8)]));
}

export function removeAddr(id: number): Buffer {
  return opt(4, 0, Buffer.from([id]));
}

export function mpFail(): Buffer {
  return opt(6, 0, Buffer.concat([Buffer.alloc(1), Buffer.alloc(8)]));
}

export function fastClose(key: Buffer): Buffer {
  return opt(7, 0, Buffer.concat([Buffer.alloc(1), key]));
}

// ---- one subflow's packets, with sequence numbers kept for both sides --------------------------

export class Conversation {
  /** next sequence number of each side */
  private next = { up: 0, down: 0 };
  private readonly isn: { up: number; down: number };

  constructor(
    private readonly sink: CaptureRecord[],
    readonly client: string,
    readonly server: string,
    isn: { up: number; down: number } = { up: 1000, down: 500000 },
    private readonly link: Link = 'raw',
  ) {
    this.isn = isn;
    this.next = { up: isn.up, down: isn.down };
  }

  private emit(dir: 'up' | 'down', ts: number, flags: string, seq: number, payload: Buffer | number, options: Buffer[]): void {
    const other = dir === 'up' ? 'down' : 'up';
    const ack = flags.includes('A') ? this.next[other] : 0;
    const pkt = tcpPacket({ src: dir === 'up' ? this.client : this.server, dst: dir === 'up' ? this.server : this.client, seq, ack, flags, payload, options });
    this.sink.push({ ts, data: frame(this.link, pkt) });
  }

  syn(ts: number, options: Buffer[] = []): this {
    this.emit('up', ts, 'S', this.isn.up, 0, options);
    this.next.up = this.isn.up + 1;
    return this;
  }

  synAck(ts: number, options: Buffer[] = []): this {
    this.emit('down', ts, 'SA', this.isn.down, 0, options);
    this.next.down = this.isn.down + 1;
    return this;
  }

  /** A pure ACK (no payload). */
  ack(dir: 'up' | 'down', ts: number, options: Buffer[] = []): this {
    this.emit(dir, ts, 'A', this.next[dir], 0, options);
    return this;
  }

  /** The relative sequence number (1 = first byte after the SYN) the next data of `dir` will carry. */
  nextRel(dir: 'up' | 'down'): number {
    return this.next[dir] - this.isn[dir];
  }

  /** Sends new data; returns the relative sequence number (1 = first byte) it started at. */
  send(dir: 'up' | 'down', ts: number, payload: Buffer | number, options: Buffer[] = []): number {
    const seq = this.next[dir];
    this.emit(dir, ts, 'PA', seq, payload, options);
    this.next[dir] = seq + (typeof payload === 'number' ? payload : payload.length);
    return seq - this.isn[dir];
  }

  /** Sends `length` bytes again from relative sequence number `rel`. */
  resend(dir: 'up' | 'down', ts: number, rel: number, length: number, options: Buffer[] = []): void {
    this.emit(dir, ts, 'PA', this.isn[dir] + rel, length, options);
  }

  fin(dir: 'up' | 'down', ts: number, options: Buffer[] = []): this {
    this.emit(dir, ts, 'FA', this.next[dir], 0, options);
    this.next[dir] += 1;
    return this;
  }

  rst(dir: 'up' | 'down', ts: number, withAck = true): this {
    this.emit(dir, ts, withAck ? 'RA' : 'R', this.next[dir], 0, []);
    return this;
  }

  /** SYN, SYN/ACK, ACK. */
  handshake(ts: number, options: { syn?: Buffer[]; synAck?: Buffer[]; ack?: Buffer[] } = {}, rtt = 0.01): this {
    this.syn(ts, options.syn);
    this.synAck(ts + rtt / 2, options.synAck);
    this.ack('up', ts + rtt, options.ack);
    return this;
  }
}
