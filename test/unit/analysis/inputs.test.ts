import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../support/tmp.js';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../../analysis/analyze.js';
import { MemoryOutput } from '../../../analysis/output.js';
import { Conversation, type CaptureRecord } from '../../support/pcap-writer.js';
import { MptcpScenario } from './mptcp-scenario.js';
import { analyzeRecords, writeCapture } from './run.js';

const T = 1_763_000_000;

function proxyLogFile(lines: object[]): string {
  const file = join(tempDir(), 'proxy.log');
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

const entry = (id: number, client: string, start: number, host: string) => ({
  event: 'connection',
  id,
  client,
  listen: '198.18.0.1:1080',
  target: { host, port: 443 },
  remote: '198.19.0.2:443',
  start,
  end: start + 1,
  bytes: { up: 10, down: 20 },
  close: 'client-end',
  mptcp: { subflows: 1, fallback: false },
});

describe('--proxy-log', () => {
  it('joins on the initial subflow\'s client ip:port and the nearest start time (ports are reused)', () => {
    const recs: CaptureRecord[] = [];
    for (const [i, t] of [T, T + 300].entries()) {
      const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:1080', { up: 1000 + i * 50000, down: 7000 + i * 9000 });
      c.handshake(t);
      c.send('up', t + 0.1, 50);
      c.fin('up', t + 1).fin('down', t + 1.01);
    }
    const log = proxyLogFile([
      entry(1, '198.18.1.2:40000', T + 0.03, 'first.example'),
      { event: 'proxy-start', pid: 1 },
      entry(2, '198.18.1.2:40000', T + 300.02, 'second.example'),
      entry(3, '198.18.1.9:40000', T + 300.02, 'other.example'),
    ]);
    const out = analyzeRecords(recs, { proxyLog: log });
    expect(out.connections.map((c) => [c.target?.host, c.proxy?.id, c.proxy?.close])).toEqual([
      ['first.example', 1, 'client-end'],
      ['second.example', 2, 'client-end'],
    ]);
    expect(out.result?.proxyLog).toEqual({ entries: 3, matched: 2 });
  });

  it('does not join outside the tolerance', () => {
    const recs: CaptureRecord[] = [];
    new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:1080').handshake(T);
    const log = proxyLogFile([entry(1, '198.18.1.2:40000', T + 5, 'late.example')]);
    expect(analyzeRecords(recs, { proxyLog: log }).connections[0].proxy).toBeNull();
    expect(analyzeRecords(recs, { proxyLog: log, proxyLogTolerance: 10 }).connections[0].proxy?.id).toBe(1);
  });

  it('rejects a malformed log naming the file, the line and the field', () => {
    const log = proxyLogFile([entry(1, '198.18.1.2:40000', T, 'x'), { event: 'connection', client: 'nowhere', start: 1 }]);
    expect(() => analyzeRecords([], { proxyLog: log })).toThrow(`--proxy-log ${log}: line 2: field "client" must be "ip:port" (got "nowhere")`);
  });
});

describe('several capture files', () => {
  const connection = (recs: CaptureRecord[], from: number, to: number) => {
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:1080');
    c.handshake(T);
    c.send('up', T + 1, 100);
    c.send('down', T + 2, 1000);
    c.fin('up', T + 3).fin('down', T + 3.01);
    return recs.slice(from, to);
  };

  it('continues connections across the parts of a split capture, whatever the order on the command line', () => {
    const all: CaptureRecord[] = [];
    connection(all, 0, 0);
    const part1 = writeCapture(all.slice(0, 4), 'raw', 'part1.pcap');
    const part2 = writeCapture(all.slice(4), 'raw', 'part2.pcap');
    const out = new MemoryOutput();
    analyzeFiles([part2, part1], out, { progress: false });
    expect(out.connections).toHaveLength(1);
    expect(out.connections[0]).toMatchObject({ trace: 0, bytes: { up: 100, down: 1000 }, synSeen: true });
    expect(out.result?.traces).toEqual([{ trace: 0, files: [part1, part2] }]);
    expect(out.result?.files.map((f) => f.records)).toEqual([4, 3]);
  });

  it('analyzes files captured at the same time (both ends of a path) as separate traces', () => {
    const m = new MptcpScenario();
    const s0 = m.open(T);
    m.send(s0, 'down', T + 1, 500);
    const client = writeCapture(m.records, 'raw', 'client.pcap');
    const server = writeCapture(
      m.records.map((r) => ({ ...r, ts: r.ts + 0.0001 })),
      'raw',
      'server.pcap',
    );
    const out = new MemoryOutput();
    analyzeFiles([client, server], out, { progress: false });
    expect(out.connections.map((c) => [c.trace, c.subflows, c.bytes.down])).toEqual([
      [0, 1, 500],
      [1, 1, 500],
    ]);
    expect(new Set(out.connections.map((c) => c.id)).size).toBe(2);
    expect(out.subflows.map((s) => s.trace)).toEqual([0, 1]);
    expect(out.result?.traces).toEqual([
      { trace: 0, files: [client] },
      { trace: 1, files: [server] },
    ]);
  });
});
