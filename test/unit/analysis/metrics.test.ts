import { describe, expect, it } from 'vitest';
import { hasHandover } from '../../../analysis/metrics.js';
import { Conversation, dss, mpCapable, mpPrio, type CaptureRecord } from '../../support/pcap-writer.js';
import { MptcpScenario } from './mptcp-scenario.js';
import { analyzeRecords } from './run.js';

const T = 1_763_000_000;

describe('subflow blocks', () => {
  it('gives {0,1} {2,3,4} {5} {6,7} for the worked example of Section 2.3.5.4', () => {
    // the proxy sends two data packets on s0, three on s1, retransmits the second packet on s0,
    // then sends the last two on s1
    const m = new MptcpScenario();
    const s0 = m.open(T);
    const s1 = m.join(T + 0.1);
    m.send(s0, 'down', T + 1, 1000);
    const secondRel = s0.nextRel('down');
    const secondDsn = m.send(s0, 'down', T + 1.01, 1000);
    m.send(s1, 'down', T + 1.02, 1000);
    m.send(s1, 'down', T + 1.03, 1000);
    m.send(s1, 'down', T + 1.04, 1000);
    m.resend(s0, 'down', T + 1.05, secondRel, secondDsn, 1000);
    m.send(s1, 'down', T + 1.06, 1000);
    m.send(s1, 'down', T + 1.07, 1000);
    const out = analyzeRecords(m.records);
    expect(out.connections).toHaveLength(1);
    const c = out.connections[0];
    expect(c.blocks.down).toEqual([2, 3, 1, 2]);
    expect(c.blocks.up).toEqual([]);
    expect(c.retransmittedBytes.down).toBe(1000);
    expect(c.reinjectedBytes.down).toBe(0);
    expect(c.uniqueBytes.down).toBe(7000);
    expect(c.bytes.down).toBe(8000);
  });

  it('counts one block per direction for a single-subflow connection', () => {
    const recs: CaptureRecord[] = [];
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:80');
    c.handshake(T);
    c.send('up', T + 1, 100);
    for (let i = 0; i < 5; i++) c.send('down', T + 1.1 + i / 100, 1400);
    const out = analyzeRecords(recs);
    expect(out.connections[0].blocks).toEqual({ up: [1], down: [5] });
  });
});

describe('reinjections and retransmissions', () => {
  it('counts data whose DSN range was already sent on another subflow as reinjected', () => {
    const m = new MptcpScenario();
    const s0 = m.open(T);
    const s1 = m.join(T + 0.1);
    const dsn = m.send(s0, 'down', T + 1, 1400);
    m.send(s0, 'down', T + 1.01, 1400);
    // the first segment again, as new data on s1
    m.sendDsn(s1, 'down', T + 1.5, dsn, 1400);
    const out = analyzeRecords(m.records);
    const c = out.connections[0];
    expect(c.reinjectedBytes).toEqual({ up: 0, down: 1400 });
    expect(c.retransmittedBytes).toEqual({ up: 0, down: 0 });
    expect(c.uniqueBytes.down).toBe(2800);
    expect(c.bytes.down).toBe(4200);
    const [f0, f1] = out.subflows;
    expect(f0.reinjectedBytes.down).toBe(0);
    expect(f1.reinjectedBytes.down).toBe(1400);
    expect(f1.uniqueBytes.down).toBe(0);
  });

  it('counts a partial overlap by bytes', () => {
    const m = new MptcpScenario();
    const s0 = m.open(T);
    const s1 = m.join(T + 0.1);
    m.send(s0, 'down', T + 1, 1000);
    // DSN 501..1500: 500 bytes were sent on s0, 500 are new
    m.sendDsn(s1, 'down', T + 1.2, 501, 1000);
    const c = analyzeRecords(m.records).connections[0];
    expect(c.reinjectedBytes.down).toBe(500);
    expect(c.uniqueBytes.down).toBe(1500);
  });

  it('counts the same TCP sequence range sent again on the same subflow as retransmitted, in both directions', () => {
    const m = new MptcpScenario();
    const s0 = m.open(T);
    const rel = s0.nextRel('up');
    const dsn = m.send(s0, 'up', T + 1, 500);
    m.resend(s0, 'up', T + 1.3, rel, dsn, 500);
    m.resend(s0, 'up', T + 1.9, rel, dsn, 200);
    const downRel = s0.nextRel('down');
    const downDsn = m.send(s0, 'down', T + 2, 1400);
    m.resend(s0, 'down', T + 2.5, downRel, downDsn, 1400);
    const out = analyzeRecords(m.records);
    expect(out.connections[0].retransmittedBytes).toEqual({ up: 700, down: 1400 });
    expect(out.connections[0].reinjectedBytes).toEqual({ up: 0, down: 0 });
    expect(out.subflows[0].retransmittedBytes).toEqual({ up: 700, down: 1400 });
  });

  it('counts plain TCP retransmissions, and bytes = unique + retransmitted', () => {
    const recs: CaptureRecord[] = [];
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:80');
    c.handshake(T);
    const a = c.send('down', T + 1, 1000);
    c.send('down', T + 1.1, 1000);
    c.resend('down', T + 1.5, a, 1000);
    // overlapping the end of what was sent and 500 new bytes
    c.resend('down', T + 1.6, 1501, 1000);
    const conn = analyzeRecords(recs).connections[0];
    expect(conn.retransmittedBytes.down).toBe(1500);
    expect(conn.uniqueBytes.down).toBe(2500);
    expect(conn.bytes.down).toBe(4000);
  });
});

describe('handover', () => {
  const build = (opts: { phoneFinOnWifi?: boolean; lateData?: boolean }) => {
    const m = new MptcpScenario();
    const wifi = m.open(T);
    const cell = m.join(T + 0.1);
    m.send(wifi, 'down', T + 1, 1400);
    m.ack(wifi, 'up', T + 1.05);
    m.send(cell, 'down', T + 1.1, 1400);
    m.ack(cell, 'up', T + 1.15);
    // WiFi goes silent after T + 2 (its last ACK from the phone)
    m.send(wifi, 'down', T + 1.9, 1400);
    m.ack(wifi, 'up', T + 2);
    if (opts.phoneFinOnWifi) wifi.fin('up', T + 2.1);
    if (opts.lateData !== false) m.send(cell, 'down', T + 3, 1400);
    m.ack(cell, 'up', T + 3.05);
    return analyzeRecords(m.records).connections[0];
  };

  it('is detected when a subflow goes silent without a FIN from the phone and another carries data after it', () => {
    expect(build({}).handover).toBe(true);
  });

  it('is not detected when the phone closed the silent subflow with a FIN', () => {
    expect(build({ phoneFinOnWifi: true }).handover).toBe(false);
  });

  it('is not detected when no new data follows on the other subflow', () => {
    expect(build({ lateData: false }).handover).toBe(false);
  });

  it('follows LA/LP exactly (pure function)', () => {
    const s = (la: number, lp: number, fin = false, used = true) => ({ used, lastClientAck: la, lastNewData: lp, clientFin: fin });
    expect(hasHandover([s(5, 4), s(10, 8)])).toBe(true);
    expect(hasHandover([s(5, 4), s(10, 5)])).toBe(false); // LP_l must be later than LA_k
    expect(hasHandover([s(5, 4, true), s(10, 8)])).toBe(false);
    expect(hasHandover([s(5, 4), s(10, 8, false, false)])).toBe(false); // only subflows that carried data
    expect(hasHandover([s(5, 4)])).toBe(false);
  });
});

describe('join delay, backup and the subtraces', () => {
  it('measures each additional subflow from the connection\'s first SYN', () => {
    const m = new MptcpScenario();
    const s0 = m.open(T);
    m.join(T + 0.25);
    m.join(T + 61.5, '198.18.3.2:40002', { backup: true });
    m.send(s0, 'down', T + 1, 100);
    const out = analyzeRecords(m.records);
    expect(out.subflows.map((s) => s.joinDelay)).toEqual([null, 0.25, 61.5]);
    expect(out.subflows.map((s) => s.backup)).toEqual([false, false, true]);
    expect(out.subflows.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(out.subflows[2].unusedReason).toBe('backup');
    const c = out.connections[0];
    expect(c.subflows).toBe(3);
    expect(c.subtraces).toEqual({ t1: true, t2: false, t3: false });
    expect(out.result?.subtraces.T1.connections).toBe(1);
    expect(out.result?.subtraces.T2.connections).toBe(0);
    expect(out.result?.subflowsPerConnection.counts['3']).toBe(1);
  });

  it('follows MP_PRIO for the backup flag', () => {
    const m = new MptcpScenario();
    const s0 = m.open(T);
    const s1 = m.join(T + 0.1);
    s1.ack('up', T + 0.5, [mpPrio(true)]);
    m.send(s0, 'down', T + 1, 100);
    expect(analyzeRecords(m.records).subflows[1].backup).toBe(true);
  });

  it('tells why an additional subflow stayed unused: established after the last data', () => {
    const m = new MptcpScenario();
    const s0 = m.open(T);
    m.send(s0, 'up', T + 0.05, 100);
    m.send(s0, 'down', T + 0.1, 5000);
    m.join(T + 0.5);
    const sf = analyzeRecords(m.records).subflows[1];
    expect(sf.used).toBe(false);
    expect(sf.unusedReason).toBe('late');
  });
});

describe('empty and failed connections', () => {
  /** A connection to a SOCKS5 proxy: handshake, greeting and request for host:443, the proxy's two replies. */
  const socks5 = (recs: CaptureRecord[], host: number[]) => {
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:1080');
    c.handshake(T);
    c.send('up', T + 0.02, Buffer.from([5, 1, 0, 5, 1, 0, 1, ...host, 0x01, 0xbb]));
    c.send('down', T + 0.03, Buffer.from([5, 0]));
    c.send('down', T + 0.04, Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
    return c;
  };

  it('marks a connection that only exchanged the SOCKS request as empty', () => {
    const recs: CaptureRecord[] = [];
    const c = socks5(recs, [93, 184, 216, 34]);
    c.fin('up', T + 0.05);
    c.fin('down', T + 0.06);
    const conn = analyzeRecords(recs).connections[0];
    expect(conn.target).toEqual({ host: '93.184.216.34', port: 443 });
    expect(conn.empty).toBe(true);
    expect(conn.failed).toBe(false);
  });

  it('marks a ShadowSocks connection with only its 7-byte request as empty (9-11 bytes with SYNs and FINs)', () => {
    const recs: CaptureRecord[] = [];
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:443');
    c.handshake(T);
    c.send('up', T + 0.02, Buffer.from([1, 8, 8, 8, 8, 0, 53]));
    c.fin('up', T + 0.05);
    c.fin('down', T + 0.06);
    const out = analyzeRecords(recs);
    expect(out.connections[0]).toMatchObject({ empty: true, target: { host: '8.8.8.8', port: 53 }, proxyProtocol: 'shadowsocks' });
    expect(out.result?.destinationPorts).toEqual([{ port: 53, connections: 1, share: 1, bytes: { up: 7, down: 0 } }]);
  });

  it('does not mark a connection that carried data as empty', () => {
    const recs: CaptureRecord[] = [];
    socks5(recs, [1, 2, 3, 4]).send('down', T + 0.05, 1);
    expect(analyzeRecords(recs).connections[0].empty).toBe(false);
  });

  it('marks as failed a handshake whose third ACK never came, a SYN answered by a RST, and an unanswered SYN', () => {
    const recs: CaptureRecord[] = [];
    new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:1080').syn(T).synAck(T + 0.01);
    new Conversation(recs, '198.18.1.2:40001', '198.18.0.1:1080').syn(T + 1).rst('down', T + 1.01);
    new Conversation(recs, '198.18.1.2:40002', '198.18.0.1:1080').syn(T + 2).syn(T + 3);
    const ok = new Conversation(recs, '198.18.1.2:40003', '198.18.0.1:1080');
    ok.handshake(T + 4);
    const out = analyzeRecords(recs);
    const byClient = Object.fromEntries(out.connections.map((c) => [c.client, c]));
    expect(byClient['198.18.1.2:40000']).toMatchObject({ failed: true, established: false });
    expect(byClient['198.18.1.2:40001']).toMatchObject({ failed: true, established: false });
    expect(byClient['198.18.1.2:40002']).toMatchObject({ failed: true, established: false, subflows: 1 });
    expect(byClient['198.18.1.2:40003']).toMatchObject({ failed: false, established: true, empty: true });
    expect(out.subflows.find((s) => s.client === '198.18.1.2:40001')?.rst).toBe(true);
    expect(out.result?.connections).toMatchObject({ total: 4, failed: 3, established: 1 });
  });
});

describe('RTT', () => {
  it('averages data/ACK pairs and the handshake, and skips retransmitted segments (Karn)', () => {
    const recs: CaptureRecord[] = [];
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:80');
    // SYN/ACK at +0.005, third ACK at +0.030: 25 ms
    c.syn(T);
    c.synAck(T + 0.005);
    c.ack('up', T + 0.03);
    c.send('down', T + 1, 1000);
    c.ack('up', T + 1.05); // 50 ms
    const rel = c.send('down', T + 2, 1000);
    c.resend('down', T + 2.3, rel, 1000);
    c.ack('up', T + 2.35); // ambiguous: no sample
    c.send('down', T + 3, 1000);
    c.ack('up', T + 3.075); // 75 ms
    const sf = analyzeRecords(recs).subflows[0];
    expect(sf.rtt.samples).toBe(3);
    expect(sf.rtt.avgMs).toBeCloseTo(50, 3);
    expect(sf.rtt.minMs).toBeCloseTo(25, 3);
    expect(sf.rtt.maxMs).toBeCloseTo(75, 3);
    expect(sf.rtt.stdMs).toBeCloseTo(20.412, 2);
    // the client's SYN answered after 5 ms
    expect(sf.rttUp).toMatchObject({ samples: 1 });
    expect(sf.rttUp.avgMs).toBeCloseTo(5, 3);
  });

  it('takes a sample from a cumulative ACK that ends exactly at a segment', () => {
    const recs: CaptureRecord[] = [];
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:80');
    c.handshake(T, {}, 0.01);
    c.send('down', T + 1, 1000);
    c.send('down', T + 1.01, 1000);
    c.ack('up', T + 1.04); // delayed ACK for both: a sample for the second (30 ms)
    const sf = analyzeRecords(recs).subflows[0];
    expect(sf.rtt.samples).toBe(2);
    expect(sf.rtt.maxMs).toBeCloseTo(30, 3);
  });
});

describe('interfaces and the share on cellular', () => {
  it('classifies subflows by the phone-side address and weighs bytes per direction', () => {
    const m = new MptcpScenario();
    const wifi = m.open(T, '198.18.1.2:40000');
    const cell = m.join(T + 0.1, '198.18.2.2:40001');
    m.send(wifi, 'down', T + 1, 3000);
    m.send(cell, 'down', T + 1.1, 1000);
    m.send(wifi, 'up', T + 1.2, 100);
    const out = analyzeRecords(m.records, { wifi: ['198.18.1.0/24'], cellular: ['198.18.2.0/24'] });
    expect(out.subflows.map((s) => s.iface)).toEqual(['wifi', 'cellular']);
    expect(out.connections[0].cellularShare).toEqual({ up: 0, down: 0.25 });
    const unknown = analyzeRecords(m.records);
    expect(unknown.connections[0].cellularShare).toBeNull();
    expect(unknown.subflows.map((s) => s.iface)).toEqual([null, null]);
    // a data-carrying subflow outside both lists makes the share unknown
    const partial = analyzeRecords(m.records, { wifi: ['198.18.1.0/24'] });
    expect(partial.connections[0].cellularShare).toEqual({ up: 0, down: null });
  });
});

describe('fallback', () => {
  it('reports an MP_CAPABLE SYN answered without it as an MPTCP fallback', () => {
    const recs: CaptureRecord[] = [];
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:80');
    c.handshake(T, { syn: [mpCapable({ version: 1 })] });
    c.send('up', T + 1, 10);
    const conn = analyzeRecords(recs).connections[0];
    expect(conn).toMatchObject({ kind: 'mptcp', version: 1, fallback: true });
  });

  it('reports an infinite mapping as a fallback', () => {
    const m = new MptcpScenario();
    const s0 = m.open(T);
    s0.send('down', T + 1, 100, [dss({ dsn: m.idsn.down + 1n, ssn: 1, dataLength: 0 })]);
    expect(analyzeRecords(m.records).connections[0]).toMatchObject({ kind: 'mptcp', fallback: true });
  });

  it('reports a connection without MPTCP options as plain TCP', () => {
    const recs: CaptureRecord[] = [];
    new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:80').handshake(T);
    expect(analyzeRecords(recs).connections[0]).toMatchObject({ kind: 'tcp', version: null, fallback: false });
  });
});
