import { describe, expect, it } from 'vitest';
import { addAckSize, ackBinLow, type AckSizes } from '../../../analysis/model.js';
import { Conversation, dss, type CaptureRecord } from '../../support/pcap-writer.js';
import { MptcpScenario } from './mptcp-scenario.js';
import { analyzeRecords } from './run.js';

const T = 1_700_000_000;

describe('ACK sizes (Fig 2.26)', () => {
  it('bins sizes in quarter octaves: 1, 2, 3, then each power of two cut in four', () => {
    let s: AckSizes | null = null;
    for (const n of [1, 3, 4, 7, 8, 9, 10, 1428, 1500, 2856]) s = addAckSize(s, n);
    const bins: [number, number, number][] = [];
    for (let i = 0; i < s!.length; i += 3) bins.push([ackBinLow(s![i]), s![i + 1], s![i + 2]]);
    expect(bins).toEqual([
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
