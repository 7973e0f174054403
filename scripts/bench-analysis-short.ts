import { writeFileSync } from 'node:fs';
import { Conversation, LINKTYPE, dss, keyHash, mpCapable, mptcpKey, pcapFile, type CaptureRecord } from '../test/support/pcap-writer.js';

/**
 * The second workload of `npm run bench:analysis`: many short MPTCP v1 connections through a SOCKS5
 * proxy, as a phone's browsing makes them, built packet by packet (no namespaces needed). Each
 * connection is 16 packets: the MP_CAPABLE handshake, the SOCKS5 greeting, request and their
 * replies, an HTTP request, four response segments, a Data ACK and the FIN exchange with DATA_FIN.
 * A new connection starts every 2 ms and lasts about 0.3 s, so about 150 are open at any time and
 * their packets interleave. Linux cooked v2 with a 150-byte snapshot, like the bulk capture.
 */
const SERVER = '198.18.0.1:1080';
const SNAPLEN = 150;

function connectionPackets(i: number, t0: number, out: CaptureRecord[]): void {
  const client = `198.18.1.${2 + Math.floor(i / 20000)}:${40000 + (i % 20000)}`;
  const keyC = mptcpKey(2 * i + 1);
  const keyS = mptcpKey(2 * i + 2);
  const idsn = { up: keyHash(keyC, 1).idsn, down: keyHash(keyS, 1).idsn };
  const dsn = { up: 1, down: 1 };
  const records: CaptureRecord[] = [];
  const c = new Conversation(records, client, SERVER, { up: (i * 7919) >>> 0, down: (i * 104729 + 17) >>> 0 }, 'sll2');
  const rtt = 0.02 + (i % 7) * 0.005;
  let t = t0;
  c.handshake(t, { syn: [mpCapable({ version: 1 })], synAck: [mpCapable({ version: 1, senderKey: keyS })], ack: [mpCapable({ version: 1, senderKey: keyC, receiverKey: keyS })] }, rtt);
  t += rtt;
  const send = (dir: 'up' | 'down', payload: Buffer | number, fin = false) => {
    const other = dir === 'up' ? 'down' : 'up';
    const len = typeof payload === 'number' ? payload : payload.length;
    const opt = dss({ dsn: idsn[dir] + BigInt(dsn[dir]), ssn: c.nextRel(dir), dataLength: len, dataAck: idsn[other] + BigInt(dsn[other]), dataFin: fin });
    c.send(dir, t, payload, [opt]);
    dsn[dir] += len;
  };
  const host = Buffer.from(`host${i % 97}.example`);
  send('up', Buffer.from([5, 1, 0]));
  t += rtt / 2;
  send('down', Buffer.from([5, 0]));
  t += rtt / 2;
  send('up', Buffer.concat([Buffer.from([5, 1, 0, 3, host.length]), host, Buffer.from([1, 187])]));
  t += rtt / 2;
  send('down', Buffer.from([5, 0, 0, 1, 198, 19, 0, 2, 1, 187]));
  t += rtt / 2;
  send('up', 300 + (i % 11) * 20);
  t += rtt / 2;
  for (let k = 0; k < 4; k++) {
    send('down', 1400);
    t += 0.0005;
  }
  t += rtt / 2;
  c.ack('up', t, [dss({ dataAck: idsn.down + BigInt(dsn.down) })]);
  t += 0.05;
  c.fin('down', t, [dss({ dataAck: idsn.up + BigInt(dsn.up), dsn: idsn.down + BigInt(dsn.down), ssn: c.nextRel('down'), dataLength: 1, dataFin: true })]);
  t += rtt / 2;
  c.fin('up', t, [dss({ dataAck: idsn.down + BigInt(dsn.down + 1) })]);
  t += rtt / 2;
  c.ack('down', t, [dss({ dataAck: idsn.up + BigInt(dsn.up) })]);
  for (const r of records) out.push({ ts: r.ts, data: r.data.subarray(0, SNAPLEN), wirelen: r.data.length });
}

/** Writes `count` short connections to `file` as a pcap (16 packets each). */
export function writeShortConnections(file: string, count: number): number {
  const t0 = 1_763_800_000;
  const records: CaptureRecord[] = [];
  for (let i = 0; i < count; i++) connectionPackets(i, t0 + i * 0.002, records);
  records.sort((a, b) => a.ts - b.ts);
  writeFileSync(file, pcapFile(records, { linktype: LINKTYPE.sll2, snaplen: SNAPLEN }));
  return records.length;
}
