import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { MPLAB_CLI } from '../../../common/paths.js';
import { listNetns } from '../../../testbed/netns.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { testLabName } from '../testbed/lab-helpers.js';

/**
 * The whole pipeline as a user runs it (`mplab demo`): a lab with one virtual phone, traffic
 * through the MPTCP SOCKS proxy while the phone loses WiFi, a capture at the proxy, the analyzer
 * on that capture with the proxy's log; then the analyzer's view is checked against what the
 * demo did.
 */

interface Connection {
  id: number;
  client: string;
  kind: string;
  subflows: number;
  handover: boolean;
  target: { host: string; port: number } | null;
  uniqueBytes: { up: number; down: number };
  cellularShare: { up: number | null; down: number | null } | null;
}
interface Subflow {
  connection: number;
  iface: string | null;
  fin: { up: boolean; down: boolean };
  bytes: { up: number; down: number };
}

const jsonl = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);

describe.skipIf(skipUnless({ root: true, commands: ['ip', 'tcpdump', 'mptcpize', 'curl', 'adb'] }))('mplab demo, end to end', () => {
  const lab = testLabName(testPrefix());
  const out = mkdtempSync(join(tmpdir(), 'mplab-demo-'));
  afterAll(async () => {
    await removeOwnTestNamespaces();
    rmSync(out, { recursive: true, force: true });
  });

  it('carries, captures and analyzes a traffic mix; the analyzer sees the WiFi loss as a handover', async () => {
    const demo = await execa(process.execPath, [MPLAB_CLI, 'demo', '--out', out, '--lab', lab], { reject: false, timeout: 240_000 });
    expect(demo.stderr).toBe('');
    expect(demo.exitCode).toBe(0);
    expect(demo.stdout).toMatch(/handovers: 1/);
    expect(demo.stdout).toMatch(/upload: 20\.0 MB received by the origin in [0-9.]+ s/);
    expect(await listNetns(`${lab}-`)).toEqual([]);

    const connections = jsonl<Connection>(join(out, 'analysis', 'connections.jsonl'));
    const subflows = jsonl<Subflow>(join(out, 'analysis', 'subflows.jsonl'));
    // 30 web objects over up to 6 connections, the upload, the download: all MPTCP, all named
    // by their SOCKS request as the origin
    expect(connections.length).toBeGreaterThanOrEqual(3);
    expect(connections.length).toBeLessThanOrEqual(8);
    for (const c of connections) {
      expect(c.kind).toBe('mptcp');
      expect(c.target).toEqual({ host: 'origin', port: 80 });
    }
    const upload = connections.find((c) => c.uniqueBytes.up >= 20_000_000)!;
    expect(upload).toBeDefined();
    expect(upload.handover).toBe(false);

    const download = connections.find((c) => c.uniqueBytes.down >= 40_000_000)!;
    expect(download.handover).toBe(true);
    expect(connections.filter((c) => c.handover)).toHaveLength(1);
    // WiFi carried the first 1.5 s at most (70 Mbit/s: < 14 MB), cellular the rest
    expect(download.cellularShare!.down).toBeGreaterThan(0.6);
    const own = subflows.filter((s) => s.connection === download.id);
    const wifi = own.find((s) => s.iface === 'wifi')!;
    const cellular = own.find((s) => s.iface === 'cellular')!;
    expect(wifi.fin.up).toBe(false); // the phone never closed its WiFi subflow: it lost it
    expect(cellular.bytes.down).toBeGreaterThan(wifi.bytes.down);

    // what the analyzer counts in the capture is what the proxy relayed, plus the SOCKS5
    // exchange: up, curl's greeting (4 bytes: no auth or user/password) and a CONNECT to "origin"
    // (13); down, the two replies (2 + 10)
    const log = jsonl<{ event: string; client: string; bytes: { up: number; down: number } }>(join(out, 'proxy-connections.jsonl'));
    expect(log.filter((l) => l.event === 'connection')).toHaveLength(connections.length);
    for (const c of connections) {
      const entry = log.find((l) => l.client === c.client)!;
      expect(entry, c.client).toBeDefined();
      expect(c.uniqueBytes).toEqual({ up: entry.bytes.up + 17, down: entry.bytes.down + 12 });
    }
  });
});
