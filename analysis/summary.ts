import type { ReadResult } from './capture/reader.js';
import { round6, roundTime } from './metrics.js';
import type { ConnectionRecord, UpDown } from './records.js';

/** summary.json: totals over every connection written, and what was read. */
export interface Summary {
  files: FileSummary[];
  traces: { trace: number; files: string[] }[];
  packets: { read: number; tcp: number; notTcp: number; truncated: number; malformed: number };
  corruptRecords: number;
  cutOffRecords: number;
  timeSpan: { start: number; end: number; seconds: number } | null;
  connections: { total: number; mptcp: number; tcp: number; fallback: number; established: number; failed: number; empty: number; handover: number };
  subflows: number;
  subtraces: Record<'T0' | 'T1' | 'T2' | 'T3', { connections: number; bytes: UpDown<number> }>;
  subflowsPerConnection: { counts: Record<SubflowCountClass, number>; shares: Record<SubflowCountClass, number> };
  destinationPorts: { port: number | null; connections: number; share: number; bytes: UpDown<number> }[];
  bytes: UpDown<number>;
  uniqueBytes: UpDown<number>;
  retransmittedBytes: UpDown<number>;
  reinjectedBytes: UpDown<number>;
  proxyLog: { entries: number; matched: number } | null;
}

export type FileSummary = Omit<ReadResult, 'firstTs' | 'lastTs' | 'minTs' | 'maxTs'> & {
  trace: number;
  start: number | null;
  end: number | null;
};

/**
 * What addConnection adds up over the records, and the packet counts, as the native analyzer keeps
 * them (analysis/native-engine.ts; its MpaSummary): ports in the order they first appeared.
 */
export interface SummaryTotals {
  read: number;
  tcp: number;
  notTcp: number;
  truncated: number;
  malformed: number;
  total: number;
  mptcp: number;
  tcpConns: number;
  fallback: number;
  established: number;
  failed: number;
  empty: number;
  handover: number;
  subflows: number;
  /** T0..T3 */
  subtraceConnections: number[];
  subtraceBytes: UpDown<number>[];
  /** connections of 1, 2, 3, 4, 5 and more than 5 subflows */
  counts: number[];
  /** [port (null: no target), connections, bytes up, bytes down] */
  ports: [number | null, number, number, number][];
  bytes: UpDown<number>;
  uniqueBytes: UpDown<number>;
  retransmittedBytes: UpDown<number>;
  reinjectedBytes: UpDown<number>;
  /** proxy-log entries joined to a connection */
  proxyLogMatched: number;
}

type SubflowCountClass = '1' | '2' | '3' | '4' | '5' | '>5';
const COUNT_CLASSES: SubflowCountClass[] = ['1', '2', '3', '4', '5', '>5'];

export class SummaryBuilder {
  readonly packets = { read: 0, tcp: 0, notTcp: 0, truncated: 0, malformed: 0 };
  private readonly files: FileSummary[] = [];
  private readonly connections = { total: 0, mptcp: 0, tcp: 0, fallback: 0, established: 0, failed: 0, empty: 0, handover: 0 };
  private subflows = 0;
  private readonly subtraces = {
    T0: { connections: 0, bytes: { up: 0, down: 0 } },
    T1: { connections: 0, bytes: { up: 0, down: 0 } },
    T2: { connections: 0, bytes: { up: 0, down: 0 } },
    T3: { connections: 0, bytes: { up: 0, down: 0 } },
  };
  private readonly counts: Record<SubflowCountClass, number> = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0, '>5': 0 };
  private readonly ports = new Map<number | null, { connections: number; bytes: UpDown<number> }>();
  private readonly totals = {
    bytes: { up: 0, down: 0 },
    uniqueBytes: { up: 0, down: 0 },
    retransmittedBytes: { up: 0, down: 0 },
    reinjectedBytes: { up: 0, down: 0 },
  };
  private start = Infinity;
  private end = -Infinity;

  addFile(result: ReadResult, trace: number): void {
    const { firstTs, lastTs, minTs, maxTs, ...rest } = result;
    this.files.push({ ...rest, trace, start: firstTs === null ? null : roundTime(firstTs), end: lastTs === null ? null : roundTime(lastTs) });
    // the span from the earliest to the latest timestamp: records need not be in time order
    if (minTs !== null) this.start = Math.min(this.start, minTs);
    if (maxTs !== null) this.end = Math.max(this.end, maxTs);
  }

  addConnection(c: ConnectionRecord): void {
    const n = this.connections;
    n.total++;
    if (c.kind === 'mptcp') n.mptcp++;
    else n.tcp++;
    if (c.fallback) n.fallback++;
    if (c.established) n.established++;
    if (c.failed) n.failed++;
    if (c.empty) n.empty++;
    if (c.handover) n.handover++;
    this.subflows += c.subflows;
    addTo(this.subtraces.T0, c.bytes);
    if (c.subtraces.t1) addTo(this.subtraces.T1, c.bytes);
    if (c.subtraces.t2) addTo(this.subtraces.T2, c.bytes);
    if (c.subtraces.t3) addTo(this.subtraces.T3, c.bytes);
    this.counts[c.subflows > 5 ? '>5' : (String(c.subflows) as SubflowCountClass)]++;
    const port = c.target?.port ?? null;
    let p = this.ports.get(port);
    if (!p) this.ports.set(port, (p = { connections: 0, bytes: { up: 0, down: 0 } }));
    p.connections++;
    p.bytes.up += c.bytes.up;
    p.bytes.down += c.bytes.down;
    for (const key of ['bytes', 'uniqueBytes', 'retransmittedBytes', 'reinjectedBytes'] as const) {
      this.totals[key].up += c[key].up;
      this.totals[key].down += c[key].down;
    }
  }

  /** Totals kept elsewhere (the native analyzer's), in place of addConnection() for each record and the packet counts. */
  addTotals(t: SummaryTotals): void {
    const p = this.packets;
    p.read += t.read;
    p.tcp += t.tcp;
    p.notTcp += t.notTcp;
    p.truncated += t.truncated;
    p.malformed += t.malformed;
    const n = this.connections;
    n.total += t.total;
    n.mptcp += t.mptcp;
    n.tcp += t.tcpConns;
    n.fallback += t.fallback;
    n.established += t.established;
    n.failed += t.failed;
    n.empty += t.empty;
    n.handover += t.handover;
    this.subflows += t.subflows;
    (['T0', 'T1', 'T2', 'T3'] as const).forEach((k, i) => {
      const st = this.subtraces[k];
      st.connections += t.subtraceConnections[i]!;
      st.bytes.up += t.subtraceBytes[i]!.up;
      st.bytes.down += t.subtraceBytes[i]!.down;
    });
    COUNT_CLASSES.forEach((k, i) => (this.counts[k] += t.counts[i]!));
    for (const [port, connections, up, down] of t.ports) {
      let entry = this.ports.get(port);
      if (!entry) this.ports.set(port, (entry = { connections: 0, bytes: { up: 0, down: 0 } }));
      entry.connections += connections;
      entry.bytes.up += up;
      entry.bytes.down += down;
    }
    for (const key of ['bytes', 'uniqueBytes', 'retransmittedBytes', 'reinjectedBytes'] as const) {
      this.totals[key].up += t[key].up;
      this.totals[key].down += t[key].down;
    }
  }

  build(extra: { corruptRecords: number; cutOffRecords: number; traces: { trace: number; files: string[] }[]; proxyLog: Summary['proxyLog'] }): Summary {
    const total = this.connections.total;
    const shares = {} as Record<SubflowCountClass, number>;
    for (const k of COUNT_CLASSES) shares[k] = total === 0 ? 0 : round6(this.counts[k] / total);
    const ports = [...this.ports.entries()]
      .map(([port, v]) => ({ port, connections: v.connections, share: total === 0 ? 0 : round6(v.connections / total), bytes: v.bytes }))
      .sort((a, b) => b.connections - a.connections || (a.port ?? 1e6) - (b.port ?? 1e6));
    return {
      files: this.files,
      traces: extra.traces,
      packets: this.packets,
      corruptRecords: extra.corruptRecords,
      cutOffRecords: extra.cutOffRecords,
      timeSpan: this.start <= this.end ? { start: roundTime(this.start), end: roundTime(this.end), seconds: roundTime(this.end - this.start) } : null,
      connections: this.connections,
      subflows: this.subflows,
      subtraces: this.subtraces,
      subflowsPerConnection: { counts: this.counts, shares },
      destinationPorts: ports,
      ...this.totals,
      proxyLog: extra.proxyLog,
    };
  }
}

function addTo(t: { connections: number; bytes: UpDown<number> }, bytes: UpDown<number>): void {
  t.connections++;
  t.bytes.up += bytes.up;
  t.bytes.down += bytes.down;
}
