import { hashKey, type KeyHash } from './key-hash.js';
import { freeze, frozenDsnDistance, frozenMatch, frozenServerPort, frozenUnlink, match, released, thaw } from './frozen.js';
import { ACK_DATA, ACK_TCP, DOWN, PREFIX_DOWN, PREFIX_UP, UP, Conn, addAckSize, clock, moveTcpAckSizes, takeSubflow, type Dir, type Subflow } from './model.js';
import { parseProxyRequest } from './socks.js';
import {
  DSS_DATA_ACK,
  DSS_DATA_ACK8,
  DSS_DATA_FIN,
  DSS_DSN8,
  DSS_MAPPING,
  MP_ADD_ADDR,
  MP_CAPABLE,
  MP_DSS,
  MP_FAIL,
  MP_FASTCLOSE,
  MP_JOIN,
  MP_PRIO,
  MP_REMOVE_ADDR,
  TH_ACK,
  TH_FIN,
  TH_RST,
  TH_SYN,
  type Segment,
} from './decode.js';

/**
 * Turns decoded TCP segments into subflows and connections. Subflows are found by their 4-tuple
 * in a hash table with numeric keys; MPTCP subflows are grouped into connections by the tokens
 * of the keys exchanged in MP_CAPABLE (SHA-1 for v0, SHA-256 for v1) and the token in each
 * MP_JOIN SYN; a subflow whose SYN was not captured is placed by its keys (third ACK) or, for a
 * join, by the data sequence numbers it carries. A connection is handed to `onDone` once all its
 * subflows have closed and nothing more was seen for `graceSeconds` of trace time, once it has
 * been idle for `idleSeconds`, or at the end of the trace.
 */
export interface TrackerOptions {
  graceSeconds: number;
  idleSeconds: number;
  onDone: (conn: Conn) => void;
  /**
   * tests: freeze the connection of every packet right after it, open or closed (the next packet
   * of the connection thaws it), to show that the compact form keeps everything
   */
  freezeEveryPacket?: boolean;
}

/** how far (in bytes) a DSN may be from a connection's last one to place a subflow seen without its SYN */
const PLACE_WINDOW_64 = 2 ** 30;
const PLACE_WINDOW_32 = 2 ** 20;
const SWEEP_INTERVAL = 10;
/**
 * seconds of trace time a closed connection stays as it is before it is frozen (see frozen.ts), and
 * between two looks for such: soon enough that most connections are frozen before the garbage
 * collector has moved their objects to the old generation, where they would die as garbage to mark
 */
const FREEZE_AFTER = 0.1;
/**
 * connections not frozen below which none is frozen: a few hundred take little memory, and packing
 * them costs more than it saves (it runs too seldom for its code to be optimized)
 */
const FREEZE_ABOVE = 500;
/** seconds of trace time between a Data ACK and forgetting which subflows sent the data it acknowledges */
const DATA_ACK_DELAY = 2;
/** learnKey()'s result, reused */
const keyHash: KeyHash = { token: 0, idsnHi: 0, idsnLo: 0 };

export class Tracker {
  private readonly table = new Map<number, Subflow>();
  /** the frozen connections by the keys of their subflows in the table (those are out of `table` while frozen) */
  private readonly frozenTable = new Map<number, Conn | Conn[]>();
  private nextFreeze = -Infinity;
  /** the connections not frozen (and some that were since), for freezeQuiet() to look at */
  private warm: Conn[] = [];
  private open: Conn[] = [];
  private readonly tokens = new Map<number, Conn>();
  private readonly orphans = new Map<number, Conn>();
  /** server endpoints that answered a SYN, to orient subflows seen without their handshake (IPv4 as ip*65536+port) */
  private readonly servers4 = new Set<number>();
  private readonly servers6 = new Set<string>();
  private nextConnId = 0;
  private nextUid = 0;
  private nextSweep = -Infinity;
  private fromClient = false;
  /** the subflow of the previous packet */
  private last: Subflow | null = null;
  /** proxy-request prefixes no longer used (see recyclePrefixes) */
  private readonly spareUp: Buffer[] = [];
  private readonly spareDown: Buffer[] = [];
  trace = 0;
  subflowCount = 0;

  constructor(private readonly options: TrackerOptions) {}

  segment(seg: Segment): void {
    const ts = seg.ts;
    clock[0] = ts;
    if (ts >= this.nextSweep) this.sweep(ts);
    if (ts >= this.nextFreeze) this.freezeQuiet(ts);
    const flags = seg.flags;
    let sf = this.lookup(seg);
    if (sf !== null && (flags & (TH_SYN | TH_ACK)) === TH_SYN && this.isNewIncarnation(sf, seg)) {
      this.unlink(sf);
      sf = null;
    }
    if (sf === null) sf = this.create(seg);
    let fromClient = this.fromClient;
    let conn = sf.conn;
    let d = fromClient ? sf.up : sf.down;
    let o = fromClient ? sf.down : sf.up;

    if (ts > sf.lastTime) sf.lastTime = ts;
    if (ts > conn.end) conn.end = ts;
    if (ts < conn.start) conn.start = ts;
    conn.lastActivity = ts;
    d.packets++;

    const syn = (flags & TH_SYN) !== 0;
    const ackFlag = (flags & TH_ACK) !== 0;
    const rst = (flags & TH_RST) !== 0;
    if (syn) this.onSyn(sf, conn, d, seg, fromClient, ackFlag);
    else if (!d.hasBase) {
      // first packet of this direction without its SYN: count from one before it
      d.base = (seg.seq - 1) >>> 0;
      d.hasBase = true;
      d.lastRel = 1;
    }
    // a RST may carry any sequence number: it must not move the reference for unwrapping
    // (one call for both: a call first made after optimization sends the code back to the interpreter)
    const seqRel = d.peekRel(seg.seq);
    if (!rst) d.lastRel = seqRel;
    const rel = seqRel + (syn ? 1 : 0);

    if (seg.mp !== 0) {
      // almost every MPTCP packet carries a DSS option alone
      if (seg.mp === MP_DSS) this.onDss(sf, conn, d, seg, fromClient, rel);
      else this.onMptcp(sf, conn, d, seg, fromClient, rel, syn, ackFlag);
      if (sf.conn !== conn || this.fromClient !== fromClient) {
        // the subflow turned out to belong to another connection, or to face the other way
        conn = sf.conn;
        fromClient = this.fromClient;
        d = fromClient ? sf.up : sf.down;
        o = fromClient ? sf.down : sf.up;
      }
    } else if (syn && ackFlag && conn.mptcp && sf.index === 0 && !sf.mpCapable && sf.up.synSeen) {
      // the server answered an MP_CAPABLE SYN without it
      conn.fallback = true;
    }

    const len = seg.payloadLen;
    if (len > 0) this.onData(sf, conn, d, seg, fromClient, rel, len);

    if (ackFlag && o.hasBase) {
      const ack = o.peekRel(seg.ack);
      if (ack > o.acked) {
        // the ACK of the SYN (nothing acknowledged before) or of a FIN alone carries no data
        if (o.acked > -Infinity && (ack - o.acked > 1 || !o.fin)) conn.ackSizes = addAckSize(conn.ackSizes, ACK_TCP + (fromClient ? DOWN : UP), ack - o.acked);
        o.acked = ack;
        o.sent.acknowledge(ack);
        o.ackedAt(ack);
      }
      if (!sf.established && !syn && !rst) {
        // the third ACK, or (handshake not captured) traffic from both sides
        if (fromClient ? sf.down.synSeen || (sf.down.packets > 0 && !sf.up.synSeen) : !sf.down.synSeen && sf.up.packets > 0) {
          sf.established = true;
          sf.establishedTime = ts;
        }
      }
    }
    if (fromClient && ackFlag && !rst) sf.lastClientAck = ts;
    if (rst) {
      d.rst = true;
      sf.rst = true;
    }
    if (flags & TH_FIN) d.fin = true;
    if (flags & (TH_FIN | TH_RST) && sf.closed) {
      sf.up.release();
      sf.down.release();
    }
    if (this.options.freezeEveryPacket && !sf.conn.done) this.freeze(sf.conn);
  }

  /** Hands every connection still open to onDone (end of a trace). */
  finishAll(): void {
    for (const conn of this.open) if (!conn.done) this.finish(conn);
    this.open = [];
    this.warm = [];
    this.last = null;
    this.table.clear();
    this.frozenTable.clear();
    this.tokens.clear();
    this.orphans.clear();
  }

  get openConnections(): number {
    return this.open.length;
  }

  // ---- subflow table -------------------------------------------------------------------------

  private lookup(seg: Segment): Subflow | null {
    // consecutive packets often belong to the same subflow: try it before hashing
    const last = this.last;
    if (last !== null) {
      const o = orientation(last, seg);
      if (o !== NOT_THIS) {
        this.fromClient = o === FROM_CLIENT;
        return last;
      }
    }
    let sf = this.table.get(flowKey(seg)) ?? null;
    while (sf !== null) {
      const o = orientation(sf, seg);
      if (o !== NOT_THIS) {
        this.fromClient = o === FROM_CLIENT;
        this.last = sf;
        return sf;
      }
      sf = sf.next;
    }
    return this.lookupFrozen(seg);
  }

  /** The packet's subflow among those of frozen connections: thawed; or null when it is none of them, or a SYN that starts a new subflow in place of one. */
  private lookupFrozen(seg: Segment): Subflow | null {
    const frozen = this.frozenTable.get(flowKey(seg));
    if (frozen === undefined) return null;
    for (const conn of Array.isArray(frozen) ? frozen : [frozen]) {
      if (!frozenMatch(conn, seg)) continue;
      if ((seg.flags & (TH_SYN | TH_ACK)) === TH_SYN && match.newIncarnation) {
        // what segment() does with the old subflow of a new one (unlink), without thawing it
        frozenUnlink(conn);
        return null;
      }
      this.thaw(conn);
      return this.lookup(seg);
    }
    return null;
  }

  private unlink(sf: Subflow): void {
    if (!sf.inTable) return;
    sf.inTable = false;
    if (this.last === sf) this.last = null;
    let head = this.table.get(sf.key) ?? null;
    if (head === sf) {
      if (sf.next) this.table.set(sf.key, sf.next);
      else this.table.delete(sf.key);
      return;
    }
    while (head !== null && head.next !== sf) head = head.next;
    if (head !== null) head.next = sf.next;
  }

  /** A SYN on a known 4-tuple starts a new subflow unless it repeats the SYN already seen. */
  private isNewIncarnation(sf: Subflow, seg: Segment): boolean {
    const d = this.fromClient ? sf.up : sf.down;
    return !d.synSeen || seg.seq !== d.base;
  }

  private create(seg: Segment): Subflow {
    const flags = seg.flags;
    let srcIsClient: boolean;
    if (flags & TH_SYN) srcIsClient = (flags & TH_ACK) === 0;
    else if (this.isServer(seg.v6, seg.dst0, seg.dst1, seg.dst2, seg.dst3, seg.dport)) srcIsClient = true;
    else if (this.isServer(seg.v6, seg.src0, seg.src1, seg.src2, seg.src3, seg.sport)) srcIsClient = false;
    else srcIsClient = guessServerPort(seg.dport, seg.sport);
    const key = flowKey(seg);
    const sf = srcIsClient
      ? takeSubflow(this.nextUid++, key, seg.v6, seg.src0, seg.src1, seg.src2, seg.src3, seg.sport, seg.dst0, seg.dst1, seg.dst2, seg.dst3, seg.dport, seg.ts)
      : takeSubflow(this.nextUid++, key, seg.v6, seg.dst0, seg.dst1, seg.dst2, seg.dst3, seg.dport, seg.src0, seg.src1, seg.src2, seg.src3, seg.sport, seg.ts);
    sf.next = this.table.get(key) ?? null;
    this.table.set(key, sf);
    this.last = sf;
    this.fromClient = srcIsClient;
    this.subflowCount++;

    if ((flags & (TH_SYN | TH_ACK)) === TH_SYN && seg.mp & MP_JOIN && seg.joinLen === 12) {
      const conn = this.tokens.get(seg.joinToken);
      if (conn !== undefined && !conn.done) {
        if (conn.frozen !== null) this.thaw(conn);
        this.attach(sf, conn);
        // a join towards the client (the server opened it): keep "client" on the phone's side
        if (conn.keyClient && conn.tokenClient === seg.joinToken) {
          sf.flip();
          this.fromClient = !this.fromClient;
        }
        return sf;
      }
      const orphan = this.newConn(seg.ts);
      orphan.mptcp = true;
      orphan.orphanToken = seg.joinToken;
      this.orphans.set(seg.joinToken, orphan);
      this.attach(sf, orphan);
      return sf;
    }
    this.attach(sf, this.newConn(seg.ts));
    return sf;
  }

  private newConn(ts: number): Conn {
    const conn = new Conn(this.nextConnId++, this.trace, ts);
    this.open.push(conn);
    this.warm.push(conn);
    return conn;
  }

  private attach(sf: Subflow, conn: Conn): void {
    sf.conn = conn;
    sf.index = conn.subflows.length;
    // most connections keep one subflow and two tokens: arrays of their exact size (a first push()
    // into an empty array makes room for 16), and thousands of connections may be open
    if (conn.subflows.length === 0) conn.subflows = [sf];
    else conn.subflows.push(sf);
    if (sf.firstTime < conn.start) conn.start = sf.firstTime;
  }

  private isServer(v6: boolean, a0: number, a1: number, a2: number, a3: number, port: number): boolean {
    return v6 ? this.servers6.has(`${a0},${a1},${a2},${a3},${port}`) : this.servers4.has(a0 * 65536 + port);
  }

  private noteServer(sf: Subflow): void {
    if (sf.v6) this.servers6.add(`${sf.s0},${sf.s1},${sf.s2},${sf.s3},${sf.sport}`);
    else this.servers4.add(sf.s0 * 65536 + sf.sport);
  }

  // ---- handshake and MPTCP options ----------------------------------------------------------

  private onSyn(sf: Subflow, conn: Conn, d: Dir, seg: Segment, fromClient: boolean, ack: boolean): void {
    if (!d.synSeen) {
      d.synSeen = true;
      d.synTime = seg.ts;
      d.base = seg.seq;
      d.hasBase = true;
      d.lastRel = 0;
      d.sentAt(1);
    } else {
      // a retransmitted SYN: no RTT sample from it (Karn)
      d.retransmittedFrom(0);
      sf.synRetransmitted = true;
    }
    if (fromClient && !ack) {
      if (sf.synTime < 0) sf.synTime = seg.ts;
      if (conn.firstSyn < 0 || seg.ts < conn.firstSyn) conn.firstSyn = seg.ts;
    } else if (!fromClient && ack) {
      if (sf.synAckTime < 0) sf.synAckTime = seg.ts;
      this.noteServer(sf);
    }
  }

  private onMptcp(sf: Subflow, conn: Conn, d: Dir, seg: Segment, fromClient: boolean, rel: number, syn: boolean, ack: boolean): void {
    const mp = seg.mp;
    if (mp & MP_CAPABLE) {
      conn.mptcp = true;
      const buf = seg.buf;
      if (syn) {
        if (ack) sf.mpCapable = true;
        if (conn.version < 0 || ack) conn.version = seg.mpcVersion;
        if (seg.mpcKey1 >= 0) this.learnKey(conn, fromClient, buf, seg.mpcKey1);
      } else {
        if (conn.version < 0) conn.version = seg.mpcVersion;
        sf.mpCapable = true;
        if (seg.mpcKey1 >= 0) this.learnKey(sf.conn, fromClient, buf, seg.mpcKey1);
        if (seg.mpcKey2 >= 0) this.learnKey(sf.conn, !fromClient, buf, seg.mpcKey2);
        if (seg.mpcDll > 0 && seg.payloadLen > 0 && !conn.done) {
          // v1: the first data rides on MP_CAPABLE, at relative subflow sequence 1 and DSN IDSN + 1
          const dir = fromClient ? UP : DOWN;
          const data = sf.conn.data[dir];
          if (data.idsnKnown) {
            const lo = (data.idsnLo + 1) >>> 0;
            const hi = lo === 0 ? (data.idsnHi + 1) >>> 0 : data.idsnHi;
            if (!d.ssnKnown) {
              d.ssnDelta = d.synSeen ? 0 : rel - 1;
              d.ssnKnown = true;
            }
            d.pushMapping(1 + d.ssnDelta, data.rel(hi, lo, true), seg.mpcDll);
          }
        }
      }
    }
    if (mp & MP_JOIN) {
      sf.join = true;
      if (syn) {
        if (seg.joinBackup) sf.backup = true;
        if (!ack) {
          sf.addrId = seg.joinAddrId;
          if (seg.joinLen === 12) sf.joinToken = seg.joinToken;
        }
      }
    }
    if (mp & MP_DSS) this.onDss(sf, sf.conn, d, seg, fromClient, rel);
    if (mp & MP_PRIO) sf.backup = seg.prioBackup;
    if (mp & MP_FAIL) sf.conn.fallback = true;
    if (mp & MP_FASTCLOSE) sf.conn.fastClose = true;
    if (mp & MP_ADD_ADDR) sf.conn.addAddr++;
    if (mp & MP_REMOVE_ADDR) sf.conn.removeAddr++;
  }

  private onDss(sf: Subflow, conn: Conn, d: Dir, seg: Segment, fromClient: boolean, rel: number): void {
    conn.mptcp = true;
    const flags = seg.dssFlags;
    if (sf.index === 0 && conn.subflows.length === 1 && !sf.up.synSeen && !sf.down.synSeen && !conn.keysKnown && conn.placementTries < 16) {
      conn.placementTries++;
      if (this.place(sf, conn, seg)) {
        conn = sf.conn;
        fromClient = this.fromClient;
        d = fromClient ? sf.up : sf.down;
      }
    }
    const dir = fromClient ? UP : DOWN;
    if (flags & DSS_DATA_ACK) {
      const other = 1 - dir;
      const data = conn.data[other];
      const acked = data.rel(seg.dataAckHi, seg.dataAckLo, (flags & DSS_DATA_ACK8) !== 0);
      if (acked > data.acked) {
        if (data.acked > -Infinity && (acked - data.acked > 1 || !data.dataFin)) conn.ackSizes = addAckSize(conn.ackSizes, ACK_DATA + other, acked - data.acked);
        data.acked = acked;
        // forget who sent acknowledged data only a while later: until the sender has seen this
        // Data ACK it may still send that data again, on the same subflow or another
        const ts = seg.ts;
        if (ts - data.ackDelayTime >= DATA_ACK_DELAY) {
          if (data.ackDelayed > -Infinity) data.sent.acknowledge(data.ackDelayed);
          data.ackDelayed = acked;
          data.ackDelayTime = ts;
        }
      }
    }
    if (flags & DSS_MAPPING) {
      if (seg.dll === 0) conn.fallback = true;
      else if (seg.payloadLen > 0) {
        if (!d.ssnKnown) {
          // without the SYN, assume the first mapping starts at this segment
          d.ssnDelta = d.synSeen ? 0 : rel - seg.ssn;
          d.ssnKnown = true;
        }
        const guess = seg.ssn + d.ssnDelta;
        const start = rel + ((((guess >>> 0) - (rel >>> 0)) | 0));
        d.pushMapping(start, conn.data[dir].rel(seg.dsnHi, seg.dsnLo, (flags & DSS_DSN8) !== 0), seg.dll);
      }
      if (flags & DSS_DATA_FIN) conn.data[dir].dataFin = true;
    }
  }

  private learnKey(conn: Conn, client: boolean, buf: Buffer, off: number): void {
    if (conn.done || (client ? conn.keyClient : conn.keyServer)) return;
    if (client) conn.keyClient = true;
    else conn.keyServer = true;
    const version = conn.version < 0 ? 0 : conn.version;
    hashKey(buf, off, version, keyHash);
    const dir = client ? UP : DOWN;
    const data = conn.data[dir];
    data.idsnHi = keyHash.idsnHi;
    data.idsnLo = keyHash.idsnLo;
    data.idsnKnown = true;
    const token = keyHash.token;
    if (client) conn.tokenClient = token;
    const existing = this.tokens.get(token);
    if (existing !== undefined && existing !== conn && !existing.done && !conn.subflows[0]?.up.synSeen) {
      // the same connection seen from a subflow without its handshake: keep the older one
      if (existing.frozen !== null) this.thaw(existing);
      this.merge(conn, existing, false);
      return;
    }
    // (a connection with its own handshake takes the token over: tokens are reused once a
    // connection is gone, and the one before may still be waiting out its grace period here)
    this.tokens.set(token, conn);
    conn.tokens = conn.tokens.concat(token);
    const orphan = this.orphans.get(token);
    // (the orphan may be this connection itself: a join SYN with the token of its own key, as a
    // damaged capture can have; merged into itself it would grow its list of subflows for ever)
    if (orphan !== undefined && orphan !== conn && !orphan.done) {
      if (orphan.frozen !== null) this.thaw(orphan);
      this.orphans.delete(token);
      // its joins were oriented by their SYN: one with the client's token was opened by the server
      if (client) for (const sf of orphan.subflows) sf.flip();
      this.merge(orphan, conn, client);
    }
  }

  /**
   * Moves the subflows of `from` into `into` (a subflow that turned out to belong to a known
   * connection), with their TCP ACK sizes (`flipped`: every subflow of `from` was turned round).
   */
  private merge(from: Conn, into: Conn, flipped: boolean): void {
    into.ackSizes = moveTcpAckSizes(from.ackSizes, into.ackSizes, flipped);
    from.ackSizes = null;
    for (const sf of from.subflows) {
      sf.conn = into;
      sf.index = into.subflows.length;
      into.subflows.push(sf);
    }
    if (from.start < into.start) into.start = from.start;
    if (from.end > into.end) into.end = from.end;
    if (from.firstSyn >= 0 && (into.firstSyn < 0 || from.firstSyn < into.firstSyn)) into.firstSyn = from.firstSyn;
    from.subflows.length = 0;
    from.done = true;
    for (const t of from.tokens) if (this.tokens.get(t) === from) this.tokens.set(t, into);
    into.tokens = into.tokens.concat(from.tokens);
  }

  /**
   * A subflow seen without its SYN that carries DSS: the connection whose data sequence numbers
   * its own are next to (same server port). True when it moved there.
   */
  private place(sf: Subflow, conn: Conn, seg: Segment): boolean {
    const flags = seg.dssFlags;
    const hasMap = (flags & DSS_MAPPING) !== 0 && seg.dll > 0;
    const hasAck = (flags & DSS_DATA_ACK) !== 0;
    for (const cand of this.open) {
      const frozen = cand.frozen !== null;
      if (cand === conn || cand.done || !cand.mptcp || (!frozen && cand.subflows.length === 0)) continue;
      const sport = frozen ? frozenServerPort(cand) : cand.subflows[0].sport;
      if (sport !== sf.sport && sport !== sf.cport) continue;
      for (const fromClient of [this.fromClient, !this.fromClient]) {
        const dir = fromClient ? UP : DOWN;
        let near = false;
        if (hasMap) near = this.isNear(cand, dir, seg.dsnHi, seg.dsnLo, (flags & DSS_DSN8) !== 0);
        if (!near && hasAck) near = this.isNear(cand, 1 - dir, seg.dataAckHi, seg.dataAckLo, (flags & DSS_DATA_ACK8) !== 0);
        if (!near) continue;
        if (frozen) this.thaw(cand);
        const flipped = fromClient !== this.fromClient;
        if (flipped) {
          sf.flip();
          this.fromClient = fromClient;
        }
        // sf is conn's only subflow (see onDss): turning its ACK sizes round with it is exact
        this.merge(conn, cand, flipped);
        return true;
      }
    }
    return false;
  }

  /** Whether a DSN is near the last one of `conn` in direction `dir` (false before that direction has its base). */
  private isNear(conn: Conn, dir: number, hi: number, lo: number, wide: boolean): boolean {
    let distance: number;
    if (conn.frozen !== null) distance = frozenDsnDistance(conn, dir, hi, lo, wide);
    else {
      const data = conn.data[dir];
      if (!data.baseSet) return false;
      distance = data.peek(hi, lo, wide) - data.last;
    }
    return Math.abs(distance) < (wide ? PLACE_WINDOW_64 : PLACE_WINDOW_32);
  }

  // ---- data ------------------------------------------------------------------------------------

  private onData(sf: Subflow, conn: Conn, d: Dir, seg: Segment, fromClient: boolean, rel: number, len: number): void {
    const ts = seg.ts;
    const end = rel + len;
    d.bytes += len;
    d.dataPackets++;
    const seen = d.sent.add(rel, end);
    const fresh = len - seen;
    d.retransmitted += seen;
    if (seen === 0) {
      sf.lastNewData = ts;
      d.sentAt(end);
    } else {
      d.retransmittedFrom(rel);
    }
    if (fresh > 0) {
      const dir = fromClient ? UP : DOWN;
      const dsn = conn.mptcp && !conn.fallback && d.mapCount > 0 ? d.dsnOf(rel) : NaN;
      if (dsn === dsn) {
        // the fresh bytes are the segment's tail when part of it had been sent before
        const set = conn.data[dir].sent;
        set.add(dsn + seen, dsn + len, sf.uid);
        d.reinjected += set.other;
        d.retransmitted += set.same;
        d.unique += fresh - set.other - set.same;
      } else {
        d.unique += fresh;
      }
    }
    conn.data[fromClient ? UP : DOWN].blocks.add(sf.uid);
    conn.lastData = ts;
    if (!fromClient) conn.lastDownData = ts;
    if (conn.proxyState !== 2 && rel <= (fromClient ? PREFIX_UP : PREFIX_DOWN) && sf.index === 0 && d.synSeen) this.readProxyRequest(conn, seg, fromClient, rel);
  }

  /** Collects the first bytes of each direction of the initial subflow until the proxy request is known. */
  private readProxyRequest(conn: Conn, seg: Segment, fromClient: boolean, rel: number): void {
    if (conn.upPrefix === null) {
      conn.upPrefix = this.spareUp.pop() ?? Buffer.allocUnsafe(PREFIX_UP);
      conn.downPrefix = this.spareDown.pop() ?? Buffer.allocUnsafe(PREFIX_DOWN);
    }
    const prefix = fromClient ? conn.upPrefix : conn.downPrefix;
    if (prefix === null) return;
    const filled = fromClient ? conn.upFilled : conn.downFilled;
    const start = rel - 1;
    const cap = seg.payloadCap;
    if (start > filled || start + cap <= filled || filled >= prefix.length) return;
    const to = Math.min(cap, prefix.length - start);
    // a few bytes: a loop costs less than Buffer.copy's checks
    const src = seg.buf;
    for (let i = filled, j = seg.payloadOff + (filled - start); i < start + to; i++, j++) prefix[i] = src[j];
    if (fromClient) conn.upFilled = start + to;
    else conn.downFilled = start + to;
    const result = parseProxyRequest(conn.upPrefix!, conn.upFilled, conn.downPrefix!, conn.downFilled);
    if (result === 'none' || (result === 'more' && conn.upFilled >= PREFIX_UP)) {
      conn.proxyState = 2;
      conn.proxyRequest = null;
      this.recyclePrefixes(conn);
    } else if (result !== 'more') {
      conn.proxyRequest = result;
      conn.proxyState = 1;
      // done once the proxy's reply (whose length may depend on its content) has been read
      if (result.downBytes === 0 || conn.downFilled >= Math.min(PREFIX_DOWN, Math.max(result.downBytes, 32))) {
        conn.proxyState = 2;
        this.recyclePrefixes(conn);
      }
    }
  }

  /**
   * The prefixes of a connection whose proxy request is read, for the next connection (nothing
   * refers to them any more: the request holds strings). Their old bytes are never read: a prefix
   * is read only up to what was copied into it, as with the uninitialized memory of a new one.
   */
  private recyclePrefixes(conn: Conn): void {
    if (this.spareUp.length < 64) {
      this.spareUp.push(conn.upPrefix!);
      this.spareDown.push(conn.downPrefix!);
    }
    conn.upPrefix = null;
    conn.downPrefix = null;
  }

  // ---- end of connections ----------------------------------------------------------------------

  private sweep(now: number): void {
    this.nextSweep = now + SWEEP_INTERVAL;
    const { graceSeconds, idleSeconds } = this.options;
    let keep = 0;
    const open = this.open;
    for (let i = 0; i < open.length; i++) {
      const conn = open[i];
      if (conn.done) continue;
      const idle = now - conn.lastActivity;
      if ((idle > graceSeconds && (conn.frozen === null ? isClosed(conn) : conn.frozenClosed)) || idle > idleSeconds) {
        this.finish(conn);
        continue;
      }
      open[keep++] = conn;
    }
    open.length = keep;
  }

  /**
   * Freezes the connections that closed at least FREEZE_AFTER seconds ago and have seen nothing
   * since: most get no packet more, and the compact form is all they hold while they wait out
   * their grace period (see frozen.ts).
   */
  private freezeQuiet(now: number): void {
    this.nextFreeze = now + FREEZE_AFTER;
    const warm = this.warm;
    if (warm.length <= FREEZE_ABOVE) return;
    let keep = 0;
    for (let i = 0; i < warm.length; i++) {
      const conn = warm[i];
      if (conn.frozen !== null || conn.done) continue;
      if (now - conn.lastActivity >= FREEZE_AFTER && conn.subflows.length > 0 && isClosed(conn)) this.freeze(conn);
      else warm[keep++] = conn;
    }
    warm.length = keep;
  }

  private freeze(conn: Conn): void {
    conn.frozenClosed = isClosed(conn);
    for (const sf of conn.subflows) {
      if (!sf.inTable) continue;
      this.unlink(sf);
      // out of `table` while frozen, not for good: in it again once thawed
      sf.inTable = true;
      // one connection for a key, or (the keys of two 4-tuples are the same) a list
      const there = this.frozenTable.get(sf.key);
      if (there === undefined) this.frozenTable.set(sf.key, conn);
      else if (!Array.isArray(there)) {
        if (there !== conn) this.frozenTable.set(sf.key, [there, conn]);
      } else if (!there.includes(conn)) there.push(conn);
    }
    freeze(conn);
  }

  private thaw(conn: Conn): void {
    thaw(conn);
    this.warm.push(conn);
    this.dropFrozenKeys(conn);
    for (const sf of conn.subflows) {
      if (!sf.inTable) continue;
      sf.next = this.table.get(sf.key) ?? null;
      this.table.set(sf.key, sf);
    }
  }

  /** Takes a thawed connection out of frozenTable, under every subflow's key: one taken out of the table while frozen (frozenUnlink) left its entry too. */
  private dropFrozenKeys(conn: Conn): void {
    for (const sf of conn.subflows) {
      const there = this.frozenTable.get(sf.key);
      if (there === conn) this.frozenTable.delete(sf.key);
      else if (Array.isArray(there)) {
        const i = there.indexOf(conn);
        if (i >= 0) there.splice(i, 1);
        if (there.length === 0) this.frozenTable.delete(sf.key);
      }
    }
  }

  private finish(conn: Conn): void {
    if (conn.frozen !== null) {
      // thawed to be written: its subflows do not go back into the table only to be taken out
      thaw(conn);
      this.dropFrozenKeys(conn);
      for (const sf of conn.subflows) sf.inTable = false;
    } else for (const sf of conn.subflows) this.unlink(sf);
    conn.done = true;
    for (const t of conn.tokens) if (this.tokens.get(t) === conn) this.tokens.delete(t);
    if (conn.orphanToken >= 0 && this.orphans.get(conn.orphanToken) === conn) this.orphans.delete(conn.orphanToken);
    if (conn.subflows.length > 0) this.options.onDone(conn);
    // nothing reads a finished connection's state again, and finishAll() holds every connection until its end
    released(conn);
  }
}

function isClosed(conn: Conn): boolean {
  if (conn.fastClose) return true;
  for (const sf of conn.subflows) if (!sf.closed) return false;
  return true;
}

const NOT_THIS = 0;
const FROM_CLIENT = 1;
const FROM_SERVER = 2;

/** Whether `seg` belongs to subflow `sf`, and which way it goes. */
function orientation(sf: Subflow, seg: Segment): number {
  if (sf.v6 !== seg.v6) return NOT_THIS;
  if (sf.cport === seg.sport && sf.sport === seg.dport && sf.c0 === seg.src0 && sf.s0 === seg.dst0) {
    if (!seg.v6 || (sf.c1 === seg.src1 && sf.c2 === seg.src2 && sf.c3 === seg.src3 && sf.s1 === seg.dst1 && sf.s2 === seg.dst2 && sf.s3 === seg.dst3)) return FROM_CLIENT;
  }
  if (sf.cport === seg.dport && sf.sport === seg.sport && sf.c0 === seg.dst0 && sf.s0 === seg.src0) {
    if (!seg.v6 || (sf.c1 === seg.dst1 && sf.c2 === seg.dst2 && sf.c3 === seg.dst3 && sf.s1 === seg.src1 && sf.s2 === seg.src2 && sf.s3 === seg.src3)) return FROM_SERVER;
  }
  return NOT_THIS;
}

/** Without a handshake: the server port is the one below the ephemeral range, else the lower one. */
function guessServerPort(dport: number, sport: number): boolean {
  const dEphemeral = dport >= 32768;
  const sEphemeral = sport >= 32768;
  if (dEphemeral !== sEphemeral) return sEphemeral;
  return dport <= sport;
}

function mix(x: number, port: number): number {
  let h = Math.imul(x ^ Math.imul(port + 0x5bd1e995, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  return Math.imul(h, 0xc2b2ae35);
}

/** The same key for both directions of a 4-tuple. */
function flowKey(seg: Segment): number {
  let a = seg.src0;
  let b = seg.dst0;
  if (seg.v6) {
    a = a ^ Math.imul(seg.src1, 0x27d4eb2d) ^ Math.imul(seg.src2, 0x165667b1) ^ Math.imul(seg.src3, 0x61c88647);
    b = b ^ Math.imul(seg.dst1, 0x27d4eb2d) ^ Math.imul(seg.dst2, 0x165667b1) ^ Math.imul(seg.dst3, 0x61c88647);
  }
  return (mix(a, seg.sport) + mix(b, seg.dport)) & 0x3fffffff;
}
