import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../../analysis/analyze.js';
import { MemoryOutput } from '../../../analysis/output.js';
import { skipUnless } from '../../support/prereq.js';
import { tempDir } from '../../support/tmp.js';
import { compareWithTshark, tsharkStreams } from '../../support/tshark-compare.js';

/**
 * The real MPTCP v0 captures of /work/shared/pcaps/mptcp-v0 (out-of-tree Linux kernel, 32-bit
 * DSNs, Linux cooked v1 in pcapng and PPP in pcap; copies cut to 256-byte snapshots in
 * test/fixtures/mptcp-v0), compared with tshark's MPTCP dissector.
 */
const FIXTURES = fileURLToPath(new URL('../../fixtures/mptcp-v0/', import.meta.url));
let dir: string;
beforeAll(() => {
  dir = tempDir();
  for (const name of ['client_2.pcap', 'server_2.pcap', 'iperf-mptcp-0-0.pcap']) {
    writeFileSync(join(dir, name), gunzipSync(readFileSync(join(FIXTURES, `${name}.gz`))));
  }
});
const file = (name: string) => join(dir, name);

describe.skipIf(skipUnless({ commands: ['tshark'] }))('mplab analyze vs tshark on the MPTCP v0 sample captures', () => {
  it('iperf-mptcp-0-0.pcap: 1 connection, 4 subflows (2 never complete their handshake)', async () => {
    const out = new MemoryOutput();
    analyzeFiles([file('iperf-mptcp-0-0.pcap')], out, { progress: false });
    const cmp = compareWithTshark(await tsharkStreams(file('iperf-mptcp-0-0.pcap')), out.connections, out.subflows);
    expect(cmp.differences).toEqual([]);
    expect(cmp).toMatchObject({ connections: 1, subflows: 4 });
    expect(out.connections[0]).toMatchObject({ kind: 'mptcp', version: 0, subflows: 4 });
    expect(out.subflows.map((s) => s.established)).toEqual([true, false, true, false]);
    expect(out.subflows.filter((s) => !s.established).map((s) => s.unusedReason)).toEqual(['not-established', 'not-established']);
  });

  it('client_2.pcap: 4 connections of 3-4 subflows, reinjected bytes close to tshark\'s in every connection direction', async () => {
    const out = new MemoryOutput();
    analyzeFiles([file('client_2.pcap')], out, { progress: false });
    const cmp = compareWithTshark(await tsharkStreams(file('client_2.pcap')), out.connections, out.subflows);
    expect(cmp.differences).toEqual([]);
    expect(cmp).toMatchObject({ connections: 4, subflows: 16, tsharkReinjectedConnections: 3 });
    expect(out.connections.map((c) => c.subflows)).toEqual([4, 4, 4, 4]);
    // reinjected bytes compared per connection and direction, both ways (within REINJECTION_TOLERANCE)
    expect(cmp.reinjections.map((r) => `${r.connection} ${r.dir}`)).toEqual(['1 up', '2 up', '2 down', '3 up']);
    console.info(JSON.stringify(cmp.reinjections));
  });

  it('server_2.pcap: the same, plus a join whose packets before its SYN tshark cannot place', async () => {
    const out = new MemoryOutput();
    analyzeFiles([file('server_2.pcap')], out, { progress: false });
    const streams = await tsharkStreams(file('server_2.pcap'));
    const cmp = compareWithTshark(streams, out.connections, out.subflows);
    // tcp.stream 2 holds two ACKs with a Data ACK of connection 0, sent before the join's SYN
    // reached the server (the client's capture shows that SYN); mplab places them by that Data
    // ACK, tshark makes them an MPTCP stream of their own
    expect(cmp.differences).toEqual([expect.stringMatching(/^connection \d+ \(10\.0\.0\.1:59482\): its subflows are tcp\.streams 0,1,2,5,7 in mptcp\.streams 0,1$/)]);
    expect(streams.get(2)).toMatchObject({ synSeen: false, mptcpStream: 1, first: ['11.0.0.1:60453', '11.0.0.2:5201'] });
    expect(cmp).toMatchObject({ connections: 4, subflows: 16, tsharkReinjectedConnections: 3 });
    expect(cmp.reinjections.map((r) => `${r.connection} ${r.dir}`)).toEqual(['2 up', '3 up', '3 down', '4 up']);
    console.info(JSON.stringify(cmp.reinjections));
    const stray = out.subflows.find((s) => s.client === '11.0.0.1:60453' && !s.synSeen)!;
    expect(out.connections.find((c) => c.id === stray.connection)?.client).toBe('10.0.0.1:59482');
  });

  it('client_2.pcap and server_2.pcap together: two traces of the same connections', () => {
    const out = new MemoryOutput();
    analyzeFiles([file('server_2.pcap'), file('client_2.pcap')], out, { progress: false });
    expect(out.result?.traces.map((t) => t.files.map((f) => f.split('/').pop()))).toEqual([['client_2.pcap'], ['server_2.pcap']]);
    const clients = (trace: number) => out.connections.filter((c) => c.trace === trace).map((c) => c.client).sort();
    expect(clients(0)).toEqual(clients(1));
    // what the client sent and what reached the server: at most a few packets less (lost near the end)
    const unique = (trace: number) => new Map(out.connections.filter((c) => c.trace === trace).map((c) => [c.client, c.uniqueBytes.up]));
    const [sent, received] = [unique(0), unique(1)];
    for (const [client, n] of sent) {
      expect(received.get(client)).toBeLessThanOrEqual(n);
      expect(received.get(client)).toBeGreaterThanOrEqual(n - 3 * 1428);
    }
  });
});
