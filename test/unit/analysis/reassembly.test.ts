import { describe, expect, it } from 'vitest';
import { Conversation, dss, keyHash, mpCapable, mpJoinAck, mpJoinSyn, mpJoinSynAck, mptcpKey, type CaptureRecord } from '../../support/pcap-writer.js';
import { MptcpScenario } from './mptcp-scenario.js';
import { analyzeRecords } from './run.js';

const T = 1_763_000_000;

describe('grouping subflows into MPTCP connections', () => {
  for (const version of [0, 1] as const) {
    it(`groups joins by the token of the server's key (v${version}, ${version === 0 ? 'SHA-1' : 'SHA-256'})`, () => {
      const a = new MptcpScenario(version, 1);
      const b = new MptcpScenario(version, 2);
      // two connections at the same time, their joins interleaved
      const a0 = a.open(T, '198.18.1.2:40000');
      const b0 = b.open(T + 0.01, '198.18.1.2:40010');
      const b1 = b.join(T + 0.05, '198.18.2.2:40011');
      const a1 = a.join(T + 0.06, '198.18.2.2:40001');
      const a2 = a.join(T + 0.07, '198.18.3.2:40002');
      a.send(a0, 'down', T + 1, 100);
      a.send(a1, 'down', T + 1.1, 100);
      a.send(a2, 'down', T + 1.2, 100);
      b.send(b1, 'up', T + 1.3, 50);
      b.send(b0, 'up', T + 1.4, 50);
      const records = [...a.records, ...b.records].sort((x, y) => x.ts - y.ts);
      const out = analyzeRecords(records);
      expect(out.connections).toHaveLength(2);
      const byClient = Object.fromEntries(out.connections.map((c) => [c.client, c]));
      expect(byClient['198.18.1.2:40000']).toMatchObject({ kind: 'mptcp', version, subflows: 3, bytes: { up: 0, down: 300 }, uniqueBytes: { up: 0, down: 300 } });
      expect(byClient['198.18.1.2:40010']).toMatchObject({ kind: 'mptcp', version, subflows: 2, bytes: { up: 100, down: 0 } });
      const ids = new Map(out.connections.map((c) => [c.client, c.id]));
      const conn = (client: string) => out.subflows.find((s) => s.client === client)?.connection;
      expect(conn('198.18.2.2:40001')).toBe(ids.get('198.18.1.2:40000'));
      expect(conn('198.18.3.2:40002')).toBe(ids.get('198.18.1.2:40000'));
      expect(conn('198.18.2.2:40011')).toBe(ids.get('198.18.1.2:40010'));
    });
  }

  it('a subflow whose join SYN carries the token of the key its own third ACK then shows (a damaged capture): one connection, no endless merge', () => {
    // found by fuzzing the native engine: the JavaScript engine merged the connection into itself
    // and grew its list of subflows until V8 gave up
    const key = mptcpKey(7);
    const records: CaptureRecord[] = [];
    const c = new Conversation(records, '198.18.2.2:40001', '198.18.0.1:1080');
    c.syn(T, [mpJoinSyn({ token: keyHash(key, 1).token })]);
    c.synAck(T + 0.01, [mpJoinSynAck()]);
    c.ack('up', T + 0.02, [mpCapable({ version: 1, senderKey: key, receiverKey: mptcpKey(8) })]);
    c.send('down', T + 0.03, 100);
    const out = analyzeRecords(records);
    expect(out.connections).toHaveLength(1);
    expect(out.connections[0]).toMatchObject({ kind: 'mptcp', subflows: 1, bytes: { up: 0, down: 100 } });
    expect(out.subflows).toHaveLength(1);
  });

  it('handles 32-bit data sequence numbers (as Linux v0 sends them)', () => {
    const m = new MptcpScenario(0);
    const s0 = m.open(T);
    const s1 = m.join(T + 0.1);
    const dsn32 = (rel: number) => (m.idsn.down + BigInt(rel)) & 0xffffffffn;
    s0.send('down', T + 1, 1000, [dss({ dsn: dsn32(1), dsn8: false, ssn: 1, dataLength: 1000, dataAck: 1n, dataAck8: false })]);
    s1.send('down', T + 1.1, 1000, [dss({ dsn: dsn32(1), dsn8: false, ssn: 1, dataLength: 1000 })]);
    const c = analyzeRecords(m.records).connections[0];
    expect(c.reinjectedBytes.down).toBe(1000);
    expect(c.uniqueBytes.down).toBe(1000);
  });

  it('places an initial subflow whose SYN was not captured by the keys of its third ACK', () => {
    const m = new MptcpScenario(1);
    const s0 = m.open(T);
    const s1 = m.join(T + 0.1);
    m.send(s0, 'down', T + 1, 700);
    m.send(s1, 'down', T + 1.1, 300);
    // drop the SYN and the SYN/ACK of the initial subflow
    const records = m.records.slice(2);
    const out = analyzeRecords(records);
    expect(out.connections).toHaveLength(1);
    expect(out.connections[0]).toMatchObject({ kind: 'mptcp', version: 1, subflows: 2, synSeen: false, client: '198.18.1.2:40000', bytes: { down: 1000 } });
    expect(out.subflows[0]).toMatchObject({ synSeen: false, established: true });
  });

  it('places a join seen before the keys of its connection once they appear', () => {
    const m = new MptcpScenario(1);
    const s0 = m.open(T + 0.2);
    const s1 = m.join(T);
    m.send(s0, 'down', T + 1, 10);
    m.send(s1, 'down', T + 1.1, 10);
    // the initial subflow's SYN and SYN/ACK were not captured; its third ACK comes after the join's SYN
    const records = m.records.filter((_, i) => i !== 0 && i !== 1).sort((a, b) => a.ts - b.ts);
    const out = analyzeRecords(records);
    expect(out.connections).toHaveLength(1);
    expect(out.connections[0].subflows).toBe(2);
  });

  it('places a join whose handshake was not captured by its data sequence numbers', () => {
    const m = new MptcpScenario(1);
    const s0 = m.open(T);
    const s1 = m.join(T + 0.1);
    m.send(s0, 'down', T + 1, 1000);
    m.send(s1, 'down', T + 1.1, 1000);
    m.ack(s1, 'up', T + 1.2);
    m.send(s1, 'down', T + 1.3, 1000);
    m.send(s0, 'down', T + 1.4, 1000);
    // drop the join's three handshake packets
    const records = m.records.filter((_, i) => i < 3 || i >= 6);
    const out = analyzeRecords(records);
    expect(out.connections).toHaveLength(1);
    expect(out.connections[0]).toMatchObject({ subflows: 2, bytes: { down: 4000 }, uniqueBytes: { down: 4000 } });
    const join = out.subflows.find((s) => s.index === 1)!;
    expect(join).toMatchObject({ client: '198.18.2.2:40001', synSeen: false, bytes: { up: 0, down: 2000 }, joinDelay: null });
  });

  it('keeps "client" on the phone side for a join the server opened (token of the client key)', () => {
    const m = new MptcpScenario(1);
    const s0 = m.open(T);
    const tokenClient = keyHash(m.keyClient, 1).token;
    // the proxy opens a subflow towards the phone's second address
    const rev = new Conversation(m.records, '198.18.0.1:50000', '198.18.2.2:40001', { up: 1, down: 2 });
    rev.handshake(T + 0.1, { syn: [mpJoinSyn({ token: tokenClient })], synAck: [mpJoinSynAck()], ack: [mpJoinAck()] });
    rev.send('up', T + 1, 500); // from the proxy
    m.send(s0, 'down', T + 1.1, 10);
    const out = analyzeRecords(m.records);
    expect(out.connections).toHaveLength(1);
    const join = out.subflows.find((s) => s.index === 1)!;
    expect(join).toMatchObject({ client: '198.18.2.2:40001', server: '198.18.0.1:50000', bytes: { up: 0, down: 500 } });
  });

  it('starts a new connection when a 4-tuple is reused with a new SYN', () => {
    const recs: CaptureRecord[] = [];
    const first = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:80', { up: 100, down: 200 });
    first.handshake(T);
    first.send('up', T + 1, 10);
    first.fin('up', T + 2).fin('down', T + 2.1);
    const second = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:80', { up: 90000, down: 80000 });
    second.handshake(T + 10);
    second.send('up', T + 11, 20);
    // a retransmitted SYN is not a new connection
    second.syn(T + 11.5);
    const out = analyzeRecords(recs);
    expect(out.connections.map((c) => c.bytes.up)).toEqual([10, 20]);
  });

  it('gives a reused token to the new connection that has its own handshake', () => {
    // the same keys (so the same tokens) for two connections a few seconds apart: the first is
    // closed but still within its grace period when the second one's join arrives
    const a = new MptcpScenario(1, 9);
    const a0 = a.open(T, '198.18.1.2:40000');
    a.send(a0, 'down', T + 0.5, 100);
    a0.fin('up', T + 1).fin('down', T + 1.01);
    const b = new MptcpScenario(1, 9);
    const b0 = b.open(T + 5, '198.18.1.2:40100');
    b.join(T + 5.1, '198.18.2.2:40101');
    b.send(b0, 'down', T + 5.5, 200);
    const out = analyzeRecords([...a.records, ...b.records].sort((x, y) => x.ts - y.ts));
    expect(out.connections.map((c) => [c.client, c.subflows, c.bytes.down])).toEqual([
      ['198.18.1.2:40000', 1, 100],
      ['198.18.1.2:40100', 2, 200],
    ]);
  });

  it('formats IPv6 endpoints and groups IPv6 subflows', () => {
    const m = new MptcpScenario(1, 3, '[2001:db8::1]:1080');
    const s0 = m.open(T, '[2001:db8:1::2]:40000');
    const s1 = m.join(T + 0.1, '[2001:db8:2::2]:40001');
    m.send(s0, 'down', T + 1, 10);
    m.send(s1, 'down', T + 1.1, 10);
    const out = analyzeRecords(m.records);
    expect(out.connections).toHaveLength(1);
    expect(out.connections[0]).toMatchObject({ client: '[2001:db8:1::2]:40000', server: '[2001:db8::1]:1080', subflows: 2 });
  });

  it('reads the MP_CAPABLE that carries the first data in v1', () => {
    const m = new MptcpScenario(1);
    const recs = m.records;
    const c = new Conversation(recs, '198.18.1.2:40000', m.server);
    c.syn(T, [mpCapable({ version: 1 })]);
    c.synAck(T + 0.01, [mpCapable({ version: 1, senderKey: m.keyServer })]);
    // no separate third ACK: the first data carries both keys and its data-level length
    c.send('up', T + 0.02, 20, [mpCapable({ version: 1, senderKey: m.keyClient, receiverKey: m.keyServer, dataLength: 20 })]);
    const s1 = m.join(T + 0.1);
    // the same 20 bytes reinjected on the join
    s1.send('up', T + 0.5, 20, [dss({ dsn: m.idsn.up + 1n, ssn: 1, dataLength: 20 })]);
    const conn = analyzeRecords(recs).connections[0];
    expect(conn).toMatchObject({ subflows: 2, reinjectedBytes: { up: 20, down: 0 }, uniqueBytes: { up: 20 } });
  });
});

describe('when connections are written', () => {
  it('writes a closed connection after the grace period, before connections still open', () => {
    const recs: CaptureRecord[] = [];
    const a = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:80');
    a.handshake(T);
    a.fin('up', T + 1).fin('down', T + 1.1);
    const b = new Conversation(recs, '198.18.1.2:40001', '198.18.0.1:80');
    b.handshake(T + 2);
    b.send('up', T + 500, 10);
    const out = analyzeRecords(recs);
    expect(out.connections.map((c) => c.client)).toEqual(['198.18.1.2:40000', '198.18.1.2:40001']);
    const late = analyzeRecords(recs, { graceSeconds: 1000 });
    expect(late.connections.map((c) => c.client).sort()).toEqual(['198.18.1.2:40000', '198.18.1.2:40001']);
  });

  it('writes a connection idle for longer than the idle timeout, and a later packet starts another', () => {
    const recs: CaptureRecord[] = [];
    const a = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:80');
    a.handshake(T);
    a.send('up', T + 1, 10);
    a.send('up', T + 100, 10);
    expect(analyzeRecords(recs).connections).toHaveLength(1);
    const split = analyzeRecords(recs, { idleSeconds: 50 });
    expect(split.connections.map((c) => c.bytes.up)).toEqual([10, 10]);
    expect(split.connections[1].synSeen).toBe(false);
  });
});
