import type { Segment } from './decode.js';
import { DataDir, releaseDataDir, releaseSubflow, takeDataDir, takeSubflow, type Conn } from './model.js';
import { PackReader, PackWriter } from './packed.js';

/**
 * The compact form of a connection that has closed and waits out its grace period (the tracker
 * freezes it, see Tracker.freezeQuiet): its subflows and data-level state, a dozen objects and
 * some eighty boxed numbers on the heap, written as a few hundred bytes (packed.ts) that the
 * garbage collector neither scans nor copies. The Conn object stays (tokens, the list of open
 * connections and the order of output refer to it) and keeps its own fields. A packet for it, or
 * its end, thaws it: every value comes back exactly as it was, so the results are those of a
 * connection never frozen.
 *
 * The record starts with what is read without thawing: the server port of the first subflow and,
 * per direction, the data level's baseSet, baseHi, baseLo and last (for the placement of subflows
 * seen without their SYN, Tracker.place), then per subflow its identity, 4-tuple and what tells a
 * new SYN on that 4-tuple from a repeated one (for the lookup of a packet, frozenMatch()).
 */

const writer = new PackWriter();
const reader = new PackReader();
/** a data level with a frozen connection's base, for DataDir.peek() */
const scratch = new DataDir();
/**
 * in place of the data-level state of a frozen or finished connection, in its own `data` array:
 * the array and the connection keep their hidden classes (another kind of array there would make
 * the optimized code for every connection check which one it has; bulk transfers ran 15% slower)
 */
const NO_DATA = new DataDir();

export function freeze(conn: Conn): void {
  const w = writer;
  w.reset();
  w.num(conn.subflows[0].sport);
  for (const d of conn.data) {
    w.bool(d.baseSet);
    w.num(d.baseHi);
    w.num(d.baseLo);
    w.num(d.last);
  }
  w.num(conn.subflows.length);
  for (const sf of conn.subflows) {
    w.num(sf.uid);
    w.num(sf.key);
    w.bool(sf.v6);
    w.num(sf.c0);
    w.num(sf.c1);
    w.num(sf.c2);
    w.num(sf.c3);
    w.num(sf.cport);
    w.num(sf.s0);
    w.num(sf.s1);
    w.num(sf.s2);
    w.num(sf.s3);
    w.num(sf.sport);
    w.num(sf.firstTime);
    w.bool(sf.inTable);
    w.bool(sf.up.synSeen);
    w.num(sf.up.base);
    w.bool(sf.down.synSeen);
    w.num(sf.down.base);
  }
  conn.data[0].save(w);
  conn.data[1].save(w);
  for (const sf of conn.subflows) {
    w.num(sf.index);
    w.num(sf.lastTime);
    w.num(sf.synTime);
    w.num(sf.synAckTime);
    w.num(sf.establishedTime);
    w.bool(sf.synRetransmitted);
    w.bool(sf.established);
    w.bool(sf.mpCapable);
    w.bool(sf.join);
    w.num(sf.joinToken);
    w.num(sf.addrId);
    w.bool(sf.backup);
    w.bool(sf.rst);
    w.num(sf.lastClientAck);
    w.num(sf.lastNewData);
    sf.up.save(w);
    sf.down.save(w);
  }
  // the ACK sizes too: a connection waits out its grace period with them, and most wait to the end
  w.list(conn.ackSizes);
  conn.ackSizes = null;
  conn.frozen = w.take();
  dropState(conn);
}

/** Drops the subflows, data-level state and ACK sizes of a finished connection (its records are written). */
export function released(conn: Conn): void {
  dropState(conn);
  conn.ackSizes = null;
  conn.frozen = null;
}

/** The subflows and data levels of `conn` back to their pools (model.ts): nothing refers to them any more. */
function dropState(conn: Conn): void {
  for (const sf of conn.subflows) releaseSubflow(sf);
  // emptied in place, and filled again by thaw(): every connection's list of subflows stays one
  // kind of array (a new [] has no objects in it yet, new Array(n) has holes), so the code that reads
  // them is not compiled again for a second kind
  conn.subflows.length = 0;
  for (let i = 0; i < 2; i++) {
    const d = conn.data[i];
    if (d !== NO_DATA) releaseDataDir(d);
    conn.data[i] = NO_DATA;
  }
}

/**
 * Brings a frozen connection's subflows and data-level state back, from the pools. The caller links
 * the subflows into its table when the connection goes on (Tracker.thaw), not when it is thawed to
 * be written (Tracker.finish).
 */
export function thaw(conn: Conn): void {
  const r = reader;
  r.start(conn.frozen!);
  for (let i = 0; i < 9; i++) r.num();
  const n = r.num();
  const subflows = conn.subflows;
  for (let k = 0; k < n; k++) {
    const sf = takeSubflow(r.num(), r.num(), r.bool(), r.num(), r.num(), r.num(), r.num(), r.num(), r.num(), r.num(), r.num(), r.num(), r.num(), r.num());
    sf.conn = conn;
    sf.inTable = r.bool();
    for (let i = 0; i < 4; i++) r.num();
    subflows.push(sf);
  }
  for (let i = 0; i < 2; i++) {
    const d = takeDataDir();
    d.load(r);
    conn.data[i] = d;
  }
  for (const sf of subflows) {
    sf.index = r.num();
    sf.lastTime = r.num();
    sf.synTime = r.num();
    sf.synAckTime = r.num();
    sf.establishedTime = r.num();
    sf.synRetransmitted = r.bool();
    sf.established = r.bool();
    sf.mpCapable = r.bool();
    sf.join = r.bool();
    sf.joinToken = r.num();
    sf.addrId = r.num();
    sf.backup = r.bool();
    sf.rst = r.bool();
    sf.lastClientAck = r.num();
    sf.lastNewData = r.num();
    sf.up.load(r);
    sf.down.load(r);
  }
  conn.ackSizes = r.list();
  if (!r.done) throw new Error(`connection ${conn.id}: its compact form was not read to its end`);
  conn.frozen = null;
}

/** The server port of a frozen connection's first subflow. */
export function frozenServerPort(conn: Conn): number {
  reader.start(conn.frozen!);
  return reader.num();
}

/** What Tracker.isNear needs of a frozen connection's data level in direction `dir`: its relative DSN of a raw one, minus its last one (NaN when it has no base). */
export function frozenDsnDistance(conn: Conn, dir: number, hi: number, lo: number, wide: boolean): number {
  const r = reader;
  r.start(conn.frozen!);
  for (let i = 0; i < 1 + 4 * dir; i++) r.num();
  if (!r.bool()) return NaN;
  const d = scratch;
  d.baseHi = r.num();
  d.baseLo = r.num();
  d.last = r.num();
  return d.peek(hi, lo, wide) - d.last;
}

/** After frozenMatch() found a subflow: which way the packet goes, and whether a SYN that way (without ACK) starts a new subflow. */
export const match = { fromClient: false, newIncarnation: false, inTableAt: 0 };

/**
 * Whether a subflow of frozen connection `conn` still in the table has the 4-tuple of `seg` (see
 * Tracker.lookup); if so `match` tells more.
 */
export function frozenMatch(conn: Conn, seg: Segment): boolean {
  const r = reader;
  r.start(conn.frozen!);
  for (let i = 0; i < 9; i++) r.num();
  const n = r.num();
  for (let k = 0; k < n; k++) {
    r.num(); // uid
    r.num(); // key
    const v6 = r.bool();
    const c0 = r.num();
    const c1 = r.num();
    const c2 = r.num();
    const c3 = r.num();
    const cport = r.num();
    const s0 = r.num();
    const s1 = r.num();
    const s2 = r.num();
    const s3 = r.num();
    const sport = r.num();
    r.num(); // firstTime
    const inTableAt = r.at;
    const inTable = r.bool();
    const upSyn = r.bool();
    const upBase = r.num();
    const downSyn = r.bool();
    const downBase = r.num();
    if (!inTable || v6 !== seg.v6) continue;
    let fromClient: boolean;
    if (cport === seg.sport && sport === seg.dport && c0 === seg.src0 && s0 === seg.dst0 && (!v6 || (c1 === seg.src1 && c2 === seg.src2 && c3 === seg.src3 && s1 === seg.dst1 && s2 === seg.dst2 && s3 === seg.dst3))) fromClient = true;
    else if (cport === seg.dport && sport === seg.sport && c0 === seg.dst0 && s0 === seg.src0 && (!v6 || (c1 === seg.dst1 && c2 === seg.dst2 && c3 === seg.dst3 && s1 === seg.src1 && s2 === seg.src2 && s3 === seg.src3))) fromClient = false;
    else continue;
    match.fromClient = fromClient;
    match.newIncarnation = fromClient ? !upSyn || seg.seq !== upBase : !downSyn || seg.seq !== downBase;
    match.inTableAt = inTableAt;
    return true;
  }
  return false;
}

/** Takes the subflow frozenMatch() found out of the table for good (a new subflow with its 4-tuple starts), without thawing it. */
export function frozenUnlink(conn: Conn): void {
  // inTable: the integer 1 (one byte, 4) becomes 0 (one byte, 0)
  conn.frozen![match.inTableAt] = 0;
}
