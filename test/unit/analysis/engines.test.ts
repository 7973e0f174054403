import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { analyzeFiles, analyzeInputs, type AnalyzeOptions, type AnalyzerEngine } from '../../../analysis/analyze.js';
import { readCapture, type FrameSink } from '../../../analysis/capture/reader.js';
import { analyzerAddon, mpaCidr, useAnalyzerAddon, type MpaCidr } from '../../../analysis/native-engine.js';
import { DirectoryOutput, MemoryOutput } from '../../../analysis/output.js';
import { MPLAB_CLI } from '../../../common/paths.js';
import type { CorpusCall } from '../../support/capture-corpus.js';
import { fixtureCapture } from '../../support/capture-layout.js';
import { dirContents } from '../../support/dir-contents.js';
import { Conversation, pcapFile, pcapngFile, tcpPacket, type CaptureRecord } from '../../support/pcap-writer.js';
import { inCI } from '../../support/prereq.js';
import { tempDir, tempFile } from '../../support/tmp.js';
import { fuzzBases, fuzzVariant } from './fuzz-variants.js';
import { MptcpScenario } from './mptcp-scenario.js';

/**
 * The two engines of `mplab analyze` (analyze.ts: the JavaScript one, and the native one of
 * native-engine.ts and native/analyzer/) write the same bytes: connections.jsonl, subflows.jsonl and
 * summary.json are compared on every capture the analyzer's other unit tests analyze (recorded by
 * running them with test/support/capture-corpus.config.ts), the MPTCP v0 fixtures (whole, split
 * into parts, as overlapping traces), damaged variants (the fuzz test's) and truncated ones, a large
 * built capture (window moves, batches, output over 1 MiB) through analyzeFiles, analyzeInputs and a
 * FIFO, with and without --wifi/--cellular. Every native run checks that it was the native engine
 * that ran (its debug line), so that the comparison cannot compare JavaScript with itself.
 *
 * Without the addon (build/Release/mptcp_analyzer.node, built by npm ci) the comparisons are
 * skipped, except in CI (CI=true), where they fail.
 */

const T = 1_763_000_000;
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const OUTPUTS = ['connections.jsonl', 'subflows.jsonl', 'summary.json'];

/** --wifi/--cellular sets: none, the test captures' subnets, and IPv6 forms that cover IPv4 */
const CLASSES: AnalyzeOptions[] = [
  {},
  { wifi: ['198.18.1.0/24', '10.0.0.0/8', '2001:db8:1::/48'], cellular: ['198.18.2.0/24', '11.0.0.0/8', '2001:db8:2::/48'] },
  { wifi: ['::ffff:198.18.1.0/120', '10.0.0.1', '2001:db8:1::2'], cellular: ['::/0'] },
];

// ---- the native form of --wifi/--cellular ------------------------------------------------------

/** What the addon does with an MpaCidr: the first `prefix` bits of the address (IPv4 as ::ffff:a.b.c.d) equal. */
function cidrMatches(c: MpaCidr, w: number[]): boolean {
  for (let i = 0; i < 4; i++) {
    const bits = Math.min(32, Math.max(0, c.prefix - 32 * i));
    if (bits === 0) break;
    const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
    if (((w[i]! ^ c.w[i]!) & mask) >>> 0 !== 0) return false;
  }
  return true;
}

describe('--wifi/--cellular in the native form', () => {
  it('IPv4 a.b.c.d/p is ::ffff:a.b.c.d/(96+p), host bits cleared; IPv6 forms, zones and embedded IPv4 are read as BlockList reads them', () => {
    expect(mpaCidr('198.18.1.7/24', '--wifi')).toEqual({ w: [0, 0, 0xffff, 0xc6120100], prefix: 120 });
    expect(mpaCidr(' 10.0.0.1 ', '--wifi')).toEqual({ w: [0, 0, 0xffff, 0x0a000001], prefix: 128 });
    expect(mpaCidr('0.0.0.0/0', '--wifi')).toEqual({ w: [0, 0, 0xffff, 0], prefix: 96 });
    expect(mpaCidr('2001:db8::/32', '--wifi')).toEqual({ w: [0x20010db8, 0, 0, 0], prefix: 32 });
    expect(mpaCidr('2001:db8:ffff:1::5/33', '--wifi')).toEqual({ w: [0x20010db8, 0x80000000, 0, 0], prefix: 33 });
    expect(mpaCidr('::ffff:198.18.1.9/120', '--wifi')).toEqual({ w: [0, 0, 0xffff, 0xc6120100], prefix: 120 });
    expect(mpaCidr('1:2:3:4:5:6:1.2.3.4', '--wifi')).toEqual({ w: [0x10002, 0x30004, 0x50006, 0x01020304], prefix: 128 });
    expect(mpaCidr('fe80::1%eth0/10', '--wifi')).toEqual({ w: [0xfe800000, 0, 0, 0], prefix: 10 });
    expect(mpaCidr('::/0', '--wifi')).toEqual({ w: [0, 0, 0, 0], prefix: 0 });
    expect(mpaCidr('1::', '--wifi')).toEqual({ w: [0x10000, 0, 0, 0], prefix: 128 });
    expect(mpaCidr('198.18.1.0/0x18', '--wifi').prefix).toBe(120);
    expect(() => mpaCidr('198.18.1.0/33', '--cellular')).toThrow('--cellular: "198.18.1.0/33" has an invalid prefix length (expected 0-32)');
  });

  it('matches what node\'s BlockList matches, for IPv4 and IPv6 subnets and addresses of either family (random cases)', () => {
    let seed = 99;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const int = (n: number) => Math.floor(random() * n);
    // addresses near each other, so that prefixes of every length both match and miss
    const v4 = () => [198, 18, int(4), int(256)].join('.');
    const v6 = () => {
      const kind = int(4);
      if (kind === 0) return `::ffff:${v4()}`;
      if (kind === 1) return `::${v4()}`;
      if (kind === 2) return `2001:db8:${int(3).toString(16)}::${int(0x10000).toString(16)}`;
      return `::ffff:c612:${int(0x400).toString(16)}`;
    };
    const toWords = (ip: string, v6addr: boolean) => (v6addr ? mpaCidr(ip, 'x').w : [0, 0, 0xffff, mpaCidr(ip, 'x').w[3]]);
    let checked = 0;
    for (let i = 0; i < 400; i++) {
      const subnetV6 = random() < 0.5;
      const addr = subnetV6 ? v6() : v4();
      const prefix = subnetV6 ? [0, 64, 80, 95, 96, 97, 104, 112, 118, 120, 122, 127, 128][int(13)]! : int(33);
      const list = new BlockList();
      list.addSubnet(addr, prefix, subnetV6 ? 'ipv6' : 'ipv4');
      const c = mpaCidr(`${addr}/${prefix}`, 'x');
      for (let j = 0; j < 20; j++) {
        const isV6 = random() < 0.5;
        const ip = isV6 ? v6() : v4();
        expect([addr, prefix, ip, cidrMatches(c, toWords(ip, isV6))]).toEqual([addr, prefix, ip, list.check(ip, isV6 ? 'ipv6' : 'ipv4')]);
        checked++;
      }
    }
    expect(checked).toBe(8000);
  });
});

// ---- the reader's batches ----------------------------------------------------------------------

/** The frames a sink saw: their bytes and fields, one line each. */
function frameLines(file: string, batching: boolean, chunkSize?: number): string[] {
  const lines: string[] = [];
  const line = (buf: Buffer, offset: number, caplen: number, wirelen: number, linktype: number, ts: number) =>
    `${ts} ${caplen} ${wirelen} ${linktype} ${createHash('sha1').update(buf.subarray(offset, offset + caplen)).digest('hex')}`;
  let sink: FrameSink;
  if (!batching) {
    sink = {
      ts: 0,
      frame(buf, offset, caplen, wirelen, linktype) {
        lines.push(line(buf, offset, caplen, wirelen, linktype, this.ts));
      },
    };
  } else {
    // keeps where each frame is, and reads its bytes only when flushed, as the native engine's sink does
    const kept: [Buffer, number, number, number, number, number][] = [];
    sink = {
      ts: 0,
      frame(buf, offset, caplen, wirelen, linktype) {
        kept.push([buf, offset, caplen, wirelen, linktype, this.ts]);
      },
      flush() {
        for (const k of kept) lines.push(line(...k));
        kept.length = 0;
      },
    };
  }
  try {
    readCapture(file, sink, { chunkSize });
  } catch (err) {
    lines.push(String(err));
  }
  return lines;
}

describe('a sink that keeps frames until flushed (the native engine\'s batches)', () => {
  it('sees every frame\'s bytes as they were, with the window moving (small chunks), growing (a record larger than a chunk) and at the end of each input', () => {
    const files: string[] = [];
    for (const name of ['client_2', 'iperf-mptcp-0-0']) files.push(tempFile(`${name}.pcapng`, fixtureCapture(`mptcp-v0/${name}.pcap`)));
    for (const base of fuzzBases()) files.push(tempFile(`base.${base.ext}`, base.bytes));
    for (let i = 0; i < 30; i++) {
      const { base, bytes } = fuzzVariant(11, i, fuzzBases());
      files.push(tempFile(`v${i}.${base.ext}`, bytes));
    }
    for (const file of files) {
      for (const chunk of [256, 4096, 65536]) {
        const direct = frameLines(file, false, chunk);
        expect(frameLines(file, true, chunk)).toEqual(direct);
      }
    }
  });
});

// ---- the two engines ---------------------------------------------------------------------------

interface Outcome {
  /** the engine that ran (its debug line), null when the run failed before choosing */
  engine: string | null;
  error: string | null;
  files: Record<string, string>;
}

function logger(seen: { engine: string | null }) {
  return {
    debug: (obj: object) => {
      seen.engine = (obj as { engine?: string }).engine ?? seen.engine;
    },
    info() {},
    warn() {},
  };
}

function runSync(engine: AnalyzerEngine, files: string[], options: AnalyzeOptions): Outcome {
  const dir = tempDir();
  const seen = { engine: null as string | null };
  let error: string | null = null;
  try {
    analyzeFiles(files, new DirectoryOutput(dir), { progress: false, ...options, engine, logger: logger(seen) });
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  return { engine: seen.engine, error, files: dirContents(dir) };
}

async function runAsync(engine: AnalyzerEngine, files: string[], options: AnalyzeOptions): Promise<Outcome> {
  const dir = tempDir();
  const seen = { engine: null as string | null };
  let error: string | null = null;
  try {
    await analyzeInputs(files, new DirectoryOutput(dir), { progress: false, ...options, engine, logger: logger(seen) });
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  return { engine: seen.engine, error, files: dirContents(dir) };
}

const clip = (s: string | undefined) => (s === undefined ? '(none)' : s.length > 400 ? `${s.slice(0, 400)}...` : s);

/** Where the native engine's outcome differs from JavaScript's: the first differing line of each file. */
function differences(label: string, js: Outcome, native: Outcome): string[] {
  const found: string[] = [];
  if (js.engine !== null && js.engine !== 'js') found.push(`${label}: the JavaScript run ran ${js.engine}`);
  if (native.engine !== 'native' && !(native.engine === null && native.error !== null)) found.push(`${label}: the native run ran ${native.engine}`);
  if (js.error !== native.error) found.push(`${label}: error: js ${clip(js.error ?? 'none')}; native ${clip(native.error ?? 'none')}`);
  const names = [...new Set([...Object.keys(js.files), ...Object.keys(native.files)])].sort();
  for (const name of names) {
    const a = js.files[name];
    const b = native.files[name];
    if (a === b) continue;
    if (a === undefined || b === undefined) {
      found.push(`${label}: ${name} written by ${a === undefined ? 'native' : 'js'} only`);
      continue;
    }
    const la = a.split('\n');
    const lb = b.split('\n');
    let i = 0;
    while (i < la.length && i < lb.length && la[i] === lb[i]) i++;
    found.push(`${label}: ${name} line ${i + 1} (js ${la.length - 1} lines, native ${lb.length - 1}):\n  js     ${clip(la[i])}\n  native ${clip(lb[i])}`);
  }
  // a failed run leaves nothing behind, a complete one the three files
  for (const o of [js, native]) {
    const names = Object.keys(o.files).sort();
    if (o.error === null ? names.join() !== OUTPUTS.join() : names.length !== 0) found.push(`${label}: left in --out: ${names.join(', ')}`);
  }
  return found;
}

function compare(label: string, files: string[], options: AnalyzeOptions = {}): string[] {
  return differences(label, runSync('js', files, options), runSync('native', files, options));
}

async function compareAsync(label: string, files: string[], options: AnalyzeOptions = {}): Promise<string[]> {
  return differences(label, await runAsync('js', files, options), await runAsync('native', files, options));
}

/** The records of a capture file, to write again in parts. */
function recordsOf(file: string): { records: CaptureRecord[]; linktype: number } {
  const records: CaptureRecord[] = [];
  let linktype = 0;
  readCapture(file, {
    ts: 0,
    frame(buf, offset, caplen, wirelen, lt) {
      linktype = lt;
      records.push({ ts: this.ts, data: Buffer.from(buf.subarray(offset, offset + caplen)), wirelen });
    },
  });
  return { records, linktype };
}

const socks5 = (port: number) => Buffer.from([5, 1, 0, 5, 1, 0, 1, 93, 184, 216, 34, port >> 8, port & 255]);
const socks5Reply = Buffer.from([5, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
const domainRequest = (name: string, port: number) => Buffer.from([5, 1, 0, 5, 1, 0, 3, name.length, ...Buffer.from(name), port >> 8, port & 255]);

/**
 * Many connections of every kind, spread over time so that some wait out --grace and --idle-timeout
 * while others run: MPTCP v0 and v1 with joins, reinjections and closes, TCP over IPv4 and IPv6,
 * SOCKS5 (address and domain), ShadowSocks and HTTP CONNECT targets, resets, connections seen
 * without their SYN and SYNs never answered.
 */
function manyConnections(n: number): CaptureRecord[] {
  let seed = 5;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const all: CaptureRecord[] = [];
  const ports = [443, 80, 8080, 5228, 53, 993];
  for (let i = 0; i < n; i++) {
    const t = T + i * 0.02 + random() * 0.01;
    const port = 20000 + (i % 40000);
    const target = ports[i % ports.length]!;
    const host = `198.18.1.${(i % 250) + 2}`;
    const kind = i % 6;
    if (kind <= 1) {
      const m = new MptcpScenario(kind as 0 | 1, i + 1);
      const s0 = m.open(t, `${host}:${port}`);
      const req = i % 12 === 0 ? domainRequest(`host${i}.example`, target) : socks5(target);
      m.send(s0, 'up', t + 0.03, req.length, req);
      m.send(s0, 'down', t + 0.05, socks5Reply.length, socks5Reply);
      m.send(s0, 'down', t + 0.08, 1400);
      if (i % 3 === 0) {
        const s1 = m.join(t + 0.1, `198.18.2.${(i % 250) + 2}:${port + 1}`, { backup: i % 9 === 0 });
        const dsn = m.send(s1, 'down', t + 0.2, 1400);
        m.send(s0, 'down', t + 0.25, 700);
        if (i % 4 === 0) m.sendDsn(s0, 'down', t + 0.3, dsn, 1400);
        m.ack(s1, 'up', t + 0.32);
      }
      m.ack(s0, 'up', t + 0.35);
      if (i % 5 !== 0) for (const [k, s] of m.subflows.entries()) s.fin('down', t + 0.5 + k * 0.01).fin('up', t + 0.52 + k * 0.01);
      all.push(...m.records);
    } else if (kind === 2) {
      const c = new Conversation(all, `[2001:db8:1::${(i % 0xffff).toString(16)}]:${port}`, '[2001:db8::1]:1080');
      c.handshake(t);
      c.send('up', t + 0.02, socks5(target));
      c.send('down', t + 0.03, socks5Reply);
      c.send('down', t + 0.05, 1000 + (i % 400));
      if (i % 2) c.rst('down', t + 0.1);
      else c.fin('up', t + 0.1).fin('down', t + 0.11);
    } else if (kind === 3) {
      const c = new Conversation(all, `198.18.2.${(i % 250) + 2}:${port}`, '198.18.0.1:8388');
      c.handshake(t);
      c.send('up', t + 0.02, Buffer.from([1, 8, 8, 4, 4, 0, 53, 0xde, 0xad]));
      c.send('down', t + 0.04, 300);
      if (i % 4 === 1) c.fin('up', t + 0.3);
    } else if (kind === 4) {
      const c = new Conversation(all, `${host}:${port}`, '198.18.0.1:3128');
      if (i % 8 === 4) {
        // the SYN is never answered
        c.syn(t).syn(t + 1);
      } else {
        c.handshake(t);
        c.send('up', t + 0.02, Buffer.from(`CONNECT h${i}.example:${target} HTTP/1.1\r\nHost: h${i}.example:${target}\r\n\r\n`));
        c.send('down', t + 0.05, Buffer.from('HTTP/1.1 200 Connection established\r\n\r\n'));
        c.send('down', t + 0.06, 500);
        c.fin('down', t + 0.2).fin('up', t + 0.21);
      }
    } else {
      // seen from the middle: no SYN
      const late = new Conversation(all, `${host}:${port}`, '198.18.0.1:1080', { up: 5000 + i, down: 9000 + i });
      late.send('down', t, 1400);
      late.ack('up', t + 0.01);
      late.send('down', t + 0.02, 1400);
    }
  }
  // stable: the packets of one instant keep their order
  return all.sort((a, b) => a.ts - b.ts);
}

const addonState = analyzerAddon();
const available = 'addon' in addonState;
if (!available && !inCI) console.warn(`skipping the native engine's comparisons: ${addonState.error} (npm ci builds it)`);

describe.skipIf(!available && !inCI)('the native engine against the JavaScript one', () => {
  let dir: string;
  let fixtures: Record<string, string>;
  let big: string;

  beforeAll(() => {
    dir = tempDir();
    fixtures = {};
    for (const name of ['client_2', 'server_2', 'iperf-mptcp-0-0']) {
      fixtures[name] = join(dir, `${name}.pcapng`);
      writeFileSync(fixtures[name]!, fixtureCapture(`mptcp-v0/${name}.pcap`));
    }
    big = join(dir, 'many.pcap');
    writeFileSync(big, pcapFile(manyConnections(6000), { linktype: 101, snaplen: 200 }));
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    useAnalyzerAddon(null);
  });

  it('the addon is built and loads (CI fails here without it)', () => {
    expect(addonState).toEqual({ addon: expect.anything() });
  });

  describe('which engine runs', () => {
    const engineOf = (output: DirectoryOutput | MemoryOutput, options: AnalyzeOptions = {}) => {
      const seen = { engine: null as string | null };
      analyzeFiles([fixtures['iperf-mptcp-0-0']!], output, { progress: false, ...options, logger: logger(seen) });
      return seen.engine;
    };

    it('native for directory output by default (also with a proxy log); JavaScript for memory output, freezeEveryPacket and MPLAB_ANALYZER_ENGINE=js', () => {
      vi.stubEnv('MPLAB_ANALYZER_ENGINE', '');
      expect(engineOf(new DirectoryOutput(tempDir()))).toBe('native');
      expect(engineOf(new MemoryOutput())).toBe('js');
      expect(engineOf(new DirectoryOutput(tempDir()), { proxyLog: tempFile('proxy.log', '') })).toBe('native');
      expect(engineOf(new DirectoryOutput(tempDir()), { freezeEveryPacket: true })).toBe('js');
      vi.stubEnv('MPLAB_ANALYZER_ENGINE', 'js');
      expect(engineOf(new DirectoryOutput(tempDir()))).toBe('js');
      vi.stubEnv('MPLAB_ANALYZER_ENGINE', 'native');
      expect(engineOf(new DirectoryOutput(tempDir()))).toBe('native');
      expect(engineOf(new MemoryOutput())).toBe('js');
      vi.stubEnv('MPLAB_ANALYZER_ENGINE', 'fast');
      expect(() => engineOf(new DirectoryOutput(tempDir()))).toThrow('MPLAB_ANALYZER_ENGINE=fast: expected js or native');
    });

    it('without the addon: JavaScript, and MPLAB_ANALYZER_ENGINE=native is an error that names the build step (the earlier result kept)', () => {
      useAnalyzerAddon(join(tempDir(), 'missing', 'mptcp_analyzer.node'));
      vi.stubEnv('MPLAB_ANALYZER_ENGINE', '');
      expect(engineOf(new DirectoryOutput(tempDir()))).toBe('js');
      vi.stubEnv('MPLAB_ANALYZER_ENGINE', 'native');
      const out = tempDir();
      writeFileSync(join(out, 'summary.json'), 'earlier\n');
      expect(() => engineOf(new DirectoryOutput(out))).toThrow(/^MPLAB_ANALYZER_ENGINE=native: .*mptcp_analyzer\.node cannot be loaded: .*: build it with npm ci \(or npx node-gyp rebuild\)/);
      expect(dirContents(out)).toEqual({ 'summary.json': 'earlier\n' });
    });

    it('the command (from its precompiled bundle) runs the native engine, says so at debug level only, and prints its one line as before', async () => {
      const out = tempDir();
      const env = { MPLAB_LOG_FORMAT: 'json', MPLAB_ANALYZER_ENGINE: '' };
      const quiet = await execa(process.execPath, [MPLAB_CLI, 'analyze', fixtures.client_2!, '--out', out, '--no-progress'], { env: { ...env, MPLAB_LOG_LEVEL: 'info' } });
      expect(String(quiet.stderr)).toBe('');
      expect(String(quiet.stdout)).toMatch(/^2884 packets in [\d.]+ s \([\d.]+ s CPU\): 4 connections \(4 MPTCP, 0 TCP\), 16 subflows -> /);
      const verbose = await execa(process.execPath, [MPLAB_CLI, 'analyze', fixtures.client_2!, '--out', out, '--no-progress'], { env: { ...env, MPLAB_LOG_LEVEL: 'debug' } });
      const lines = String(verbose.stderr).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string });
      expect(lines.map((l) => l.msg)).toEqual(['analyzer engine: native (directory output)']);
      const js = tempDir();
      await execa(process.execPath, [MPLAB_CLI, 'analyze', fixtures.client_2!, '--out', js, '--no-progress'], { env: { ...env, MPLAB_ANALYZER_ENGINE: 'js' } });
      expect(dirContents(out)).toEqual(dirContents(js));
    }, 60_000);
  });

  it('the MPTCP v0 fixtures, with and without --wifi/--cellular, --grace and --idle-timeout', () => {
    const found: string[] = [];
    for (const [name, file] of Object.entries(fixtures)) {
      for (const [k, classes] of CLASSES.entries()) {
        found.push(...compare(`${name} classes ${k}`, [file], classes));
        found.push(...compare(`${name} classes ${k} grace 0.5 idle 3`, [file], { ...classes, graceSeconds: 0.5, idleSeconds: 3 }));
      }
      found.push(...compare(`${name} grace 0 idle 0.2`, [file], { graceSeconds: 0, idleSeconds: 0.2 }));
    }
    expect(found).toEqual([]);
  });

  it('several files: parts of one capture as one trace (in any order), and overlapping captures as traces of their own', () => {
    const found: string[] = [];
    const { records, linktype } = recordsOf(fixtures.client_2!);
    const cut = [0, 700, 1500, 2200, records.length];
    const parts = cut.slice(1).map((end, i) => tempFile(`part${i}.pcap`, pcapFile(records.slice(cut[i], end), { linktype, snaplen: 256 })));
    found.push(...compare('client_2 in 4 parts', parts));
    found.push(...compare('client_2 in 4 parts, given out of order', [parts[2]!, parts[0]!, parts[3]!, parts[1]!], CLASSES[1]));
    found.push(...compare('client_2 in 4 parts, grace 0.5', parts, { graceSeconds: 0.5 }));
    const { client_2: client, server_2: server, 'iperf-mptcp-0-0': iperf } = fixtures as Record<string, string>;
    found.push(...compare('server_2 + client_2', [server, client]));
    found.push(...compare('client_2 + server_2 + iperf', [client, server, iperf], CLASSES[1]));
    found.push(...compare('iperf + client_2 + server_2, idle 3', [iperf, client, server], { idleSeconds: 3 }));
    found.push(...compare('parts of client_2 and server_2', [parts[1]!, server, parts[0]!, parts[3]!, parts[2]!], CLASSES[2]));
    // the same capture twice: two traces of the same connections
    found.push(...compare('client_2 twice', [client, tempFile('again.pcapng', readFileSync(client))]));
    expect(found).toEqual([]);
  });

  it('every capture the analyzer\'s other unit tests analyze, with their options and with --wifi/--cellular', async () => {
    const corpus = mkdtempSync(join(tmpdir(), 'mplab-corpus-'));
    try {
      // the child vitest is a run of its own, not a worker of this one
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS'));
      // a test of theirs that fails is their own failure: what it analyzed is still compared here
      const child = await execa('npx', ['vitest', 'run', '--config', 'test/support/capture-corpus.config.ts'], {
        cwd: REPO,
        env: { ...env, MPLAB_CAPTURE_CORPUS: corpus },
        extendEnv: false,
        reject: false,
        all: true,
      });
      const calls = readdirSync(corpus);
      expect(calls.length, `too few analyses recorded; the tests' output: ${String(child.all).slice(-3000)}`).toBeGreaterThan(100);
      const found: string[] = [];
      const done = new Set<string>();
      let compared = 0;
      for (const call of calls) {
        const spec = JSON.parse(readFileSync(join(corpus, call, 'call.json'), 'utf8')) as CorpusCall;
        const files = spec.files.map((f) => join(corpus, call, f));
        for (const [k, options] of [spec.options, CLASSES[1]!, CLASSES[2]!].entries()) {
          // the same files (by content) with the same options once
          const key = createHash('sha1')
            .update(JSON.stringify(k === 0 ? options : { ...spec.options, ...options }))
            .update(files.map((f) => createHash('sha1').update(readFileSync(f)).digest('hex')).join())
            .digest('hex');
          if (done.has(key)) continue;
          done.add(key);
          found.push(...compare(`${spec.test} (${call}, ${k === 0 ? 'its options' : `classes ${k}`})`, files, k === 0 ? options : { ...spec.options, ...options }));
          compared++;
        }
      }
      console.info(`compared ${compared} analyses of ${calls.length} recorded calls`);
      expect(found).toEqual([]);
    } finally {
      rmSync(corpus, { recursive: true, force: true });
    }
  }, 300_000);

  it('the proxy-log join: nearest start within the tolerance, each entry once, reused ports, targets from the log, odd entries', () => {
    // a log made from the connections themselves: each client once or twice (a reused port), at
    // its start or off by up to 3 s, with null, plain and odd targets (extra keys, non-ASCII, a
    // fractional port), refused events, extra fields and clients that are not in the capture
    const js = runSync('js', [big], {});
    const connections = js.files['connections.jsonl']!.trim().split('\n').map((l) => JSON.parse(l) as { client: string; start: number });
    expect(connections.length).toBeGreaterThan(5000);
    let seed = 11;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const lines: string[] = [];
    const targets = [null, { host: 'h.example', port: 443 }, { host: 'hôst.exämple "q"', port: 8443, extra: [1, { a: null }] }, { host: '2001:db8::1', port: 0.5 }, { host: 'x', port: -0 }];
    connections.forEach((c, i) => {
      const copies = 1 + (i % 5 === 0 ? 1 : 0) + (i % 11 === 0 ? 1 : 0);
      for (let k = 0; k < copies; k++) {
        const start = c.start + (random() < 0.5 ? 0 : (random() - 0.5) * 6);
        const entry: Record<string, unknown> = { event: random() < 0.9 ? 'connection' : 'refused', id: i * 10 + k, client: c.client, start, target: targets[(i + k) % targets.length] };
        if (i % 3 === 0) Object.assign(entry, { remote: '93.184.216.34:443', end: start + 1, bytes: { up: i, down: 2 * i }, close: 'eof', mptcp: { subflows: 2, fallback: false, more: 'x' } });
        if (i % 7 === 0) delete entry.id;
        lines.push(JSON.stringify(entry));
      }
      if (i % 13 === 0) lines.push(JSON.stringify({ event: 'connection', client: `198.51.100.${i % 250}:${i}`, start: c.start, target: null }));
    });
    lines.push(JSON.stringify({ event: 'listen', port: 1080 }));
    const log = tempFile('proxy.log', lines.join('\n'));
    const found: string[] = [];
    for (const tolerance of [undefined, 0.25, 0, 5]) {
      found.push(...compare(`proxy log, tolerance ${tolerance}`, [big], { proxyLog: log, proxyLogTolerance: tolerance }));
    }
    found.push(...compare('proxy log with --wifi/--cellular and --grace 0.5', [big], { ...CLASSES[1], proxyLog: log, graceSeconds: 0.5 }));
    found.push(...compare('proxy log, v0 fixture', [fixtures.client_2!], { proxyLog: log }));
    expect(found).toEqual([]);
    // the join did join: most connections carry an entry
    const native = runSync('native', [big], { proxyLog: log });
    expect(native.engine).toBe('native');
    const summary = JSON.parse(native.files['summary.json']!) as { proxyLog: { entries: number; matched: number } };
    expect(summary.proxyLog.matched).toBeGreaterThan(connections.length / 2);
  });

  it('damaged captures: the fuzz test\'s variants (a third of them --strict)', () => {
    const bases = fuzzBases();
    const found: string[] = [];
    for (let i = 0; i < 200; i++) {
      const { base, bytes, damages, strict } = fuzzVariant(20251204, i, bases);
      const file = tempFile(`v${i}.${base.ext}`, bytes);
      found.push(...compare(`fuzz variant ${i} (${base.name}${strict ? ', --strict' : ''}: ${damages.join('; ')})`, [file], { strict, ...CLASSES[i % 3] }));
    }
    expect(found).toEqual([]);
  }, 120_000);

  it('truncated captures: cut anywhere, in headers, records and at the end', () => {
    let seed = 3;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const found: string[] = [];
    const bases = fuzzBases();
    for (const base of [...bases, { name: 'server_2', ext: 'pcapng', bytes: readFileSync(fixtures.server_2!) }]) {
      const n = base.bytes.length;
      const cuts = [0, 3, 23, 24, 25, 40, 60, 100, n - 1, n - 4, n - 17, ...Array.from({ length: 12 }, () => Math.floor(random() * n))];
      for (const at of cuts) {
        const file = tempFile(`cut${at}.${base.ext}`, base.bytes.subarray(0, at));
        found.push(...compare(`${base.name} cut at ${at}`, [file]));
        if (at % 2 === 0) found.push(...compare(`${base.name} cut at ${at}, --strict`, [file], { strict: true }));
      }
    }
    expect(found).toEqual([]);
  }, 120_000);

  it(`a large capture (6000 connections of every kind): window moves, full batches, output over 1 MiB; analyzeFiles and analyzeInputs`, async () => {
    const found: string[] = [];
    expect(readFileSync(big).length).toBeGreaterThan(4 << 20);
    found.push(...compare('many', [big]));
    found.push(...compare('many, classes 1, grace 0.3 idle 1', [big], { ...CLASSES[1], graceSeconds: 0.3, idleSeconds: 1 }));
    found.push(...(await compareAsync('many (analyzeInputs)', [big], CLASSES[2])));
    // as a trace in two parts, and with a copy that overlaps it
    const { records } = recordsOf(big);
    const half = Math.floor(records.length / 2);
    const a = tempFile('a.pcapng', pcapngFile(records.slice(0, half), { linktype: 101, tsresol: 9 }));
    const b = tempFile('b.pcap', pcapFile(records.slice(half), { linktype: 101, nanoseconds: true, bigEndian: true }));
    found.push(...compare('many in two parts + overlapping copy', [b, a, big], { idleSeconds: 5 }));
    expect(found).toEqual([]);
  }, 120_000);

  it('classic pcap forms the addon reads itself (scanPcap): an FCS in the link-type field, 24-byte record headers, timestamps that run backwards, big endian', () => {
    const { records } = recordsOf(big);
    const some = records.slice(0, 3000);
    const found: string[] = [];
    // 4 bytes of FCS after every frame (P bit, 2 words), which both engines must cut off; IPv4
    // total lengths of 0 (as offloaded frames have) make the frame's length the packet's, FCS or not
    const withFcs = (data: Buffer) => {
      const frame = Buffer.concat([data, Buffer.from([0xde, 0xad, 0xbe, 0xef])]);
      if (frame[0]! >> 4 === 4) frame.writeUInt16BE(0, 2);
      return frame;
    };
    const fcs = pcapFile(
      some.map((r) => ({ ...r, data: withFcs(r.data), wirelen: r.data.length + 4 })),
      { linktype: 101 },
    );
    fcs.writeUInt32LE(0x24000000 | 101, 20);
    found.push(...compare('FCS in the link-type field', [tempFile('fcs.pcap', fcs)]));
    // Kuznetzov's pcap (magic 0xa1b2cd34): 8 more bytes in every record header
    const plain = pcapFile(some, { linktype: 101, bigEndian: true });
    const parts: Buffer[] = [plain.subarray(0, 24)];
    for (let p = 24; p < plain.length; ) {
      const caplen = plain.readUInt32BE(p + 8);
      parts.push(plain.subarray(p, p + 16), Buffer.alloc(8), plain.subarray(p + 16, p + 16 + caplen));
      p += 16 + caplen;
    }
    const kuznetzov = Buffer.concat(parts);
    kuznetzov.writeUInt32BE(0xa1b2cd34, 0);
    found.push(...compare('24-byte record headers, big endian', [tempFile('kuznetzov.pcap', kuznetzov)]));
    // every 7th record moved 2 s back: the earliest and latest times in summary.json
    const shuffled = some.map((r, i) => (i % 7 === 3 ? { ...r, ts: r.ts - 2 } : r));
    found.push(...compare('timestamps that run backwards', [tempFile('back.pcap', pcapFile(shuffled, { linktype: 101, nanoseconds: true }))]));
    expect(found).toEqual([]);
  }, 120_000);

  it('a stream: a FIFO read by analyzeInputs as a writer fills it', async () => {
    const found: string[] = [];
    const run = async (engine: AnalyzerEngine) => {
      const fifo = join(tempDir(), 'capture.fifo');
      await execa('mkfifo', [fifo]);
      // the same name both times: summary.json names the input
      const writer = execa('sh', ['-c', 'cat "$0" > "$1"', big, fifo], { reject: false });
      const outcome = await runAsync(engine, [fifo], CLASSES[1]!);
      // a run that read to the end has its writer gone; one that failed may leave it waiting
      writer.kill();
      await writer;
      const summary = outcome.files['summary.json'];
      if (summary) outcome.files['summary.json'] = summary.split(fifo).join('FIFO');
      return outcome;
    };
    found.push(...differences('many through a FIFO', await run('js'), await run('native')));
    expect(found).toEqual([]);
  }, 120_000);

  it('a record larger than the reader\'s chunk (a 2 MiB segmentation-offload frame, IPv4 total length 0), and a wire length of 2^31 or more', () => {
    const recs: CaptureRecord[] = [];
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:1080');
    c.handshake(T);
    c.send('up', T + 0.01, socks5(443));
    const small = tcpPacket({ src: '198.18.0.1:1080', dst: '198.18.1.2:40000', seq: 500001, ack: 1 + 1000 + 13, flags: 'A', payload: 100 });
    const huge = Buffer.concat([small, Buffer.alloc(2 << 20, 0x62)]);
    huge[2] = 0;
    huge[3] = 0;
    recs.push({ ts: T + 0.02, data: huge });
    c.send('down', T + 0.03, 1400);
    const file = tempFile('huge.pcapng', pcapngFile(recs, { linktype: 101, snaplen: 4 << 20 }));
    const found = compare('a 2 MiB frame', [file]);
    // the same frame cut to 200 bytes, with an original length of 2^31 or more (a damaged block:
    // the field is 32 bits, the addon takes an int), which its IPv4 total length of 0 makes its length
    const wide = recs.map((r) => (r.data === huge ? { ...r, data: r.data.subarray(0, 200), wirelen: 2 ** 31 + 300 } : r));
    found.push(...compare('a wire length of 2^31 + 300', [tempFile('wide.pcapng', pcapngFile(wide, { linktype: 101, snaplen: 4 << 20 }))]));
    expect(found).toEqual([]);
  });

  it.skipIf(!existsSync('/dev/full'))('a failed write (ENOSPC) fails the run with the file named, and leaves no partial file', () => {
    const out = tempDir();
    const full = openSync('/dev/full', 'w');
    class FullDisk extends DirectoryOutput {
      override descriptors() {
        return { ...super.descriptors(), connections: full };
      }
    }
    try {
      expect(() => analyzeFiles([big], new FullDisk(out), { progress: false, engine: 'native' })).toThrow(
        expect.objectContaining({ code: 'ENOSPC', message: 'write connections.jsonl: No space left on device' }),
      );
    } finally {
      closeSync(full);
    }
    expect(readdirSync(out)).toEqual([]);
  });
});

afterAll(() => {
  useAnalyzerAddon(null);
});
