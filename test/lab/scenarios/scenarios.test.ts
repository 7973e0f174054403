import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestResult } from '../../../common/test-result.js';
import { startAppiumServer, type AppiumServer } from '../../../framework/appium/server.js';
import { loadDevicesFile, type DeviceConfig } from '../../../framework/config/devices-file.js';
import type { ChangeRequest } from '../../../framework/runner/network-changes.js';
import { runTest } from '../../../framework/runner/test-run.js';
import type { MptcpMode } from '../../../framework/devices/mptcp-commands.js';
import { findScenario } from '../../../scenarios/index.js';
import { labDown, labUp } from '../../../testbed/lab/lab.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { tempDir } from '../../support/tmp.js';
import { testLabName } from '../testbed/lab-helpers.js';

/**
 * The ten app scenarios end to end, as `mplab run` runs them: one lab phone, one Appium server
 * for the file (the real UiAutomator2 driver through Debian's adb server), the proxy's capture
 * and the analyzer. Playback times are shortened (scenario parameters); the traffic each app
 * must make is checked in the analyzer's output.
 */
const run = !skipUnless({ root: true, commands: ['adb', 'tcpdump', 'mptcpize', 'tshark'], packages: ['appium', 'appium-uiautomator2-driver', 'webdriverio'] });

interface Connection {
  kind: string;
  subflows: number;
  start: number;
  end: number;
  bytes: { up: number; down: number };
  target: { host: string; port: number } | null;
  handover: boolean;
  dataFin: { up: boolean; down: boolean };
  fastClose: boolean;
}
interface Subflow {
  connection: number;
  iface: string;
  established: boolean;
}

// the apps count sizes in decimal megabytes, as their UIs show them
const MB = 1_000_000;

function jsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

describe.runIf(run)('app scenarios on a lab phone through Appium', () => {
  const lab = testLabName(testPrefix());
  const dir = tempDir();
  let device: DeviceConfig;
  let phoneNetns: string;
  let appium: AppiumServer;

  beforeAll(async () => {
    const status = await labUp({ name: lab, phones: 1, mode: 'mptcp', defaultRoute: 'wifi', adbPortBase: 0 });
    const devicesFile = path.join(dir, 'devices.json');
    writeFileSync(devicesFile, JSON.stringify({ devices: [{ id: status.phones[0]!.adb, label: 'phone1', root: true, kernel: 'upstream', capture: { onPhone: false } }] }));
    device = (await loadDevicesFile(devicesFile)).devices[0]!;
    phoneNetns = status.phones[0]!.netns;
    appium = await startAppiumServer({ logFile: path.join(dir, 'appium.log') });
  }, 180_000);

  afterAll(async () => {
    await appium?.stop();
    await labDown(lab).catch(() => undefined);
    await removeOwnTestNamespaces();
  });

  interface Run {
    result: TestResult;
    dir: string;
    connections: Connection[];
    subflows: Subflow[];
  }

  async function scenario(name: string, params: Record<string, string | number>, opts: { mode?: MptcpMode; changes?: ChangeRequest[]; label?: string; device?: DeviceConfig } = {}): Promise<Run> {
    const def = findScenario(name);
    if (!def) throw new Error(`no scenario ${name}`);
    const testDir = path.join(dir, opts.label ?? name);
    const result = await runTest({
      scenario: def,
      device: opts.device ?? device,
      mode: opts.mode ?? 'mptcp',
      net: 'both',
      defaultRoute: 'wifi',
      params,
      dir: testDir,
      appiumUrl: appium.url,
      changes: opts.changes ?? [],
    });
    const analysis = path.join(testDir, 'analysis');
    const read = <T>(f: string) => (existsSync(path.join(analysis, f)) ? jsonl<T>(path.join(analysis, f)) : []);
    return { result, dir: testDir, connections: read<Connection>('connections.jsonl'), subflows: read<Subflow>('subflows.jsonl') };
  }

  function expectPassed(r: Run): void {
    expect(r.result.verdict, `${r.result.scenario}: ${r.result.reason ?? ''} (failed step ${r.result.failedStep ?? '-'})`).toBe('passed');
  }

  /** In MPTCP mode with both radios, the app's connections carry subflows on WiFi and on cellular. */
  function expectBothInterfaces(r: Run): void {
    const mptcp = r.connections.filter((c) => c.kind === 'mptcp');
    expect(mptcp.length, 'MPTCP connections').toBeGreaterThan(0);
    const ifaces = new Set(r.subflows.filter((s) => s.established).map((s) => s.iface));
    expect([...ifaces].sort()).toEqual(['cellular', 'wifi']);
  }

  const down = (r: Run) => r.connections.reduce((s, c) => s + c.bytes.down, 0);
  const up = (r: Run) => r.connections.reduce((s, c) => s + c.bytes.up, 0);
  const measure = (r: Run, name: string) => r.result.measures.filter((m) => m.name === name);

  it('Dropbox uploads a fresh 20 MB file', async () => {
    const r = await scenario('dropbox', { megabytes: 20 });
    expectPassed(r);
    expect(Math.max(...r.connections.map((c) => c.bytes.up))).toBeGreaterThanOrEqual(20 * MB);
    expect(measure(r, 'upload-time')[0]?.value).toBeGreaterThan(0);
    expectBothInterfaces(r);
  }, 150_000);

  it('Drive uploads a file (5 MB here)', async () => {
    const r = await scenario('drive', { megabytes: 5 });
    expectPassed(r);
    expect(Math.max(...r.connections.map((c) => c.bytes.up))).toBeGreaterThanOrEqual(5 * MB);
    expectBothInterfaces(r);
  }, 150_000);

  it('YouTube plays three videos, each on a connection of its own', async () => {
    const r = await scenario('youtube', { watchSeconds: 4 });
    expectPassed(r);
    expect(r.connections.filter((c) => c.bytes.down >= 2 * MB)).toHaveLength(3);
    expect(measure(r, 'startup-delay')).toHaveLength(3);
    expectBothInterfaces(r);
  }, 150_000);

  it('Dailymotion plays three videos', async () => {
    const r = await scenario('dailymotion', { watchSeconds: 4 });
    expectPassed(r);
    expect(measure(r, 'startup-delay')).toHaveLength(3);
    expect(down(r)).toBeGreaterThan(3 * MB);
    expectBothInterfaces(r);
  }, 150_000);

  it('WhatsApp keeps its messaging connection for the whole scenario and downloads the 5 MB document', async () => {
    const r = await scenario('whatsapp', {});
    expectPassed(r);
    const longest = r.connections.reduce((a, c) => (c.end - c.start > a.end - a.start ? c : a));
    const others = r.connections.filter((c) => c !== longest);
    // the chat connection opens first and closes last
    expect(others.every((c) => c.start >= longest.start && c.end <= longest.end + 0.5)).toBe(true);
    expect(r.connections.some((c) => c.bytes.down >= 5 * MB && c.bytes.down < 5.5 * MB)).toBe(true);
    const dl = measure(r, 'download-time')[0];
    expect(dl?.value).toBeGreaterThan(0);
    expect(['good', 'acceptable', 'bad', 'very bad']).toContain(dl?.band);
    expectBothInterfaces(r);
  }, 150_000);

  it('Messenger sends a text, a smiley and a photo', async () => {
    const r = await scenario('messenger', {});
    expectPassed(r);
    expect(measure(r, 'delivery-time').length).toBeGreaterThanOrEqual(3);
    expectBothInterfaces(r);
  }, 150_000);

  it('Facebook refreshes, posts, shares a photo and checks in', async () => {
    const r = await scenario('facebook', {});
    expectPassed(r);
    expect(up(r)).toBeGreaterThan(50_000);
    expectBothInterfaces(r);
  }, 150_000);

  it('Firefox loads pages with an empty cache and measures each load', async () => {
    const r = await scenario('firefox', { pages: 3 });
    expectPassed(r);
    expect(measure(r, 'page-load')).toHaveLength(3);
    expect(r.connections.length).toBeGreaterThanOrEqual(3);
    expectBothInterfaces(r);
  }, 150_000);

  it('Spotify streams music', async () => {
    const r = await scenario('spotify', { playSeconds: 8 });
    expectPassed(r);
    expect(down(r)).toBeGreaterThan(100_000);
    // the app is stopped before the capture ends: its stream ends inside the capture (DATA_FIN or MP_FASTCLOSE), not cut off
    expect(r.connections.filter((c) => !(c.dataFin.up || c.dataFin.down || c.fastClose))).toEqual([]);
    expectBothInterfaces(r);
  }, 150_000);

  it('Periscope watches a live broadcast over HLS', async () => {
    const r = await scenario('periscope', { watchSeconds: 8 });
    expectPassed(r);
    // nothing of the Spotify test before it (music plays on in the background unless the app is stopped)
    expect(r.connections.every((c) => c.target !== null)).toBe(true);
    expect(measure(r, 'startup-delay')).toHaveLength(1);
    expectBothInterfaces(r);
  }, 150_000);

  it('in tcp mode no MPTCP option is on the wire', async () => {
    const r = await scenario('firefox', { pages: 2 }, { mode: 'tcp', label: 'firefox-tcp' });
    expectPassed(r);
    expect(r.connections.length).toBeGreaterThan(0);
    expect(r.connections.every((c) => c.kind === 'tcp')).toBe(true);
    // tshark, independently of the analyzer: no TCP option of kind 30 in the proxy's capture
    const captures = path.join(r.dir, 'captures');
    const pcap = readdirSync(captures).find((f) => f.startsWith('proxy') && f.endsWith('.pcap'));
    expect(pcap).toBeDefined();
    const all = await execa('tshark', ['-n', '-r', path.join(captures, pcap!), '-Y', 'tcp', '-T', 'fields', '-e', 'frame.number']);
    expect(all.stdout.split('\n').filter(Boolean).length).toBeGreaterThan(50);
    const mptcp = await execa('tshark', ['-n', '-r', path.join(captures, pcap!), '-Y', 'tcp.option_kind == 30', '-T', 'fields', '-e', 'frame.number']);
    expect(mptcp.stdout.trim()).toBe('');
  }, 150_000);

  it('a view that never appears fails the scenario, with its evidence', async () => {
    const r = await scenario('messenger', { contact: 'Nobody Here' }, { label: 'messenger-missing' });
    expect(r.result.verdict).toBe('failed');
    expect(r.result.reason).toMatch(/Nobody Here/);
    const evidence = readdirSync(path.join(r.dir, 'evidence'));
    expect(evidence).toEqual(expect.arrayContaining(['page-source.xml', 'screenshot.png', 'logcat.txt']));
    expect(readFileSync(path.join(r.dir, 'evidence', 'page-source.xml'), 'utf8')).toContain('com.facebook.orca');
  }, 150_000);

  it('a WiFi cut in the middle of YouTube is survived in MPTCP mode and the analyzer reports the handover', async () => {
    // the first video buffers 40 s at once and asks for more when 30 s are left ahead (at about 10 s
    // of play): cut before that, while it plays for 12 s, its next segments come over cellular on
    // the same connection (the app's end of it outlives the WiFi address: see app-route.ts)
    const r = await scenario('youtube', { watchSeconds: 12 }, { changes: [{ at: 7, change: 'wifi-down' }], label: 'youtube-wifi-cut' });
    expectPassed(r);
    const videos = r.connections.filter((c) => c.bytes.down >= 2 * MB);
    expect(videos).toHaveLength(3);
    const first = videos.reduce((a, b) => (a.start < b.start ? a : b));
    expect(first.handover).toBe(true);
    expect(first.subflows).toBe(2);
    expect(r.result.analysis?.handovers).toBeGreaterThanOrEqual(1);
  }, 150_000);

  // devices.json's proxy on the phone: the path from the app's uid to the proxy is checked before the scenario
  const withProxy = (): DeviceConfig => ({ ...device, proxy: { kind: 'socks5', server: '198.18.0.1:1080', app: null, username: null, password: null, method: null } });

  it('a phone with a proxy in devices.json has its path to the proxy checked first, before the captures', async () => {
    const r = await scenario('firefox', { pages: 1 }, { device: withProxy(), label: 'proxy-path' });
    expectPassed(r);
    const step = r.result.steps.find((s) => s.name === 'proxy path');
    expect(step?.ok).toBe(true);
    const names = r.result.steps.map((s) => s.name);
    expect(names.indexOf('proxy path')).toBeLessThan(names.indexOf('captures'));
    expect(names.indexOf('captures')).toBeLessThan(names.indexOf('scenario'));
    // the probe asked the proxy for its own address: that connection is the runner's and is not among the app's
    expect(r.connections.length).toBeGreaterThan(0);
    expect(r.connections.filter((c) => c.target?.host === '198.18.0.1')).toEqual([]);
  }, 150_000);

  // last: it removes the phone's redirection, as a SOCKS client app that stopped would
  it('a phone whose traffic does not reach the proxy stops before the scenario with a clear error', async () => {
    await execa('ip', ['netns', 'exec', phoneNetns, 'nft', 'delete', 'table', 'ip', 'mplab_apps']);
    const r = await scenario('firefox', { pages: 1 }, { device: withProxy(), label: 'proxy-path-broken' });
    expect(r.result.verdict).toBe('error');
    expect(r.result.failedStep).toBe('proxy path');
    expect(r.result.reason).toMatch(/no test connection from the phone reached the proxy within 10 s: a connection opened on the phone as org\.mozilla\.firefox \(uid \d+\)/);
    expect(r.result.steps.some((s) => s.name === 'scenario')).toBe(false);
  }, 150_000);
});
