import {
  Conversation,
  dss,
  keyHash,
  mpCapable,
  mpJoinAck,
  mpJoinSyn,
  mpJoinSynAck,
  mptcpKey,
  type CaptureRecord,
} from '../../support/pcap-writer.js';

/**
 * An MPTCP connection built packet by packet: the initial subflow (phone WiFi address) and joins
 * (phone cellular address) to a proxy, with DSS mappings computed from relative DSNs.
 */
export class MptcpScenario {
  readonly records: CaptureRecord[] = [];
  readonly keyClient: Buffer;
  readonly keyServer: Buffer;
  readonly idsn: { up: bigint; down: bigint };
  readonly tokenServer: number;
  readonly subflows: Conversation[] = [];
  /** next relative DSN of each direction (1 = first data byte) */
  private dsn = { up: 1, down: 1 };

  constructor(
    readonly version: 0 | 1 = 1,
    seed = 1,
    readonly server = '198.18.0.1:1080',
  ) {
    this.keyClient = mptcpKey(seed * 2);
    this.keyServer = mptcpKey(seed * 2 + 1);
    const hc = keyHash(this.keyClient, version);
    const hs = keyHash(this.keyServer, version);
    this.idsn = { up: hc.idsn, down: hs.idsn };
    this.tokenServer = hs.token;
  }

  /** The initial subflow's three-way handshake with MP_CAPABLE. */
  open(ts: number, client = '198.18.1.2:40000', rtt = 0.02): Conversation {
    const c = new Conversation(this.records, client, this.server, { up: 1000, down: 500_000 });
    const v = this.version;
    c.handshake(
      ts,
      {
        syn: [v === 0 ? mpCapable({ version: 0, senderKey: this.keyClient }) : mpCapable({ version: 1 })],
        synAck: [mpCapable({ version: v, senderKey: this.keyServer })],
        ack: [mpCapable({ version: v, senderKey: this.keyClient, receiverKey: this.keyServer })],
      },
      rtt,
    );
    this.subflows.push(c);
    return c;
  }

  /** An additional subflow: MP_JOIN handshake with the server's token. */
  join(ts: number, client = '198.18.2.2:40001', opts: { backup?: boolean; rtt?: number } = {}): Conversation {
    const n = this.subflows.length;
    const c = new Conversation(this.records, client, this.server, { up: 7000 + n * 1000, down: 900_000 + n * 100_000 });
    c.handshake(ts, { syn: [mpJoinSyn({ token: this.tokenServer, backup: opts.backup, addrId: n })], synAck: [mpJoinSynAck()], ack: [mpJoinAck()] }, opts.rtt ?? 0.02);
    this.subflows.push(c);
    return c;
  }

  /** New data on subflow `c` in direction `dir`: the next DSNs, mapped to this segment. */
  send(c: Conversation, dir: 'up' | 'down', ts: number, length: number, payload?: Buffer): number {
    const dsn = this.dsn[dir];
    this.sendDsn(c, dir, ts, dsn, length, payload);
    this.dsn[dir] = dsn + length;
    return dsn;
  }

  /** Data with relative DSN `dsn` as new data on subflow `c` (a reinjection when another subflow sent it). */
  sendDsn(c: Conversation, dir: 'up' | 'down', ts: number, dsn: number, length: number, payload?: Buffer): void {
    const ssn = c.nextRel(dir);
    c.send(dir, ts, payload ?? length, [dss({ dsn: this.idsn[dir] + BigInt(dsn), ssn, dataLength: length, dataAck: this.idsn[dir === 'up' ? 'down' : 'up'] + BigInt(this.dsn[dir === 'up' ? 'down' : 'up']) })]);
  }

  /** A TCP retransmission on `c` of bytes [rel, rel + length) that carried DSN `dsn`, with its mapping. */
  resend(c: Conversation, dir: 'up' | 'down', ts: number, rel: number, dsn: number, length: number): void {
    c.resend(dir, ts, rel, length, [dss({ dsn: this.idsn[dir] + BigInt(dsn), ssn: rel, dataLength: length })]);
  }

  /** A pure ACK with a Data ACK for everything sent so far the other way. */
  ack(c: Conversation, dir: 'up' | 'down', ts: number): void {
    const other = dir === 'up' ? 'down' : 'up';
    c.ack(dir, ts, [dss({ dataAck: this.idsn[other] + BigInt(this.dsn[other]) })]);
  }
}
