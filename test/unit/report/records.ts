import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULT_SCHEMA, writeResult, type Measure, type TestResult } from '../../../common/test-result.js';
import type { ConnectionRecord, SubflowRecord } from '../../../framework/report/model.js';

/** Analyzer records and result.json files made by hand, for the report's unit tests. */
export function connection(over: Partial<ConnectionRecord> & { id: number }): ConnectionRecord {
  const zero = { up: 0, down: 0 };
  return {
    trace: 0,
    kind: 'mptcp',
    version: 1,
    fallback: false,
    client: '198.18.1.2:40000',
    server: '198.18.0.1:1080',
    start: 1_700_000_000,
    end: 1_700_000_001,
    duration: 1,
    subflows: 2,
    bytes: { up: 500, down: 50_000 },
    uniqueBytes: { up: 500, down: 50_000 },
    retransmittedBytes: zero,
    reinjectedBytes: zero,
    blocks: { up: [3], down: [30, 5] },
    handover: false,
    established: true,
    failed: false,
    empty: false,
    target: { host: 'origin', port: 443 },
    proxyProtocol: 'socks5',
    cellularShare: { up: 0, down: 0.1 },
    subtraces: { t1: true, t2: true, t3: false },
    synSeen: true,
    dataFin: { up: true, down: true },
    fastClose: false,
    addAddr: 0,
    removeAddr: 0,
    proxy: null,
    ...over,
  };
}

export function subflow(over: Partial<SubflowRecord> & { connection: number; index: number }): SubflowRecord {
  const zero = { up: 0, down: 0 };
  const rtt = { avgMs: 20, minMs: 15, maxMs: 30, stdMs: 3, samples: 10 };
  return {
    trace: 0,
    client: over.index === 0 ? '198.18.1.2:40000' : '198.18.2.2:40001',
    server: '198.18.0.1:1080',
    iface: over.index === 0 ? 'wifi' : 'cellular',
    start: 1_700_000_000,
    end: 1_700_000_001,
    joinDelay: over.index === 0 ? null : 0.05,
    synSeen: true,
    established: true,
    join: over.index > 0,
    addrId: over.index > 0 ? 2 : null,
    backup: false,
    packets: { up: 10, down: 40 },
    dataPackets: { up: 3, down: 35 },
    bytes: { up: 250, down: 25_000 },
    uniqueBytes: { up: 250, down: 25_000 },
    retransmittedBytes: zero,
    reinjectedBytes: zero,
    rtt,
    rttUp: rtt,
    used: true,
    unusedReason: null,
    fin: { up: true, down: true },
    rst: false,
    ...over,
  };
}

export function jsonl(records: readonly object[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/** An analyze output folder with these records. */
export function writeAnalysis(dir: string, connections: readonly ConnectionRecord[], subflows: readonly SubflowRecord[]): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'connections.jsonl'), jsonl(connections));
  writeFileSync(join(dir, 'subflows.jsonl'), jsonl(subflows));
  return dir;
}

export function result(over: Partial<TestResult> & { id: string }): TestResult {
  return {
    schema: RESULT_SCHEMA,
    scenario: 'download',
    app: { package: 'com.whatsapp', label: 'WhatsApp' },
    phone: { id: '127.0.0.1:6601', label: 'phone1', model: null, android: null, sdk: null, lab: 'mplab' },
    mode: 'mptcp',
    network: { name: 'both', wifi: true, cellular: true, defaultRoute: 'wifi', profile: null, label: null, changes: [] },
    params: {},
    start: 1_700_000_000,
    end: 1_700_000_030,
    seconds: 30,
    verdict: 'passed',
    reason: null,
    failedStep: null,
    steps: [],
    marks: [],
    measures: [],
    analysis: { dir: 'analysis', connections: 0, mptcpConnections: 0, subflows: 0, bytes: { up: 0, down: 0 }, bytesOnCellular: null, handovers: 0 },
    files: { captures: [], proxyLog: null, appiumLog: null, log: 'test.log', evidence: [] },
    ...over,
  };
}

/** A test folder: result.json and its analyzer records in analysis/. */
export function writeTest(dir: string, r: TestResult, connections: readonly ConnectionRecord[], subflows: readonly SubflowRecord[]): string {
  mkdirSync(dir, { recursive: true });
  writeResult(dir, r);
  if (r.analysis) writeAnalysis(join(dir, r.analysis.dir), connections, subflows);
  return dir;
}

export function measure(name: string, value: number | null, band?: Measure['band']): Measure {
  return { name, value, unit: 's', ...(band ? { band } : {}) };
}
