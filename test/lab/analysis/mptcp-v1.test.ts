import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../../analysis/analyze.js';
import { DirectoryOutput, MemoryOutput } from '../../../analysis/output.js';
import type { ConnectionRecord } from '../../../analysis/records.js';
import { startCapture } from '../../../proxy/capture.js';
import { CELL, PROXY, SERVER_PORT, WIFI, addLoss, createMptcpLab, runClients, setLink, startTrafficServer, type MptcpLab } from '../../support/mptcp-lab.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { compareWithTshark, tsharkStreams } from '../../support/tshark-compare.js';
import type { ConnectionResult, PlannedConnection } from '../../support/traffic-client.js';

/**
 * MPTCP v1 captures made here, with the kernel's MPTCP between two namespaces over two paths,
 * analyzed by mplab and by tshark's MPTCP dissector and compared connection by connection and
 * subflow by subflow. One capture holds: many short SOCKS connections (IPv4, domain and IPv6
 * targets, ShadowSocks form, some empty), a plain TCP connection, a refused one, a download with
 * random loss (nftables numgen) and a download whose WiFi path is cut in the middle.
 */
const server = `${PROXY}:${SERVER_PORT}`;

describe.skipIf(skipUnless({ root: true, commands: ['tshark', 'tcpdump', 'mptcpize', 'nft', 'ip', 'tc'] }))('mplab analyze vs tshark on MPTCP v1 captures', () => {
  const prefix = testPrefix();
  let lab: MptcpLab;
  let dir: string;
  let proxyCapture: string;
  let phoneCapture: string;
  const results: Record<string, ConnectionResult[]> = {};
  let out: MemoryOutput;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mplab-lab-analysis-'));
    lab = await createMptcpLab(prefix, { rateMbit: 40 });
    const proxyLog = join(dir, 'proxy.log');
    const srv = await startTrafficServer(lab, proxyLog);
    // the proxy side on all interfaces (Linux cooked v2, 200-byte snapshots); the phone's WiFi interface (Ethernet)
    const captures = [
      await startCapture({ netns: lab.proxy, iface: 'any', file: join(dir, 'proxy.pcap'), snaplen: 200, filter: 'tcp' }),
      await startCapture({ netns: lab.phone, iface: 'wlan0', file: join(dir, 'phone-wlan0.pcap'), snaplen: 200, filter: 'tcp' }),
    ];
    try {
      const short: PlannedConnection[] = [];
      const targets = [
        { host: '93.184.216.34', port: 443 },
        { host: 'www.example.org', port: 80 },
        { host: '2001:db8::7', port: 8443 },
      ];
      for (let i = 0; i < 18; i++) short.push({ target: targets[i % 3], form: 'socks5', download: 500 + i * 1500, delayMs: 200 });
      for (let i = 0; i < 4; i++) short.push({ target: { host: i % 2 ? 'dns.example' : '198.19.0.53', port: 53 }, form: 'shadowsocks', download: 300, delayMs: 200 });
      for (let i = 0; i < 3; i++) short.push({ target: { host: 'empty.example', port: 5228 }, form: 'request-only' });
      results.short = await runClients(lab, { server, concurrency: 6, connections: short });
      results.tcp = await runClients(lab, { server, concurrency: 1, connections: [{ target: { host: 'tcp.example', port: 443 }, form: 'socks5', download: 200_000 }] }, { tcp: true });
      results.refused = await runClients(lab, { server: `${PROXY}:9`, concurrency: 1, connections: [{ target: { host: 'x', port: 1 }, form: 'none' }] });
      const removeLoss = await addLoss(lab, 3);
      results.loss = await runClients(lab, { server, concurrency: 1, connections: [{ target: { host: 'lossy.example', port: 443 }, form: 'socks5', download: 2_000_000 }] });
      await removeLoss();
      let cut: Promise<void> | null = null;
      results.cut = await runClients(
        lab,
        { server, concurrency: 1, connections: [{ target: { host: 'handover.example', port: 443 }, form: 'socks5', download: 8_000_000 }] },
        { onProgress: () => (cut = setLink(lab, 'wlan0', false)) },
      );
      await cut;
      await setLink(lab, 'wlan0', true);
    } finally {
      for (const c of captures) {
        const stats = await c.stop();
        expect(stats.droppedByKernel).toBe(0);
      }
      await srv.stop();
    }
    proxyCapture = join(dir, 'proxy.pcap');
    phoneCapture = join(dir, 'phone-wlan0.pcap');
    out = new MemoryOutput();
    analyzeFiles([proxyCapture], out, { progress: false, wifi: [WIFI.cidr], cellular: [CELL.cidr], proxyLog });
  }, 170_000);

  afterAll(async () => {
    await removeOwnTestNamespaces();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const byClient = (local: string | null): ConnectionRecord => {
    const c = out.connections.find((x) => x.client === local);
    if (!c) throw new Error(`no connection from ${local}`);
    return c;
  };

  it('agrees with tshark on every connection and subflow of the proxy-side capture', async () => {
    const cmp = compareWithTshark(await tsharkStreams(proxyCapture), out.connections, out.subflows);
    expect(cmp.differences).toEqual([]);
    expect(cmp.explained).toEqual([expect.stringContaining(`${WIFI.phone}:`)]);
    // the short connections, the plain one, the refused one, the lossy and the cut download
    expect(cmp.connections).toBe(out.connections.length);
    expect(cmp.connections).toBeGreaterThanOrEqual(29);
    expect(cmp.subflows).toBe(out.subflows.length);
    expect(cmp.tsharkReinjectedConnections).toBeGreaterThanOrEqual(1);
    console.info(JSON.stringify(cmp.reinjections));
    console.info(`proxy capture: ${cmp.connections} connections, ${cmp.subflows} subflows compared; tshark marks reinjections in ${cmp.tsharkReinjectedConnections}`);
  });

  it('agrees with tshark on the phone-side WiFi capture (Ethernet)', async () => {
    const phone = new MemoryOutput();
    analyzeFiles([phoneCapture], phone, { progress: false });
    const cmp = compareWithTshark(await tsharkStreams(phoneCapture), phone.connections, phone.subflows);
    expect(cmp.differences).toEqual([]);
    expect(cmp.explained).toHaveLength(1);
    expect(cmp.subflows).toBeGreaterThanOrEqual(28);
    console.info(JSON.stringify(cmp.reinjections));
    console.info(`phone capture: ${cmp.connections} connections, ${cmp.subflows} subflows compared`);
  });

  it('groups two subflows per MPTCP connection, one on each interface', () => {
    // every connection that stays open for its 200 ms pause: the initial subflow on WiFi and the
    // join on cellular, both established (request-only connections close at once, before a join)
    const lasting = results.short.filter((r) => r.form !== 'request-only');
    expect(lasting).toHaveLength(22);
    for (const r of lasting) {
      expect(r.error).toBeNull();
      const c = byClient(r.local);
      expect(c).toMatchObject({ kind: 'mptcp', version: 1, failed: false, subflows: 2 });
      const sfs = out.subflows.filter((s) => s.connection === c.id);
      expect(sfs.map((s) => ({ index: s.index, iface: s.iface, join: s.join, established: s.established }))).toEqual([
        { index: 0, iface: 'wifi', join: false, established: true },
        { index: 1, iface: 'cellular', join: true, established: true },
      ]);
    }
  });

  it('reads each SOCKS target, matches the proxy log, and marks request-only connections empty', () => {
    for (const r of results.short) {
      const c = byClient(r.local);
      expect(c.target).toEqual(r.target);
      expect(c.proxy?.target).toEqual(r.target);
      expect(c.empty).toBe(r.form === 'request-only');
      expect(c.uniqueBytes.down).toBe(r.received);
    }
  });

  it('reports the plain TCP connection and the refused one', () => {
    expect(byClient(results.tcp[0].local)).toMatchObject({ kind: 'tcp', version: null, subflows: 1, failed: false, bytes: { down: 200_012 } });
    const refused = out.connections.filter((c) => c.server === `${PROXY}:9`);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ kind: 'mptcp', failed: true, established: false, empty: false });
  });

  it('counts retransmissions under random loss, with every unique byte accounted for', () => {
    const c = byClient(results.loss[0].local);
    expect(results.loss[0].received).toBe(2_000_012);
    expect(c.uniqueBytes.down).toBe(2_000_012);
    expect(c.retransmittedBytes.down).toBeGreaterThan(0);
    expect(c.bytes.down).toBe(c.uniqueBytes.down + c.retransmittedBytes.down + c.reinjectedBytes.down);
  });

  it('sees the WiFi cut as a handover with reinjected data and data on cellular', () => {
    const c = byClient(results.cut[0].local);
    expect(results.cut[0].received).toBe(8_000_012);
    expect(c.uniqueBytes.down).toBe(8_000_012);
    expect(c.handover).toBe(true);
    expect(c.subtraces).toEqual({ t1: true, t2: true, t3: true });
    expect(c.reinjectedBytes.down).toBeGreaterThan(0);
    expect(c.cellularShare?.down).toBeGreaterThan(0.3);
    expect(c.blocks.down.reduce((a, b) => a + b, 0)).toBe(out.subflows.filter((s) => s.connection === c.id).reduce((n, s) => n + s.dataPackets.down, 0));
    expect(out.result?.subtraces.T3.connections).toBeGreaterThanOrEqual(1);
  });
  it('the native engine writes the bytes the JavaScript engine writes, on both captures', () => {
    // what tshark was compared with above is the JavaScript engine's (in-memory output); the
    // command's files come from the native engine: byte for byte the same on this kernel's traffic
    const files = ['connections.jsonl', 'subflows.jsonl', 'summary.json'];
    const runs: [string, { wifi?: string[]; cellular?: string[]; proxyLog?: string }][] = [
      [proxyCapture, { wifi: [WIFI.cidr], cellular: [CELL.cidr], proxyLog: join(dir, 'proxy.log') }],
      [phoneCapture, {}],
    ];
    for (const [capture, options] of runs) {
      const outs = (['native', 'js'] as const).map((engine) => {
        const o = join(dir, `engine-${engine}-${capture.split('/').pop()}`);
        analyzeFiles([capture], new DirectoryOutput(o), { progress: false, engine, ...options });
        return o;
      });
      for (const f of files) expect(readFileSync(join(outs[0], f)).equals(readFileSync(join(outs[1], f))), `${capture}: ${f}`).toBe(true);
      expect(readFileSync(join(outs[0], 'connections.jsonl'), 'utf8').split('\n').length).toBeGreaterThan(2);
    }
  });
});
