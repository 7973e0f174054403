import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labLink, labStatus, labUp, type LabStatus } from '../../../testbed/lab/lab.js';
import { labPlan } from '../../../testbed/lab/plan.js';
import { inNetns } from '../../../testbed/netns.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { tempDir } from '../../support/tmp.js';
import { download, mean, median, mptcpCounters, pingRtt, udpReceived, receiveRateKbit, rxBytes, testLabName, udpProbe, writeProfile } from './lab-helpers.js';

/**
 * One lab (one phone), driven through testbed/lab: links, routing, MPTCP and the emulator's
 * fidelity. Thresholds follow the brief: delay within 1 ms + 5 %, rate within 5 %, loss
 * within binomial bounds, aggregation at least 85 % of the sum of the rates.
 */
describe.skipIf(skipUnless({ root: true, commands: ['ip', 'curl', 'mptcpize', 'nstat', 'ethtool', 'ss', 'adb'] }))('virtual lab', () => {
  const name = testLabName(testPrefix());
  const plan = labPlan(name, 1);
  const phone = plan.phones[0];
  const origin = `http://${plan.origin.ip}`;
  const socks = `${plan.proxy.ip}:${plan.proxy.socksPort}`;
  let status: LabStatus;
  const runDir = mkdtempSync(join(tmpdir(), 'mplab-run-'));
  let profile = '';

  beforeAll(async () => {
    process.env.MPLAB_RUN_DIR = runDir;
    profile = writeProfile({
      description: 'lab test',
      wifi: { up: { delayMs: 7.5 }, down: { delayMs: 7.5 } },
      cellular: { up: { delayMs: 21.5 }, down: { delayMs: 21.5 } },
    });
    status = await labUp({ name, profile, proxy: true, adbPortBase: 0 });
  });

  afterAll(async () => {
    await labDown(name);
    await removeOwnTestNamespaces();
    rmSync(runDir, { recursive: true, force: true });
    if (profile) rmSync(dirname(profile), { recursive: true, force: true });
  });

  const setLink = (kind: 'wifi' | 'cellular', up: object, down: object = up) => labLink(name, phone.name, kind, { up, down, outage: false });
  const unshaped = { delayMs: 0, jitterMs: 0, rateKbit: null, lossPct: 0, burstLoss: null, queuePackets: null, trace: null };

  it('reports phones, proxy and origin in the shared status shape', () => {
    expect(status.running).toBe(true);
    expect(status.problems).toEqual([]);
    expect(status.phones).toHaveLength(1);
    expect(status.phones[0]).toMatchObject({
      name: 'phone1',
      netns: `${name}-phone1`,
      adb: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      wifi: { ip: '198.18.1.2', iface: 'wlan0' },
      cellular: { ip: '198.18.2.2', iface: 'rmnet0' },
    });
    expect(status.proxy).toMatchObject({ netns: `${name}-proxy`, socks: '198.18.0.1:1080', running: true });
    expect(status.origin).toMatchObject({ netns: `${name}-origin`, http: '198.19.0.2:80' });
    expect(status.phones[0].wifi.link?.up.params.delayMs).toBe(7.5);
  });

  it('switches offloads off on the phone interfaces and routes each source through its own interface', async () => {
    const offloads = await inNetns(phone.netns, 'ethtool', ['-k', 'wlan0']);
    expect(String(offloads.stdout)).toMatch(/tcp-segmentation-offload: off/);
    expect(String(offloads.stdout)).toMatch(/generic-receive-offload: off/);
    const viaCellular = await inNetns(phone.netns, 'ip', ['route', 'get', plan.origin.ip, 'from', phone.cellular.ip]);
    expect(String(viaCellular.stdout)).toMatch(/dev rmnet0/);
    const byDefault = await inNetns(phone.netns, 'ip', ['route', 'get', plan.origin.ip]);
    expect(String(byDefault.stdout)).toMatch(/dev wlan0/);
  });

  it('carries well over 100 Mbit/s on an unshaped link', async () => {
    await setLink('wifi', unshaped);
    const d = await download(phone.netns, `${origin}/bytes/100000000`, { source: phone.wifi.ip });
    expect(d.bytes).toBe(100_000_000);
    console.log(`unshaped WiFi link, plain TCP download: ${d.mbit.toFixed(0)} Mbit/s`);
    expect(d.mbit).toBeGreaterThan(100);
  });

  it('delays each direction by its configured one-way delay (within 1 ms + 5 %)', async () => {
    await setLink('wifi', { ...unshaped, delayMs: 10 }, { ...unshaped, delayMs: 25 });
    await setLink('cellular', { ...unshaped, delayMs: 40 }, { ...unshaped, delayMs: 5 });
    // round trips, timed by ping with kernel timestamps
    for (const [link, source, want] of [['wifi', phone.wifi.ip, 35], ['cellular', phone.cellular.ip, 45]] as const) {
      const rtt = await pingRtt(phone.netns, plan.proxy.ip, source);
      console.log(`${link} RTT: configured ${want} ms, measured ${rtt.toFixed(3)} ms (mean of 50 pings)`);
      expect(Math.abs(rtt - want)).toBeLessThanOrEqual(1 + 0.05 * want);
    }
    // each direction on its own: both probe ends read the same monotonic clock. The median is
    // robust to the probe processes' own scheduling delays on a busy machine.
    const cases = [
      { label: 'wifi up', from: phone.netns, to: plan.netns.proxy, dst: plan.proxy.ip, src: phone.wifi.ip, want: 10 },
      { label: 'wifi down', from: plan.netns.proxy, to: phone.netns, dst: phone.wifi.ip, want: 25 },
      { label: 'cellular up', from: phone.netns, to: plan.netns.proxy, dst: plan.proxy.ip, src: phone.cellular.ip, want: 40 },
      { label: 'cellular down', from: plan.netns.proxy, to: phone.netns, dst: phone.cellular.ip, want: 5 },
    ];
    for (const c of cases) {
      const r = await udpProbe({ from: c.from, to: c.to, dst: c.dst, src: c.src, count: 200, size: 200, kbit: 400 });
      expect(r.count).toBe(200);
      const measured = median(r.delaysMs);
      console.log(`${c.label}: configured ${c.want} ms, measured median ${measured.toFixed(3)} ms, mean ${mean(r.delaysMs).toFixed(3)} ms`);
      expect(Math.abs(measured - c.want)).toBeLessThanOrEqual(1 + 0.05 * c.want);
    }
  });

  it('limits each direction to its configured rate (within 5 %)', async () => {
    await setLink('wifi', { ...unshaped, rateKbit: 5000 }, { ...unshaped, rateKbit: 20_000, queuePackets: 200 });
    const cases = [
      { label: 'wifi down 20 Mbit/s', from: plan.netns.proxy, to: phone.netns, dst: phone.wifi.ip, want: 20_000 },
      { label: 'wifi up 5 Mbit/s', from: phone.netns, to: plan.netns.proxy, dst: plan.proxy.ip, src: phone.wifi.ip, want: 5000 },
    ];
    for (const c of cases) {
      // offered at 1.3x the rate for about 2 s: the link, not the sender, sets the pace
      const size = 1400;
      const count = Math.round((c.want * 1.3 * 2000) / ((size + 28) * 8));
      const r = await udpProbe({ from: c.from, to: c.to, dst: c.dst, src: c.src, count, size, kbit: c.want * 1.3 });
      const rate = receiveRateKbit(r);
      console.log(`${c.label}: measured ${rate.toFixed(0)} kbit/s (${r.count}/${count} packets through)`);
      expect(Math.abs(rate - c.want) / c.want).toBeLessThanOrEqual(0.05);
      expect(r.count).toBeLessThan(count); // the excess was dropped at the bottleneck
    }
  });

  it('delivers packets by a Mahimahi trace (cellular down, 12 Mbit/s trace, within 5 %)', async () => {
    // one 1500-byte opportunity per millisecond = 12 Mbit/s
    const dir = tempDir('mplab-trace-');
    const trace = join(dir, 'flat.down');
    writeFileSync(trace, `${Array.from({ length: 1000 }, (_, i) => i + 1).join('\n')}\n`);
    await setLink('cellular', unshaped, { ...unshaped, trace, queuePackets: 300 });
    const size = 1400;
    const count = Math.round((12_000 * 1.3 * 2000) / ((size + 28) * 8));
    const r = await udpProbe({ from: plan.netns.proxy, to: phone.netns, dst: phone.cellular.ip, count, size, kbit: 12_000 * 1.3 });
    const rate = receiveRateKbit(r);
    console.log(`trace of 12 Mbit/s: measured ${rate.toFixed(0)} kbit/s`);
    expect(Math.abs(rate - 12_000) / 12_000).toBeLessThanOrEqual(0.05);
    await setLink('cellular', unshaped);
  });

  it('loses packets at the configured rate (within binomial bounds)', async () => {
    const p = 0.1;
    await setLink('wifi', { ...unshaped, lossPct: 100 * p }, unshaped);
    const n = 4000;
    // counted by the receiving kernel: a busy probe process may not read every datagram in time
    const before = await udpReceived(plan.netns.proxy);
    await udpProbe({ from: phone.netns, to: plan.netns.proxy, dst: plan.proxy.ip, src: phone.wifi.ip, count: n, size: 200, kbit: 2000 });
    const lost = n - ((await udpReceived(plan.netns.proxy)) - before);
    const sd = Math.sqrt(n * p * (1 - p));
    console.log(`loss 10 %: ${lost} of ${n} lost (expected ${n * p} ± ${sd.toFixed(1)})`);
    // 4.5 standard deviations: a correct emulator fails this about once in 150 000 runs
    expect(Math.abs(lost - n * p)).toBeLessThan(4.5 * sd);
    const link = await labLink(name, phone.name, 'wifi', {});
    expect(link.up.counters.dropped.loss).toBeGreaterThanOrEqual(lost);
  });

  it('opens MPTCP subflows on both interfaces (kernel counters in the phone)', async () => {
    await setLink('wifi', { ...unshaped, delayMs: 7.5, rateKbit: 20_000 });
    await setLink('cellular', { ...unshaped, delayMs: 21.5, rateKbit: 10_000 });
    const before = await mptcpCounters(phone.netns);
    const wlanBefore = await rxBytes(phone.netns, 'wlan0');
    const rmnetBefore = await rxBytes(phone.netns, 'rmnet0');
    const d = await download(phone.netns, `${origin}/bytes/4000000`, { mptcp: true });
    expect(d.bytes).toBe(4_000_000);
    const after = await mptcpCounters(phone.netns);
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    expect(delta('MPTcpExtMPCapableSYNACKRX')).toBe(1);
    expect(delta('MPTcpExtMPJoinSynTx')).toBeGreaterThanOrEqual(1);
    expect(delta('MPTcpExtMPJoinSynAckRx')).toBeGreaterThanOrEqual(1);
    const wlan = (await rxBytes(phone.netns, 'wlan0')) - wlanBefore;
    const rmnet = (await rxBytes(phone.netns, 'rmnet0')) - rmnetBefore;
    console.log(`4 MB over MPTCP: ${(wlan / 1e6).toFixed(2)} MB on wlan0, ${(rmnet / 1e6).toFixed(2)} MB on rmnet0`);
    expect(wlan).toBeGreaterThan(500_000);
    expect(rmnet).toBeGreaterThan(500_000);
  });

  it('aggregates the bandwidth of both links (at least 85 % of the sum of their rates)', async () => {
    await setLink('wifi', { ...unshaped, delayMs: 7.5, rateKbit: 20_000 });
    await setLink('cellular', { ...unshaped, delayMs: 21.5, rateKbit: 10_000 });
    const d = await download(phone.netns, `${origin}/bytes/30000000`, { mptcp: true, socks });
    expect(d.bytes).toBe(30_000_000);
    console.log(`aggregation 20 + 10 Mbit/s through the proxy: ${d.mbit.toFixed(2)} Mbit/s goodput (${((100 * d.mbit) / 30).toFixed(1)} % of the sum)`);
    expect(d.mbit).toBeGreaterThanOrEqual(0.85 * 30);
  });

  it('an outage stops traffic on that path only and moves the transfer to the other interface', async () => {
    await setLink('wifi', { ...unshaped, delayMs: 7.5, rateKbit: 20_000 });
    await setLink('cellular', { ...unshaped, delayMs: 21.5, rateKbit: 10_000 });
    const transfer = download(phone.netns, `${origin}/bytes/20000000`, { mptcp: true, socks, timeoutMs: 60_000 });
    await sleep(1500);
    await labLink(name, phone.name, 'wifi', { outage: true });
    await sleep(200);
    const wlan0 = await rxBytes(phone.netns, 'wlan0');
    const rmnet0 = await rxBytes(phone.netns, 'rmnet0');
    const windowS = 4; // long enough that MPTCP's recovery (about one retransmission timeout) is a small part
    await sleep(windowS * 1000);
    const wlanDuring = (await rxBytes(phone.netns, 'wlan0')) - wlan0;
    const rmnetDuring = (await rxBytes(phone.netns, 'rmnet0')) - rmnet0;
    const downStatus = await labLink(name, phone.name, 'wifi', { outage: false });
    console.log(`during a ${windowS} s WiFi outage: ${wlanDuring} bytes on wlan0, ${(rmnetDuring / 1e6).toFixed(2)} MB on rmnet0`);
    expect(wlanDuring).toBe(0);
    // the transfer goes on over cellular (10 Mbit/s = 1.25 MB/s). How much of that rate it gets
    // depends on MPTCP: data stuck on the lost WiFi subflow blocks the receive window until the
    // subflow's retransmission timeout reinjects it on cellular.
    expect(rmnetDuring).toBeGreaterThan(0.25 * 1.25e6 * windowS);
    expect(downStatus.down.counters.dropped.outage).toBeGreaterThan(0);
    const d = await transfer;
    expect(d.bytes).toBe(20_000_000);
  });

  it('carries the phone\'s traffic through the SOCKS proxy over MPTCP and logs each connection', async () => {
    await setLink('wifi', { ...unshaped, delayMs: 7.5, rateKbit: 20_000 });
    await setLink('cellular', { ...unshaped, delayMs: 21.5, rateKbit: 10_000 });
    const d = await download(phone.netns, 'http://origin.mplab.test/bytes/3000000', { mptcp: true, socks });
    expect(d.bytes).toBe(3_000_000);
    await sleep(300);
    const log = readFileSync(status.proxy.log!, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const entry = log.find((e) => (e.bytes as { down: number }).down >= 3_000_000 && (e.target as { host: string }).host === 'origin.mplab.test');
    expect(entry).toMatchObject({ event: 'connection', remote: '198.19.0.2:80', close: 'client-end', mptcp: { fallback: false } });
    expect((entry!.mptcp as { subflows: number }).subflows).toBe(2);
    expect(String(entry!.client)).toMatch(/^198\.18\.1\.2:\d+$/);
  });

  it('changes a link while traffic runs without breaking it', async () => {
    await setLink('wifi', { ...unshaped, delayMs: 7.5, rateKbit: 20_000 });
    const transfer = download(phone.netns, `${origin}/bytes/8000000`, { source: phone.wifi.ip });
    await sleep(500);
    await labLink(name, phone.name, 'wifi', { down: { delayMs: 30, rateKbit: 40_000 } });
    const after = await labStatus(name);
    expect(after.phones[0].wifi.link?.down.params).toMatchObject({ delayMs: 30, rateKbit: 40_000 });
    expect((await transfer).bytes).toBe(8_000_000);
  });

  it('serves the origin endpoints to the phone', async () => {
    const get = (path: string) => inNetns(phone.netns, 'curl', ['-sS', '-m', '20', `${origin}${path}`]);
    expect(String((await get('/health')).stdout)).toBe('ok');
    const upload = await inNetns(phone.netns, 'curl', ['-sS', '-m', '20', '--data-binary', '@-', `${origin}/upload`], { input: Buffer.alloc(100_000) });
    expect(JSON.parse(String(upload.stdout))).toMatchObject({ bytes: 100_000 });
    expect(String((await get('/page/home?objects=12')).stdout).match(/src=/g)).toHaveLength(12);
    const chat = await inNetns(phone.netns, 'curl', ['-sS', '-m', '2', `telnet://${plan.origin.ip}:5222`], { input: '{"type":"ping"}\n', reject: false });
    expect(String(chat.stdout)).toContain('{"type":"pong"}');
  });
});
