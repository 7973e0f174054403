import type { PackReader, PackWriter } from './packed.js';
import { RangeSet } from './ranges.js';
import type { ProxyRequest } from './socks.js';

/**
 * The state the tracker keeps per subflow direction, subflow and connection: flat numeric fields
 * in a fixed shape, updated in place for every packet. Directions are indexed 0 = up (client to
 * server, i.e. phone to proxy) and 1 = down.
 */
export const UP = 0;
export const DOWN = 1;

/**
 * The time of the packet being processed. Kept in a typed array rather than passed as an
 * argument: a double passed to a function that is not inlined is boxed, once per call and packet.
 */
export const clock = new Float64Array(1);

const MAPPINGS = 8;
/** most directions of short connections see a few mappings: room for this many first */
const FIRST_MAPPINGS = 4;
const RTT_QUEUE = 512;
/** the ring of a direction with nothing in flight yet, shared: never written (sentAt grows it first) */
const NO_INFLIGHT: number[] = [];

/**
 * Bytes newly acknowledged per ACK (Fig 2.26), counted in quarter-octave bins: sizes 1, 2 and 3
 * have bins of their own, then each power of two is cut in four (4, 5, 6, 7, 8-9, 10-11, ...,
 * 1024-1279, 1280-1535, ...). A connection keeps one flat list of [slot, ACKs, bytes] for the
 * slots used, in no set order (the most used drift to the front), where slot = 4 * bin + key and
 * the key says whose ACKs: the subflows' TCP ACKs of up or down data, or the Data ACKs of up or
 * down data (ACK_*). A connection sees a few slots, so a short scan beats a table of every bin;
 * one list on the connection, not one per direction, costs one array (packed with the rest of the
 * connection while it is frozen, frozen.ts; dropped when it is finished).
 */
export type AckSizes = number[];

/** the ACKs whose sizes a slot counts (see AckSizes): TCP ACKs of up and down data, Data ACKs of up and down data */
export const ACK_TCP = 0;
export const ACK_DATA = 2;

export function ackBin(bytes: number): number {
  const n = bytes >= 0x7fffffff ? 0x7fffffff : bytes;
  const e = 31 - Math.clz32(n);
  return e < 2 ? n : 4 * (e - 1) + ((n >>> (e - 2)) & 3);
}

/** The smallest size of quarter-octave bin `bin`. */
export function ackBinLow(bin: number): number {
  if (bin < 4) return bin;
  const e = (bin >> 2) + 1;
  return (4 + (bin & 3)) * 2 ** (e - 2);
}

/** Adds an ACK of `bytes` newly acknowledged bytes to `sizes` (made on the first) under `key` (ACK_TCP or ACK_DATA, plus the direction of the data). */
export function addAckSize(sizes: AckSizes | null, key: number, bytes: number): AckSizes {
  return addAckSlot(sizes, 4 * ackBin(bytes) + key, 1, bytes);
}

function addAckSlot(sizes: AckSizes | null, slot: number, count: number, bytes: number): AckSizes {
  if (sizes === null) return [slot, count, bytes];
  for (let i = 0; i < sizes.length; i += 3) {
    if (sizes[i] === slot) {
      // a slot found moves one place towards the front: the common sizes (a bulk transfer's two
      // segments) end up first, and a lossy transfer's dozens of bins are not scanned on every ACK
      if (i === 0) {
        sizes[1] += count;
        sizes[2] += bytes;
      } else {
        const n = sizes[i + 1] + count;
        const sum = sizes[i + 2] + bytes;
        sizes[i] = sizes[i - 3];
        sizes[i + 1] = sizes[i - 2];
        sizes[i + 2] = sizes[i - 1];
        sizes[i - 3] = slot;
        sizes[i - 2] = n;
        sizes[i - 1] = sum;
      }
      return sizes;
    }
  }
  sizes.push(slot, count, bytes);
  return sizes;
}

/**
 * The TCP ACK sizes of `from`'s subflows added to `into`'s, when they move there (Tracker.merge;
 * `flipped`: they were turned round, up is down). Its Data ACK sizes go with its data level, which
 * does not move.
 */
export function moveTcpAckSizes(from: AckSizes | null, into: AckSizes | null, flipped: boolean): AckSizes | null {
  if (from === null) return into;
  for (let i = 0; i < from.length; i += 3) {
    const slot = from[i];
    if ((slot & 2) === ACK_TCP) into = addAckSlot(into, flipped ? slot ^ 1 : slot, from[i + 1], from[i + 2]);
  }
  return into;
}

/** What the sender of one subflow direction did. */
export class Dir {
  /** raw sequence number that relative sequence numbers count from (the ISN when the SYN was seen) */
  base = 0;
  hasBase = false;
  synSeen = false;
  synTime = -1;
  /** last relative sequence number, the reference for unwrapping 32-bit sequence numbers */
  lastRel = 0;
  /** sequence ranges sent (retransmission detection) */
  sent = new RangeSet();
  /** highest relative acknowledgment received for this direction's data */
  acked = -Infinity;

  packets = 0;
  dataPackets = 0;
  bytes = 0;
  retransmitted = 0;
  reinjected = 0;
  unique = 0;
  fin = false;
  rst = false;

  /** subflow sequence number (as sent in DSS) + ssnDelta = our relative sequence number */
  ssnDelta = 0;
  ssnKnown = false;
  /**
   * recent DSS mappings, a ring of [relative seq start, relative DSN start, length]; plain arrays
   * allocated on first use with room for 4, then 8 (a small typed array costs far more memory,
   * and tens of thousands of connections may be open at once)
   */
  private maps: number[] | null = null;
  mapCount = 0;
  mapHead = 0;

  /** data segments in flight: a ring of [relative end, send time], for RTT samples; grows up to RTT_QUEUE */
  private inflight: number[] = NO_INFLIGHT;
  private inflightCap = 0;
  inflightHead = 0;
  inflightLen = 0;
  rttSamples = 0;
  rttSum = 0;
  rttSumSq = 0;
  rttMin = Infinity;
  rttMax = 0;

  /** Back to the state of a new Dir (one taken from the pool, see Subflow.reuse). */
  reset(): void {
    this.base = 0;
    this.hasBase = false;
    this.synSeen = false;
    this.synTime = -1;
    this.lastRel = 0;
    this.sent.reset();
    this.acked = -Infinity;
    this.packets = 0;
    this.dataPackets = 0;
    this.bytes = 0;
    this.retransmitted = 0;
    this.reinjected = 0;
    this.unique = 0;
    this.fin = false;
    this.rst = false;
    this.ssnDelta = 0;
    this.ssnKnown = false;
    this.maps = null;
    this.mapCount = 0;
    this.mapHead = 0;
    this.inflight = NO_INFLIGHT;
    this.inflightCap = 0;
    this.inflightHead = 0;
    this.inflightLen = 0;
    this.rttSamples = 0;
    this.rttSum = 0;
    this.rttSumSq = 0;
    this.rttMin = Infinity;
    this.rttMax = 0;
  }

  /** Relative sequence number of a raw one, unwrapped around the last one seen (lastRel, which the caller moves). */
  peekRel(raw: number): number {
    const r32 = (raw - this.base) >>> 0;
    return this.lastRel + (((r32 - (this.lastRel >>> 0)) | 0));
  }

  pushMapping(seqStart: number, dsnStart: number, length: number): void {
    if (this.maps === null) this.maps = new Array<number>(3 * FIRST_MAPPINGS).fill(0.5);
    else if (this.mapHead * 3 === this.maps.length && this.mapHead < MAPPINGS) {
      // the ring fills from the front until it is full: grown in place of wrapping
      const grown = new Array<number>(3 * MAPPINGS).fill(0.5);
      for (let i = 0; i < this.maps.length; i++) grown[i] = this.maps[i];
      this.maps = grown;
    }
    const m = this.maps;
    if (this.mapCount > 0) {
      const last = 3 * ((this.mapHead + MAPPINGS - 1) % MAPPINGS);
      if (m[last] === seqStart && m[last + 1] === dsnStart && m[last + 2] === length) return;
    }
    const i = 3 * this.mapHead;
    m[i] = seqStart;
    m[i + 1] = dsnStart;
    m[i + 2] = length;
    this.mapHead = (this.mapHead + 1) % MAPPINGS;
    if (this.mapCount < MAPPINGS) this.mapCount++;
  }

  /** The relative DSN of relative sequence number `rel`, or NaN when no recent mapping covers it. */
  dsnOf(rel: number): number {
    const m = this.maps;
    if (m === null) return NaN;
    let h = this.mapHead;
    for (let k = 0; k < this.mapCount; k++) {
      h = (h + MAPPINGS - 1) % MAPPINGS;
      const i = 3 * h;
      const start = m[i];
      if (rel >= start && rel < start + m[i + 2]) return m[i + 1] + (rel - start);
    }
    return NaN;
  }

  /** A segment ending at `end` was sent now (first transmission). */
  sentAt(end: number): void {
    if (this.inflightLen === this.inflightCap) {
      if (this.inflightCap < RTT_QUEUE) this.growInflight();
      else {
        this.inflightHead = (this.inflightHead + 1) % this.inflightCap;
        this.inflightLen--;
      }
    }
    const q = this.inflight;
    const i = 2 * ((this.inflightHead + this.inflightLen) % this.inflightCap);
    q[i] = end;
    q[i + 1] = clock[0];
    this.inflightLen++;
  }

  private growInflight(): void {
    const cap = Math.max(4, this.inflightCap * 2);
    const q = new Array<number>(2 * cap).fill(0.5);
    for (let k = 0; k < this.inflightLen; k++) {
      const i = 2 * ((this.inflightHead + k) % this.inflightCap);
      q[2 * k] = this.inflight[i];
      q[2 * k + 1] = this.inflight[i + 1];
    }
    this.inflight = q;
    this.inflightCap = cap;
    this.inflightHead = 0;
  }

  /**
   * The connection closed: drops the arrays of what is no longer pending (nothing in flight, every
   * range acknowledged) so that they die young instead of waiting out the grace period. Whatever
   * comes later starts them again as on first use, with the same results.
   */
  release(): void {
    if (this.inflightLen === 0 && this.inflightCap > 0) {
      this.inflight = NO_INFLIGHT;
      this.inflightCap = 0;
      this.inflightHead = 0;
    }
    this.sent.release();
  }

  /** Writes every field (see frozen.ts); load() reads them back in the same order. */
  save(w: PackWriter): void {
    w.num(this.base);
    w.bool(this.hasBase);
    w.bool(this.synSeen);
    w.num(this.synTime);
    w.num(this.lastRel);
    this.sent.save(w);
    w.num(this.acked);
    w.num(this.packets);
    w.num(this.dataPackets);
    w.num(this.bytes);
    w.num(this.retransmitted);
    w.num(this.reinjected);
    w.num(this.unique);
    w.bool(this.fin);
    w.bool(this.rst);
    w.num(this.ssnDelta);
    w.bool(this.ssnKnown);
    // of the rings, the entries that can still be read: the mapCount newest mappings, the segments in flight
    w.num(this.mapCount);
    w.num(this.mapHead);
    const m = this.maps;
    w.num(m === null ? -1 : m.length);
    for (let k = 0; m !== null && k < this.mapCount; k++) {
      const i = 3 * ((this.mapHead + MAPPINGS - 1 - k) % MAPPINGS);
      w.num(m[i]);
      w.num(m[i + 1]);
      w.num(m[i + 2]);
    }
    w.num(this.inflightCap);
    w.num(this.inflightLen);
    for (let k = 0; k < this.inflightLen; k++) {
      const i = 2 * ((this.inflightHead + k) % this.inflightCap);
      w.num(this.inflight[i]);
      w.num(this.inflight[i + 1]);
    }
    w.num(this.rttSamples);
    w.num(this.rttSum);
    w.num(this.rttSumSq);
    w.num(this.rttMin);
    w.num(this.rttMax);
  }

  /** Reads what save() wrote into this Dir, which reset() left as new. */
  load(r: PackReader): void {
    const d = this;
    d.base = r.num();
    d.hasBase = r.bool();
    d.synSeen = r.bool();
    d.synTime = r.num();
    d.lastRel = r.num();
    d.sent.load(r);
    d.acked = r.num();
    d.packets = r.num();
    d.dataPackets = r.num();
    d.bytes = r.num();
    d.retransmitted = r.num();
    d.reinjected = r.num();
    d.unique = r.num();
    d.fin = r.bool();
    d.rst = r.bool();
    d.ssnDelta = r.num();
    d.ssnKnown = r.bool();
    d.mapCount = r.num();
    d.mapHead = r.num();
    const mapsLength = r.num();
    if (mapsLength >= 0) {
      const m = new Array<number>(mapsLength).fill(0.5);
      for (let k = 0; k < d.mapCount; k++) {
        const i = 3 * ((d.mapHead + MAPPINGS - 1 - k) % MAPPINGS);
        m[i] = r.num();
        m[i + 1] = r.num();
        m[i + 2] = r.num();
      }
      d.maps = m;
    }
    // the segments in flight from the ring's start (head 0)
    d.inflightCap = r.num();
    d.inflightLen = r.num();
    if (d.inflightCap > 0) {
      const q = new Array<number>(2 * d.inflightCap).fill(0.5);
      for (let i = 0; i < 2 * d.inflightLen; i++) q[i] = r.num();
      d.inflight = q;
    }
    d.rttSamples = r.num();
    d.rttSum = r.num();
    d.rttSumSq = r.num();
    d.rttMin = r.num();
    d.rttMax = r.num();
  }

  /** Karn's rule: segments at or after `rel` were retransmitted, their ACKs give no sample. */
  retransmittedFrom(rel: number): void {
    const q = this.inflight;
    while (this.inflightLen > 0) {
      const i = 2 * ((this.inflightHead + this.inflightLen - 1) % this.inflightCap);
      if (q[i] <= rel) break;
      this.inflightLen--;
    }
  }

  /** The receiver acknowledged up to `ack` now: an RTT sample if a segment ends exactly there. */
  ackedAt(ack: number): void {
    const q = this.inflight;
    while (this.inflightLen > 0) {
      const i = 2 * this.inflightHead;
      const end = q[i];
      if (end > ack) break;
      this.inflightHead = (this.inflightHead + 1) % this.inflightCap;
      this.inflightLen--;
      if (end === ack) {
        const ms = (clock[0] - q[i + 1]) * 1000;
        if (ms >= 0) {
          this.rttSamples++;
          this.rttSum += ms;
          this.rttSumSq += ms * ms;
          if (ms < this.rttMin) this.rttMin = ms;
          if (ms > this.rttMax) this.rttMax = ms;
        }
        break;
      }
    }
  }
}

export class Subflow {
  next: Subflow | null = null;
  conn!: Conn;
  index = 0;
  up = new Dir();
  down = new Dir();
  // `declare`: no field definition that starts the field as undefined. A field that once held
  // undefined holds every double written to it as a new heap object (one per packet); defined by
  // the constructor's first double, it stores doubles in place.
  declare firstTime: number;
  declare lastTime: number;
  /** time of the client's first SYN, of the first SYN/ACK, of the handshake's completion */
  synTime = -1;
  synAckTime = -1;
  establishedTime = -1;
  /** a SYN or SYN/ACK was sent again: the handshake's times hold a retransmission timeout (Karn) */
  synRetransmitted = false;
  established = false;
  mpCapable = false;
  join = false;
  joinToken = 0;
  addrId = -1;
  backup = false;
  rst = false;
  /** LA: last non-RST ACK sent by the client (phone); LP: last data segment that was not a retransmission */
  lastClientAck = -1;
  lastNewData = -1;
  inTable = true;

  constructor(
    public uid: number,
    public key: number,
    public v6: boolean,
    public c0: number,
    public c1: number,
    public c2: number,
    public c3: number,
    public cport: number,
    public s0: number,
    public s1: number,
    public s2: number,
    public s3: number,
    public sport: number,
    ts: number,
  ) {
    this.firstTime = ts;
    this.lastTime = ts;
  }

  /** A subflow from the pool made new (see takeSubflow; its Dirs were reset when it was released). */
  reuse(uid: number, key: number, v6: boolean, c0: number, c1: number, c2: number, c3: number, cport: number, s0: number, s1: number, s2: number, s3: number, sport: number, ts: number): void {
    this.uid = uid;
    this.key = key;
    this.v6 = v6;
    this.c0 = c0;
    this.c1 = c1;
    this.c2 = c2;
    this.c3 = c3;
    this.cport = cport;
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    this.sport = sport;
    this.firstTime = ts;
    this.lastTime = ts;
  }

  /** Back to the state of a new subflow, but for what reuse() sets; drops what it referred to. */
  reset(): void {
    this.next = null;
    this.conn = undefined as unknown as Conn;
    this.index = 0;
    this.up.reset();
    this.down.reset();
    this.synTime = -1;
    this.synAckTime = -1;
    this.establishedTime = -1;
    this.synRetransmitted = false;
    this.established = false;
    this.mpCapable = false;
    this.join = false;
    this.joinToken = 0;
    this.addrId = -1;
    this.backup = false;
    this.rst = false;
    this.lastClientAck = -1;
    this.lastNewData = -1;
    this.inTable = true;
  }

  /** Swaps client and server (the orientation of a subflow seen without its SYN was a guess). */
  flip(): void {
    [this.c0, this.s0] = [this.s0, this.c0];
    [this.c1, this.s1] = [this.s1, this.c1];
    [this.c2, this.s2] = [this.s2, this.c2];
    [this.c3, this.s3] = [this.s3, this.c3];
    [this.cport, this.sport] = [this.sport, this.cport];
    [this.up, this.down] = [this.down, this.up];
  }

  /** nothing more to expect: reset, FIN both ways, or a handshake that never completed */
  get closed(): boolean {
    return this.rst || (this.up.fin && this.down.fin) || !this.established;
  }
}

/** Packets per subflow block, in sending order, for one direction of a connection. */
export class Blocks {
  private lastUid = -1;
  private current = 0;
  /** the blocks before the current one, once there is one (most connections have a single subflow) */
  private sizes: number[] | null = null;

  add(uid: number): void {
    if (uid === this.lastUid) {
      this.current++;
      return;
    }
    if (this.current > 0) {
      if (this.sizes === null) this.sizes = [this.current];
      else this.sizes.push(this.current);
    }
    this.lastUid = uid;
    this.current = 1;
  }

  save(w: PackWriter): void {
    w.num(this.lastUid);
    w.num(this.current);
    w.list(this.sizes);
  }

  load(r: PackReader): void {
    this.lastUid = r.num();
    this.current = r.num();
    this.sizes = r.list();
  }

  reset(): void {
    this.lastUid = -1;
    this.current = 0;
    this.sizes = null;
  }

  toArray(): number[] {
    const sizes = this.sizes ?? [];
    return this.current > 0 ? [...sizes, this.current] : [...sizes];
  }
}

export const PREFIX_UP = 512;
export const PREFIX_DOWN = 64;

/** The data level (DSNs) of one direction of an MPTCP connection. */
export class DataDir {
  /** IDSN from the sender's key, once known */
  idsnHi = 0;
  idsnLo = 0;
  idsnKnown = false;
  /** the raw DSN relative DSNs count from, and the last relative DSN (reference for 32-bit DSNs) */
  baseHi = 0;
  baseLo = 0;
  baseSet = false;
  last = 0;
  /** highest Data ACK received for this direction's data */
  acked = -Infinity;
  /** a Data ACK waiting to be applied to `sent`, and when it was seen */
  ackDelayed = -Infinity;
  ackDelayTime = -Infinity;
  /** DSN ranges sent, with the subflow that sent them */
  sent = new RangeSet();
  blocks = new Blocks();
  dataFin = false;

  save(w: PackWriter): void {
    w.num(this.idsnHi);
    w.num(this.idsnLo);
    w.bool(this.idsnKnown);
    w.num(this.baseHi);
    w.num(this.baseLo);
    w.bool(this.baseSet);
    w.num(this.last);
    w.num(this.acked);
    w.num(this.ackDelayed);
    w.num(this.ackDelayTime);
    this.sent.save(w);
    this.blocks.save(w);
    w.bool(this.dataFin);
  }

  /** Back to the state of a new DataDir (one taken from the pool, see takeDataDir). */
  reset(): void {
    this.idsnHi = 0;
    this.idsnLo = 0;
    this.idsnKnown = false;
    this.baseHi = 0;
    this.baseLo = 0;
    this.baseSet = false;
    this.last = 0;
    this.acked = -Infinity;
    this.ackDelayed = -Infinity;
    this.ackDelayTime = -Infinity;
    this.sent.reset();
    this.blocks.reset();
    this.dataFin = false;
  }

  /** Reads what save() wrote into this DataDir (every field). */
  load(r: PackReader): void {
    const d = this;
    d.idsnHi = r.num();
    d.idsnLo = r.num();
    d.idsnKnown = r.bool();
    d.baseHi = r.num();
    d.baseLo = r.num();
    d.baseSet = r.bool();
    d.last = r.num();
    d.acked = r.num();
    d.ackDelayed = r.num();
    d.ackDelayTime = r.num();
    d.sent.load(r);
    d.blocks.load(r);
    d.dataFin = r.bool();
  }

  /** Relative DSN of a raw (64-bit or 32-bit) one; the first one seen sets the base when the key is unknown. */
  rel(hi: number, lo: number, wide: boolean): number {
    if (!this.baseSet) {
      if (this.idsnKnown) {
        this.baseHi = this.idsnHi;
        this.baseLo = this.idsnLo;
      } else {
        // count from one before the first DSN seen, as if it were the first byte
        this.baseHi = lo === 0 ? (hi - 1) >>> 0 : hi;
        this.baseLo = (lo - 1) >>> 0;
      }
      this.baseSet = true;
      this.last = 0;
    }
    const rel = this.peek(hi, lo, wide);
    this.last = rel;
    return rel;
  }

  peek(hi: number, lo: number, wide: boolean): number {
    if (wide) {
      let l = lo - this.baseLo;
      let h = hi - this.baseHi;
      if (l < 0) {
        l += 4294967296;
        h -= 1;
      }
      return (h | 0) * 4294967296 + l;
    }
    const last = this.last;
    const r32 = (lo - this.baseLo) >>> 0;
    return last + (((r32 - (last >>> 0)) | 0));
  }
}

const NO_TOKENS: readonly number[] = [];

export class Conn {
  mptcp = false;
  version = -1;
  fallback = false;
  subflows: Subflow[] = [];
  // `declare` for the times written per packet: see Subflow.firstTime
  declare start: number;
  declare end: number;
  firstSyn = -1;
  declare lastActivity: number;
  lastData = -1;
  lastDownData = -1;
  done = false;

  /** the keys of the client and the server have been seen (and hashed) */
  keyClient = false;
  keyServer = false;
  /** replaced, never changed in place (a connection's first tokens cost one array, not two) */
  tokens: readonly number[] = NO_TOKENS;
  /** the token of the client's key, once known (a join with it was opened by the server) */
  tokenClient = -1;
  /** the token of a join whose connection was not (yet) known */
  orphanToken = -1;
  placementTries = 0;

  /** data-level state per direction (0 = up, 1 = down) */
  readonly data = [takeDataDir(), takeDataDir()];
  fastClose = false;
  /** sizes of the ACKs that acknowledged new data, TCP and Data ACKs, made on the first (see AckSizes) */
  ackSizes: AckSizes | null = null;
  addAddr = 0;
  removeAddr = 0;

  /** first bytes of each direction on the initial subflow, for the SOCKS request */
  upPrefix: Buffer | null = null;
  upFilled = 0;
  downPrefix: Buffer | null = null;
  downFilled = 0;
  /** 0: still reading, 1: request found, reply still being read, 2: done (`proxyRequest` is the request, or null) */
  proxyState = 0;
  proxyRequest: ProxyRequest | null = null;

  /**
   * The compact form of the subflows and data-level state while the connection is frozen (see
   * frozen.ts: `subflows` is then empty and `data` unused), else null
   */
  frozen: Uint8Array | null = null;
  /** whether the connection was closed when it was frozen (nothing about it has changed since) */
  frozenClosed = false;

  constructor(
    readonly id: number,
    readonly trace: number,
    ts: number,
  ) {
    this.start = ts;
    this.end = ts;
    this.lastActivity = ts;
  }

  get keysKnown(): boolean {
    return this.keyClient && this.keyServer;
  }
}

/**
 * Subflows and data levels no longer used, for the next ones: a connection's dozen objects (with
 * their boxed doubles) live a fraction of a second until the connection is frozen, long enough to
 * be copied by the young generation's collector and promoted; reused, they are allocated once and
 * stay in the old generation. Released objects are reset at once (they refer to nothing);
 * nothing may keep a reference to one it released.
 */
const POOL_MAX = 4096;
const subflowPool: Subflow[] = [];
const dataPool: DataDir[] = [];

export function takeSubflow(uid: number, key: number, v6: boolean, c0: number, c1: number, c2: number, c3: number, cport: number, s0: number, s1: number, s2: number, s3: number, sport: number, ts: number): Subflow {
  const sf = subflowPool.pop();
  if (sf === undefined) return new Subflow(uid, key, v6, c0, c1, c2, c3, cport, s0, s1, s2, s3, sport, ts);
  sf.reuse(uid, key, v6, c0, c1, c2, c3, cport, s0, s1, s2, s3, sport, ts);
  return sf;
}

export function releaseSubflow(sf: Subflow): void {
  if (subflowPool.length >= POOL_MAX) return;
  sf.reset();
  subflowPool.push(sf);
}

export function takeDataDir(): DataDir {
  return dataPool.pop() ?? new DataDir();
}

export function releaseDataDir(d: DataDir): void {
  if (dataPool.length >= POOL_MAX) return;
  d.reset();
  dataPool.push(d);
}
