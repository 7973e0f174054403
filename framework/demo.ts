/**
 * `mplab demo` (`npm run demo`, as root): the whole pipeline once on the virtual lab.
 *   1. lab up with one phone (MPTCP on WiFi and cellular, the SOCKS proxy, the origin)
 *   2. capture at the proxy (tcpdump on its phone-facing interface)
 *   3. traffic through the proxy over MPTCP: a burst of short web-like fetches, a 20 MB upload,
 *      a bulk download with WiFi lost mid-transfer (a handover to cellular)
 *   4. mplab analyze on the capture, joined with the proxy's connection log
 *   5. a short summary, where the files are, lab down
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { UserError } from '../common/errors.js';
import { MPLAB_CLI, REPO_ROOT } from '../common/paths.js';
import { missingPrereqs } from '../common/prereq.js';
import { validateDevicesFile } from './config/devices-file.js';
import { Device } from './devices/device.js';
import { applyNet } from './devices/network.js';
import { startCapture, type CaptureStats } from '../proxy/capture.js';
import { labDown, labLink, labUp, type LabStatus } from '../testbed/lab/lab.js';
import { inNetns } from '../testbed/netns.js';

const DOWNLOAD_MB = 40;
const UPLOAD_MB = 20;
const PAGE_OBJECTS = 30;

export interface DemoOptions {
  /** the lab's name (default mplabdemo, so that a lab of the user's own is left alone) */
  lab?: string;
  /** the run folder (default runs/demo-<time>/ in the checkout) */
  out?: string;
  /** where progress lines go */
  say: (line: string) => void;
}

export interface DemoResult {
  runDir: string;
  analysisDir: string;
  capture: CaptureStats;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** curl in the phone's namespace through the lab's SOCKS proxy, as an MPTCP client. */
function phoneCurl(lab: LabStatus, args: string[]) {
  const phone = lab.phones[0];
  return inNetns(phone.netns, 'mptcpize', ['run', 'curl', '--silent', '--show-error', '--fail', '--socks5-hostname', lab.proxy.socks, ...args], { timeout: 180_000 });
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { say } = options;
  const LAB = options.lab ?? 'mplabdemo';
  const missing = missingPrereqs({ root: true, commands: ['ip', 'tcpdump', 'mptcpize', 'curl', 'adb'] });
  if (missing.length > 0) throw new UserError(`the demo needs: ${missing.join(', ')} (run scripts/setup.sh as root first)`);

  const runDir = resolve(options.out ?? join(REPO_ROOT, 'runs', `demo-${stamp()}`));
  mkdirSync(runDir, { recursive: true });
  const proxyLog = join(runDir, 'proxy-connections.jsonl');
  const pcap = join(runDir, 'proxy.pcap');
  const analysisDir = join(runDir, 'analysis');

  say(`[1/5] lab up (${LAB}: 1 phone, MPTCP on wlan0 and rmnet0, SOCKS proxy, origin)`);
  const lab = await labUp({ name: LAB, phones: 1, mode: 'mptcp', defaultRoute: 'wifi', proxyLog, adbPortBase: 0 });
  try {
    const phone = lab.phones[0];
    if (!phone.adb) throw new Error('the phone has no adb daemon');
    // the phone as the framework drives any phone: over adb, through devices/
    const { devices } = validateDevicesFile({ devices: [{ id: phone.adb, label: phone.name, root: true, kernel: 'upstream' }] });
    const device = new Device(devices[0]);
    const props = await device.properties();
    say(`      ${phone.name}: adb ${phone.adb} (${props['ro.product.model']}, Android ${props['ro.build.version.release']}), wlan0 ${phone.wifi.ip}, rmnet0 ${phone.cellular.ip}`);

    say('[2/5] capture at the proxy');
    const capture = await startCapture({ netns: lab.proxy.netns, iface: 'eth0', file: pcap, filter: 'tcp' });

    say(`[3/5] traffic through the proxy over MPTCP`);
    let started = Date.now();
    const urls = Array.from({ length: PAGE_OBJECTS }, (_, i) => [`http://origin/object/demo/${i}?size=${4000 + 500 * i}`, '-o', '/dev/null']).flat();
    await phoneCurl(lab, ['--parallel', '--parallel-max', '6', ...urls]);
    say(`      web: ${PAGE_OBJECTS} objects over 6 parallel connections in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const uploadFile = join(runDir, 'upload.bin');
    writeFileSync(uploadFile, randomBytes(UPLOAD_MB * 1_000_000));
    started = Date.now();
    const uploaded = await phoneCurl(lab, ['--data-binary', `@${uploadFile}`, '-H', 'Content-Type: application/octet-stream', 'http://origin/upload']);
    rmSync(uploadFile);
    // the origin answers {"bytes":N,"ms":T}: what it received
    const received = (JSON.parse(String(uploaded.stdout)) as { bytes: number }).bytes;
    say(`      upload: ${(received / 1e6).toFixed(1)} MB received by the origin in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // Last, the phone walks away from the access point during a download: the WiFi link goes
    // silent, a second later Android gives up on WiFi (mplab's device control turns it off through
    // adb and waits until wlan0 is down), and the transfer finishes over cellular. WiFi stays off
    // until the capture has stopped, as it would for a phone that left; otherwise the WiFi
    // subflow's pending FIN would reach the proxy later.
    started = Date.now();
    const download = phoneCurl(lab, ['-o', '/dev/null', '-w', '%{size_download}', `http://origin/bytes/${DOWNLOAD_MB * 1_000_000}`]);
    await sleep(1500);
    await labLink(LAB, phone.name, 'wifi', { outage: true });
    const cutAt = (Date.now() - started) / 1000;
    await sleep(1000);
    await applyNet(device, { wifi: 'off', timeoutMs: 15_000 });
    const downloaded = await download;
    say(`      bulk download: ${(Number(String(downloaded.stdout)) / 1e6).toFixed(1)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s, WiFi lost at ${cutAt.toFixed(1)} s (WiFi turned off 1 s later)`);

    await sleep(500); // the last FINs and ACKs
    const stats = await capture.stop();
    say(`      capture: ${stats.captured} packets, ${stats.droppedByKernel} dropped by the kernel`);

    say('[4/5] mplab analyze');
    const analyzed = await execa(process.execPath, [MPLAB_CLI, 'analyze', pcap, '--out', analysisDir, '--wifi', phone.wifi.ip + '/32', '--cellular', phone.cellular.ip + '/32', '--proxy-log', proxyLog, '--no-progress'], { reject: false });
    if (analyzed.exitCode !== 0) throw new Error(`mplab analyze failed (${analyzed.exitCode}): ${analyzed.stderr || analyzed.stdout}`);
    say(`      ${analyzed.stdout.trim()}`);

    say('[5/5] summary');
    for (const line of summarize(analysisDir)) say(`      ${line}`);
    say(`files: ${relative(process.cwd(), runDir) || '.'}/ (proxy.pcap, proxy-connections.jsonl, analysis/{connections,subflows}.jsonl, analysis/summary.json)`);
    return { runDir, analysisDir, capture: stats };
  } finally {
    await labDown(LAB);
    say('lab down');
  }
}

interface Connection {
  kind: string;
  subflows: number;
  handover: boolean;
  reinjectedBytes: { up: number; down: number };
  target: { host: string; port: number } | null;
}
interface Subflow {
  iface: 'wifi' | 'cellular' | null;
  bytes: { up: number; down: number };
}

function jsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

function summarize(dir: string): string[] {
  const connections = jsonl<Connection>(join(dir, 'connections.jsonl'));
  const subflows = jsonl<Subflow>(join(dir, 'subflows.jsonl'));
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
  const onIface = (iface: Subflow['iface']) => subflows.filter((s) => s.iface === iface).reduce((acc, s) => ({ up: acc.up + s.bytes.up, down: acc.down + s.bytes.down }), { up: 0, down: 0 });
  const wifi = onIface('wifi');
  const cell = onIface('cellular');
  const reinjected = connections.reduce((acc, c) => acc + c.reinjectedBytes.up + c.reinjectedBytes.down, 0);
  const targets = new Set(connections.map((c) => (c.target ? `${c.target.host}:${c.target.port}` : '?')));
  return [
    `connections: ${connections.length} (${connections.filter((c) => c.kind === 'mptcp').length} MPTCP) to ${[...targets].join(', ')}`,
    `subflows: ${subflows.length} (${connections.filter((c) => c.subflows >= 2).length} connections with 2 or more)`,
    `WiFi: ${mb(wifi.down)} down, ${mb(wifi.up)} up; cellular: ${mb(cell.down)} down, ${mb(cell.up)} up`,
    `reinjected: ${mb(reinjected)}; handovers: ${connections.filter((c) => c.handover).length}`,
  ];
}
