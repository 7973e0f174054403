import { formatEndpoint, formatIp, type InterfaceClassifier } from './address.js';
import { hasHandover, round6, roundTime, rttStats, type RttStats } from './metrics.js';
import { ACK_DATA, ACK_TCP, DOWN, UP, ackBinLow, type AckSizes, type Conn, type Dir, type Subflow } from './model.js';
import type { ProxyLog, ProxyLogEntry } from './proxy-log.js';
import { parseProxyRequest, type ProxyProtocol, type ProxyTarget } from './socks.js';

/** The records written to connections.jsonl and subflows.jsonl (docs/analyzer.md lists every field). */
export interface UpDown<T> {
  up: T;
  down: T;
}

export type Iface = 'wifi' | 'cellular' | null;

export interface ConnectionRecord {
  id: number;
  trace: number;
  kind: 'mptcp' | 'tcp';
  version: 0 | 1 | null;
  fallback: boolean;
  client: string;
  server: string;
  start: number;
  end: number;
  duration: number;
  subflows: number;
  bytes: UpDown<number>;
  uniqueBytes: UpDown<number>;
  retransmittedBytes: UpDown<number>;
  reinjectedBytes: UpDown<number>;
  blocks: UpDown<number[]>;
  handover: boolean;
  established: boolean;
  failed: boolean;
  empty: boolean;
  target: ProxyTarget | null;
  proxyProtocol: ProxyProtocol | null;
  cellularShare: UpDown<number | null> | null;
  subtraces: { t1: boolean; t2: boolean; t3: boolean };
  synSeen: boolean;
  dataFin: UpDown<boolean>;
  fastClose: boolean;
  addAddr: number;
  removeAddr: number;
  proxy: ProxyJoin | null;
  ackSizes: UpDown<AckSizeBins>;
}

/** [the bin's smallest size in bytes, ACKs in the bin, bytes they acknowledged], per quarter-octave bin used, smallest first. */
export type AckBin = [number, number, number];

/** The ACKs of one direction's data: TCP ACKs of all its subflows, and Data ACKs (MPTCP). */
export interface AckSizeBins {
  tcp: AckBin[];
  data: AckBin[];
}

export interface ProxyJoin {
  id: number;
  event: string;
  target: ProxyTarget | null;
  remote: string | null;
  start: number;
  end: number | null;
  bytes: UpDown<number> | null;
  close: string | null;
  mptcp: { subflows: number; fallback: boolean } | null;
}

export interface SubflowRecord {
  connection: number;
  trace: number;
  index: number;
  client: string;
  server: string;
  iface: Iface;
  start: number;
  end: number;
  joinDelay: number | null;
  synSeen: boolean;
  established: boolean;
  join: boolean;
  addrId: number | null;
  backup: boolean;
  packets: UpDown<number>;
  dataPackets: UpDown<number>;
  bytes: UpDown<number>;
  uniqueBytes: UpDown<number>;
  retransmittedBytes: UpDown<number>;
  reinjectedBytes: UpDown<number>;
  rtt: RttStats;
  rttUp: RttStats;
  used: boolean;
  unusedReason: 'backup' | 'not-established' | 'late' | 'higher-rtt' | 'other' | null;
  fin: UpDown<boolean>;
  rst: boolean;
  connectRttMs: number | null;
}

export interface ReportContext {
  classifier: InterfaceClassifier;
  proxyLog: ProxyLog | null;
}

export function buildRecords(conn: Conn, ctx: ReportContext): { connection: ConnectionRecord; subflows: SubflowRecord[] } {
  const first = conn.subflows[0];
  const sum = (pick: (d: Dir) => number): UpDown<number> => {
    let up = 0;
    let down = 0;
    for (const sf of conn.subflows) {
      up += pick(sf.up);
      down += pick(sf.down);
    }
    return { up, down };
  };
  const bytes = sum((d) => d.bytes);
  const uniqueBytes = sum((d) => d.unique);
  const used = (sf: Subflow) => sf.up.bytes > 0 || sf.down.bytes > 0;

  const ifaces = mapPacked(conn.subflows, (sf) => (ctx.classifier.known ? ctx.classifier.classify(formatIp(sf.v6, sf.c0, sf.c1, sf.c2, sf.c3), sf.v6) : null));
  const client = formatEndpoint(first.v6, first.c0, first.c1, first.c2, first.c3, first.cport);
  const server = formatEndpoint(first.v6, first.s0, first.s1, first.s2, first.s3, first.sport);

  // the proxy request: parsed once more now that the proxy's reply may have been read too
  let request = conn.proxyRequest;
  if (request && conn.upPrefix && conn.downPrefix) {
    const again = parseProxyRequest(conn.upPrefix, conn.upFilled, conn.downPrefix, conn.downFilled);
    if (typeof again === 'object') request = again;
  }
  const logEntry = ctx.proxyLog ? ctx.proxyLog.match(client, conn.start) : null;

  const established = first.established;
  const failed = first.synTime >= 0 && !established;
  const handover = hasHandover(
    mapPacked(conn.subflows, (sf) => ({ used: used(sf), lastClientAck: sf.lastClientAck, lastNewData: sf.lastNewData, clientFin: sf.up.fin })),
  );
  const empty = established && uniqueBytes.up <= (request?.upBytes ?? 0) && uniqueBytes.down <= (request?.downBytes ?? 0);

  // RTT of the used subflows, for telling why an additional subflow stayed unused
  let bestUsedRtt = Infinity;
  for (const sf of conn.subflows) if (used(sf) && sf.down.rttSamples > 0) bestUsedRtt = Math.min(bestUsedRtt, sf.down.rttSum / sf.down.rttSamples);

  const subflows: SubflowRecord[] = mapPacked(conn.subflows, (sf, i) => {
    const isUsed = used(sf);
    let unusedReason: SubflowRecord['unusedReason'] = null;
    if (!isUsed && sf.index > 0) {
      if (sf.backup) unusedReason = 'backup';
      else if (!sf.established) unusedReason = 'not-established';
      else if (conn.lastDownData >= 0 && sf.establishedTime > conn.lastDownData) unusedReason = 'late';
      else if (sf.down.rttSamples > 0 && sf.down.rttSum / sf.down.rttSamples > bestUsedRtt) unusedReason = 'higher-rtt';
      else unusedReason = 'other';
    }
    return {
      connection: conn.id,
      trace: conn.trace,
      index: sf.index,
      client: i === 0 ? client : formatEndpoint(sf.v6, sf.c0, sf.c1, sf.c2, sf.c3, sf.cport),
      server: i === 0 ? server : formatEndpoint(sf.v6, sf.s0, sf.s1, sf.s2, sf.s3, sf.sport),
      iface: ifaces[i],
      start: roundTime(sf.firstTime),
      end: roundTime(sf.lastTime),
      joinDelay: sf.index > 0 && sf.synTime >= 0 && conn.firstSyn >= 0 ? roundTime(sf.synTime - conn.firstSyn) : null,
      synSeen: sf.up.synSeen || sf.down.synSeen,
      established: sf.established,
      join: sf.join,
      addrId: sf.addrId >= 0 ? sf.addrId : null,
      backup: sf.backup,
      packets: { up: sf.up.packets, down: sf.down.packets },
      dataPackets: { up: sf.up.dataPackets, down: sf.down.dataPackets },
      bytes: { up: sf.up.bytes, down: sf.down.bytes },
      uniqueBytes: { up: sf.up.unique, down: sf.down.unique },
      retransmittedBytes: { up: sf.up.retransmitted, down: sf.down.retransmitted },
      reinjectedBytes: { up: sf.up.reinjected, down: sf.down.reinjected },
      rtt: rttStats(sf.down.rttSamples, sf.down.rttSum, sf.down.rttSumSq, sf.down.rttMin, sf.down.rttMax),
      rttUp: rttStats(sf.up.rttSamples, sf.up.rttSum, sf.up.rttSumSq, sf.up.rttMin, sf.up.rttMax),
      used: isUsed,
      unusedReason,
      fin: { up: sf.up.fin, down: sf.down.fin },
      rst: sf.rst,
      connectRttMs: connectRtt(sf),
    };
  });

  const connection: ConnectionRecord = {
    id: conn.id,
    trace: conn.trace,
    kind: conn.mptcp ? 'mptcp' : 'tcp',
    version: conn.version === 0 || conn.version === 1 ? conn.version : null,
    fallback: conn.mptcp && conn.fallback,
    client,
    server,
    start: roundTime(conn.start),
    end: roundTime(conn.end),
    duration: roundTime(conn.end - conn.start),
    subflows: conn.subflows.length,
    bytes,
    uniqueBytes,
    retransmittedBytes: sum((d) => d.retransmitted),
    reinjectedBytes: sum((d) => d.reinjected),
    blocks: { up: conn.data[UP].blocks.toArray(), down: conn.data[DOWN].blocks.toArray() },
    handover,
    established,
    failed,
    empty,
    target: request?.target ?? logEntry?.target ?? null,
    proxyProtocol: request?.protocol ?? null,
    cellularShare: ctx.classifier.known ? cellularShare(conn.subflows, ifaces) : null,
    subtraces: { t1: count(subflows, 'established') >= 2, t2: count(subflows, 'used') >= 2, t3: handover },
    synSeen: first.synTime >= 0,
    dataFin: { up: conn.data[UP].dataFin, down: conn.data[DOWN].dataFin },
    fastClose: conn.fastClose,
    addAddr: conn.addAddr,
    removeAddr: conn.removeAddr,
    proxy: logEntry ? proxyJoin(logEntry) : null,
    ackSizes: {
      up: { tcp: ackBins(conn.ackSizes, ACK_TCP + UP), data: ackBins(conn.ackSizes, ACK_DATA + UP) },
      down: { tcp: ackBins(conn.ackSizes, ACK_TCP + DOWN), data: ackBins(conn.ackSizes, ACK_DATA + DOWN) },
    },
  };
  return { connection, subflows };
}

/**
 * Array.prototype.map's result, made by push: map() makes a packed array when the interpreter runs
 * it and a holey one in optimized code, and every function the array reaches is then compiled again
 * for the second kind (a deoptimization each, in the run's first thousands of connections)
 */
function mapPacked<T, U>(items: readonly T[], f: (item: T, i: number) => U): U[] {
  const out: U[] = [];
  for (let i = 0; i < items.length; i++) out.push(f(items[i], i));
  return out;
}

/** The subflows whose `field` is true. */
function count(subflows: readonly SubflowRecord[], field: 'established' | 'used'): number {
  let n = 0;
  for (const s of subflows) if (s[field]) n++;
  return n;
}

const NO_BINS: readonly AckBin[] = [];

/** The bins of `sizes` under `key` (see AckSizes), smallest first. */
function ackBins(sizes: AckSizes | null, key: number): AckBin[] {
  let out: AckBin[] | null = null;
  for (let i = 0; sizes !== null && i < sizes.length; i += 3) {
    const slot = sizes[i];
    if ((slot & 3) !== key) continue;
    const bin: AckBin = [slot >> 2, sizes[i + 1], sizes[i + 2]];
    if (out === null) out = [bin];
    else {
      // a few bins: an insertion keeps them in order
      let k = out.length;
      out.push(bin);
      while (k > 0 && out[k - 1][0] > bin[0]) {
        out[k] = out[k - 1];
        k--;
      }
      out[k] = bin;
    }
  }
  if (out === null) return NO_BINS as AckBin[];
  for (let k = 0; k < out.length; k++) out[k][0] = ackBinLow(out[k][0]);
  return out;
}

/**
 * The round trip of the handshake, as the capture point waits for it: SYN to SYN/ACK (a capture
 * at the phone) or SYN/ACK to the third ACK (a capture at the proxy), whichever is longer; the
 * other is the answering host's own delay. Null unless all three were captured (with two, which
 * wait is the round trip cannot be told), or when the SYN or SYN/ACK was sent again (the wait would
 * hold a retransmission timeout).
 */
function connectRtt(sf: Subflow): number | null {
  if (sf.synTime < 0 || sf.synAckTime < sf.synTime || sf.establishedTime < sf.synAckTime || sf.synRetransmitted) return null;
  return Math.round(Math.max(sf.synAckTime - sf.synTime, sf.establishedTime - sf.synAckTime) * 1e6) / 1e3;
}

/** Share of each direction's payload bytes sent on cellular subflows; null where a data-carrying subflow's interface is unknown. */
function cellularShare(subflows: readonly Subflow[], ifaces: readonly Iface[]): UpDown<number | null> {
  const share = (pick: (sf: Subflow) => number): number | null => {
    let total = 0;
    let cellular = 0;
    for (let i = 0; i < subflows.length; i++) {
      const n = pick(subflows[i]);
      if (n === 0) continue;
      if (ifaces[i] === null) return null;
      total += n;
      if (ifaces[i] === 'cellular') cellular += n;
    }
    return total === 0 ? null : round6(cellular / total);
  };
  return { up: share((sf) => sf.up.bytes), down: share((sf) => sf.down.bytes) };
}

/** The connection record's `proxy` field of a proxy-log entry. */
export function proxyJoin(e: ProxyLogEntry): ProxyJoin {
  return { id: e.id, event: e.event, target: e.target, remote: e.remote, start: e.start, end: e.end, bytes: e.bytes, close: e.close, mptcp: e.mptcp };
}
