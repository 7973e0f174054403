import { describe, expect, it } from 'vitest';
import { ACK_TCP, addAckSize, ackBinLow, type AckSizes } from '../../../analysis/model.js';
import { connectionJsonLine } from '../../../analysis/output.js';
import { Conversation, dss, keyHash, mpJoinAck, mpJoinSyn, mpJoinSynAck, type CaptureRecord } from '../../support/pcap-writer.js';
import { MptcpScenario } from './mptcp-scenario.js';
import { analyzeRecords } from './run.js';

const T = 1_700_000_000;

describe('ACK sizes (Fig 2.26)', () => {
  it('bins sizes in quarter octaves: 1, 2, 3, then each power of two cut in four', () => {
    let s: AckSizes | null = null;
    for (const n of [1, 3, 4, 7, 8, 9, 10, 1428, 1500, 2856]) s = addAckSize(s, ACK_TCP, n);
    const bins: [number, number, number][] = [];
    for (let i = 0; i < s!.length; i += 3) bins.push([ackBinLow(s![i] >> 2), s![i + 1], s![i + 2]]);
    expect(bins.sort((a, b) => a[0] - b[0])).toEqual([
      [1, 1, 1],
      [3, 1, 3],
      [4, 1, 4],
      [7, 1, 7],
      [8, 2, 17],
      [10, 1, 10],
      [1280, 2, 2928],
      [2560, 1, 2856],
    ]);
  });

  it('keeps every count and sum while the most used bins move to the front', () => {
    let s: AckSizes | null = null;
    const sizes = [5000, 40, 2856, 2856, 700, 2856, 2856, 40, 2856, 1, 2856];
    for (const n of sizes) s = addAckSize(s, ACK_TCP, n);
    expect(ackBinLow(s![0] >> 2)).toBe(2560);
    expect(s![1]).toBe(6);
    expect(s![2]).toBe(6 * 2856);
    let acks = 0;
    let bytes = 0;
    for (let i = 0; i < s!.length; i += 3) {
      acks += s![i + 1];
      bytes += s![i + 2];
    }
    expect([acks, bytes, s!.length / 3]).toEqual([sizes.length, sizes.reduce((a, b) => a + b, 0), 5]);
  });

  it('counts the bytes each non-duplicate TCP ACK acknowledges, not the SYN, a duplicate or an ACK of a FIN alone', () => {
    const recs: CaptureRecord[] = [];
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:80');
    c.handshake(T);
    for (let i = 0; i < 3; i++) c.send('down', T + 0.1 + i / 1000, 1400);
    c.ack('up', T + 0.12); // 4200 bytes
    c.ack('up', T + 0.121); // a duplicate
    c.send('down', T + 0.13, 1400);
    c.ack('up', T + 0.15); // 1400
    c.send('up', T + 0.16, 300);
    c.ack('down', T + 0.17); // 300
    c.fin('down', T + 0.2);
    c.ack('up', T + 0.21); // the FIN alone
    c.fin('up', T + 0.22);
    c.ack('down', T + 0.23);
    const conn = analyzeRecords(recs).connections[0];
    expect(conn.ackSizes).toEqual({
      down: { tcp: [[1280, 1, 1400], [4096, 1, 4200]], data: [] },
      up: { tcp: [[256, 1, 300]], data: [] },
    });
  });

  it('counts Data ACKs apart from the subflows\' TCP ACKs', () => {
    const m = new MptcpScenario();
    const s0 = m.open(T);
    const s1 = m.join(T + 0.05);
    m.send(s0, 'down', T + 0.1, 1000);
    m.send(s1, 'down', T + 0.11, 1000);
    // the phone acknowledges each subflow's segment at the TCP level, and both at once at the data level
    s0.ack('up', T + 0.15, [dss({ dataAck: m.idsn.down + 1n })]);
    s1.ack('up', T + 0.16, [dss({ dataAck: m.idsn.down + 2001n })]);
    const conn = analyzeRecords(m.records).connections[0];
    expect(conn.ackSizes.down.tcp).toEqual([[896, 2, 2000]]);
    expect(conn.ackSizes.down.data).toEqual([[1792, 1, 2000]]);
  });

  for (const byServer of [false, true]) {
    it(`keeps the ACK sizes of a join seen before its connection's keys when it joins it (opened by the ${byServer ? 'server: turned round' : 'phone'})`, () => {
      const m = new MptcpScenario(1);
      const s0 = m.open(T + 0.2);
      // opened by the proxy: its "up" is from the proxy until the analyzer turns it round
      const s1 = byServer ? new Conversation(m.records, '198.18.0.1:50000', '198.18.2.2:40001', { up: 1, down: 2 }) : m.join(T);
      if (byServer) s1.handshake(T, { syn: [mpJoinSyn({ token: keyHash(m.keyClient, 1).token })], synAck: [mpJoinSynAck()], ack: [mpJoinAck()] });
      const [fromPhone, toPhone] = byServer ? (['down', 'up'] as const) : (['up', 'down'] as const);
      s1.send(toPhone, T + 0.05, 1000);
      s1.ack(fromPhone, T + 0.06); // 1000
      s1.send(toPhone, T + 0.07, 3000);
      s1.ack(fromPhone, T + 0.08); // 3000
      s1.send(fromPhone, T + 0.09, 100);
      s1.ack(toPhone, T + 0.1); // 100
      s1.send(fromPhone, T + 0.11, 20);
      s1.ack(toPhone, T + 0.12); // 20
      m.send(s0, 'down', T + 1, 10);
      m.ack(s0, 'up', T + 1.1); // the first ACK seen on a subflow without its handshake: not counted
      // the initial subflow's SYN and SYN/ACK were not captured: the keys come with its third ACK, after the join's data
      const records = m.records.filter((_, i) => i !== 0 && i !== 1).sort((a, b) => a.ts - b.ts);
      const { connections } = analyzeRecords(records);
      expect(connections.map((c) => c.subflows)).toEqual([2]);
      expect(connections[0].ackSizes).toEqual({
        up: { tcp: [[20, 1, 20], [96, 1, 100]], data: [] },
        down: { tcp: [[896, 1, 1000], [2560, 1, 3000]], data: [] },
      });
    });
  }

  it('are written into connections.jsonl exactly as JSON.stringify writes the record, and left on the record', () => {
    const m = new MptcpScenario();
    const s0 = m.open(T);
    const s1 = m.join(T + 0.05);
    for (let i = 0; i < 40; i++) m.send(i % 2 ? s1 : s0, 'down', T + 0.1 + i / 1000, 100 + 37 * i);
    s0.ack('up', T + 0.2, [dss({ dataAck: m.idsn.down + 1n })]);
    s1.ack('up', T + 0.21, [dss({ dataAck: m.idsn.down + 9000n })]);
    const recs: CaptureRecord[] = [...m.records];
    new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:80').syn(T).synAck(T + 0.0001).ack('up', T + 0.04).rst('up', T + 0.05);
    const connections = analyzeRecords(recs).connections;
    expect(connections.length).toBe(2);
    expect(connections.some((c) => c.ackSizes.down.data.length > 0 && c.ackSizes.down.tcp.length > 1)).toBe(true);
    for (const c of connections) {
      const before = structuredClone(c);
      expect(connectionJsonLine(c)).toBe(`${JSON.stringify(c)}\n`);
      expect(c).toEqual(before);
    }
  });
});

describe('connect-time RTT', () => {
  it('is the longer of SYN to SYN/ACK and SYN/ACK to the third ACK; null after a retransmitted SYN or without the third ACK', () => {
    const recs: CaptureRecord[] = [];
    // captured at the proxy: the SYN/ACK goes out at once, the third ACK comes a round trip later
    new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:80').syn(T).synAck(T + 0.0001).ack('up', T + 0.0431);
    // captured at the phone: the SYN/ACK comes a round trip after the SYN
    new Conversation(recs, '198.18.1.2:40001', '198.18.0.1:80').syn(T + 1).synAck(T + 1.015).ack('up', T + 1.0151);
    // the first SYN was lost: the handshake's time holds the retransmission timeout
    new Conversation(recs, '198.18.1.2:40002', '198.18.0.1:80').syn(T + 2).syn(T + 3).synAck(T + 3.02).ack('up', T + 3.0201);
    // no third ACK: which wait is the round trip cannot be told
    new Conversation(recs, '198.18.1.2:40003', '198.18.0.1:80').syn(T + 4).synAck(T + 4.0001).rst('up', T + 4.05);
    const subflows = analyzeRecords(recs).subflows;
    expect(subflows.map((s) => s.connectRttMs)).toEqual([43, 15, null, null]);
  });
});
