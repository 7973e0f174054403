import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCidr } from './address.js';
import type { FrameSink } from './capture/result.js';
import type { ProxyLog } from './proxy-log.js';
import { proxyJoin } from './records.js';
import type { SummaryTotals } from './summary.js';

/**
 * The native engine of `mplab analyze`: decoding, tracking and the JSON lines of connections.jsonl
 * and subflows.jsonl in C (native/analyzer/, the addon build/Release/mptcp_analyzer.node, built by
 * `npm ci`), byte for byte what the JavaScript engine (decode.ts, tracker.ts, records.ts) writes.
 * The capture reader stays in JavaScript (files, pipes, damage, progress): the records of a classic
 * pcap file go to the addon a buffer at a time (it walks them as PcapRecords.scan does), the frames
 * of a pcapng file in batches (NativeAnalyzer's sink), and the addon writes the records straight
 * into the output's partial files. analyze.ts chooses the engine (docs/analyzer.md, Engines).
 */

declare const handleBrand: unique symbol;
type Handle = { readonly [handleBrand]: true };

/** An address or subnet as the addon takes it: four 32-bit words, IPv4 as ::ffff:a.b.c.d (prefix + 96). */
export interface MpaCidr {
  w: [number, number, number, number];
  prefix: number;
}

interface NativeConfig {
  graceSeconds: number;
  idleSeconds: number;
  wifi: MpaCidr[];
  cellular: MpaCidr[];
  connectionsFd: number;
  subflowsFd: number;
  proxyLog?: NativeProxyLog;
}

/** The proxy log as the addon takes it: every entry's text in one buffer, PROXY_FIELDS numbers each in meta (mpa.h, MPA_PM_*). */
interface NativeProxyLog {
  text: Buffer;
  meta: Float64Array;
  tolerance: number;
}

const PROXY_FIELDS = 9;

/**
 * The entries of a proxy log for the addon's join (ProxyLog.match in C): per entry its start, its
 * client "ip:port", its target and the record's `proxy` field as the JSON that JSON.stringify
 * writes (the addon puts them in the records as they are), and its target's port for the summary.
 */
export function nativeProxyLog(log: ProxyLog): NativeProxyLog {
  const parts: Buffer[] = [];
  const meta = new Float64Array(PROXY_FIELDS * log.list.length);
  let at = 0;
  const add = (text: string): [number, number] => {
    const b = Buffer.from(text, 'utf8');
    parts.push(b);
    at += b.length;
    return [at - b.length, b.length];
  };
  log.list.forEach((e, i) => {
    const m = PROXY_FIELDS * i;
    meta[m] = e.start;
    [meta[m + 1], meta[m + 2]] = add(e.client);
    if (e.target === null) [meta[m + 3], meta[m + 4]] = [0, -1];
    else [meta[m + 3], meta[m + 4]] = add(JSON.stringify(e.target));
    [meta[m + 5], meta[m + 6]] = add(JSON.stringify(proxyJoin(e)));
    meta[m + 7] = e.target === null ? 0 : 1;
    meta[m + 8] = e.target === null ? 0 : e.target.port;
  });
  return { text: Buffer.concat(parts), meta, tolerance: log.tolerance };
}

interface Addon {
  open(config: NativeConfig): Handle;
  /** frame i: buf[meta[4i], +meta[4i+1]) captured, meta[4i+2] on the wire, link type meta[4i+3], timestamp ts[i] */
  frames(handle: Handle, buf: Buffer, meta: Int32Array, ts: Float64Array, count: number): void;
  /** FrameSink.scanPcap: the classic pcap records in buf[from, to) read and analyzed in C */
  scanPcap(handle: Handle, buf: Buffer, from: number, to: number, params: Float64Array, times: Float64Array): number;
  nextTrace(handle: Handle): void;
  finish(handle: Handle): SummaryTotals;
  close(handle: Handle): void;
}

const ADDON_FILE = 'mptcp_analyzer.node';
/** what makes the addon, for the message when it is missing */
export const ADDON_BUILD_STEP = 'npm ci (or npx node-gyp rebuild) in the checkout';

let addonPath: string | undefined;
let loaded: { addon: Addon } | { error: string } | undefined;

/**
 * Uses the addon at `file` instead of the checkout's build/Release one (a program run away from the
 * checkout; tests), or the checkout's again (null).
 */
export function useAnalyzerAddon(file: string | null): void {
  addonPath = file ?? undefined;
  loaded = undefined;
}

/**
 * The checkout's build/Release/mptcp_analyzer.node: looked for upwards from here, as this module runs
 * from analysis/ (the sources) or from a bundle in node_modules/.cache/mplab/ (bin/precompiled.js).
 */
function findAddon(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'build', 'Release', ADDON_FILE);
    if (existsSync(file)) return file;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** The addon, or why it cannot be used (not built, or built for another Node). */
export function analyzerAddon(): { addon: Addon } | { error: string } {
  if (loaded) return loaded;
  const file = addonPath ?? findAddon();
  if (file === null) {
    loaded = { error: `build/Release/${ADDON_FILE} is not built` };
    return loaded;
  }
  try {
    loaded = { addon: createRequire(import.meta.url)(file) as Addon };
  } catch (err) {
    loaded = { error: `${file} cannot be loaded: ${(err as Error).message.split('\n')[0]}` };
  }
  return loaded;
}

/**
 * A --wifi/--cellular CIDR in the addon's form. An IPv4 subnet a.b.c.d/p is ::ffff:a.b.c.d/(96 + p):
 * node's BlockList (which the JavaScript engine matches with) matches IPv4 addresses and
 * IPv4-mapped IPv6 ones against subnets of either family alike. Host bits are cleared.
 */
export function mpaCidr(cidr: string, option: string): MpaCidr {
  const { addr, family, prefix } = parseCidr(cidr, option);
  const w: [number, number, number, number] = family === 4 ? [0, 0, 0xffff, ipv4Word(addr)] : ipv6Words(addr);
  const bits = family === 4 ? 96 + prefix : prefix;
  for (let i = 0; i < 4; i++) {
    const keep = Math.min(32, Math.max(0, bits - 32 * i));
    w[i] = keep === 0 ? 0 : keep === 32 ? w[i] : (w[i] & ~(0xffffffff >>> keep)) >>> 0;
  }
  return { w, prefix: bits };
}

/** A dotted quad (already checked by isIP) as one word. */
function ipv4Word(text: string): number {
  const [a, b, c, d] = text.split('.').map(Number);
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** An IPv6 address (already checked by isIP; a zone after % is ignored, as BlockList does) as four words. */
function ipv6Words(text: string): [number, number, number, number] {
  let s = text.includes('%') ? text.slice(0, text.indexOf('%')) : text;
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) >= 0) {
    // an IPv4 address in the last 32 bits
    const v4 = ipv4Word(s.slice(lastColon + 1));
    tail.push(v4 >>> 16, v4 & 0xffff);
    s = s.slice(0, lastColon + 1);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const gap = s.indexOf('::');
  const head = groups(gap < 0 ? s : s.slice(0, gap));
  const rest = gap < 0 ? [] : groups(s.slice(gap + 2));
  const all = [...head, ...Array<number>(8 - tail.length - head.length - rest.length).fill(0), ...rest, ...tail];
  return [0, 1, 2, 3].map((i) => ((all[2 * i]! << 16) | all[2 * i + 1]!) >>> 0) as [number, number, number, number];
}

/** Frames per call into the addon. */
const BATCH = 8192;

/**
 * The reader's frames in batches: their offsets, lengths and link types in an Int32Array and their
 * timestamps in a Float64Array, handed to the addon when the batch is full, before the reader's
 * window moves its bytes (flush), at the end of each input, and when the reader's buffer is another.
 * A wire length of 2^31 or more (only a damaged pcapng block can have one) is stored as a negative
 * int32: the addon reads the 32 bits back as unsigned.
 */
class BatchSink implements FrameSink {
  ts = 0;
  private buf: Buffer | null = null;
  private readonly meta = new Int32Array(4 * BATCH);
  private readonly times = new Float64Array(BATCH);
  private n = 0;

  constructor(
    private readonly addon: Addon,
    private readonly handle: Handle,
  ) {}

  frame(buf: Buffer, offset: number, caplen: number, wirelen: number, linktype: number): void {
    if (buf !== this.buf) {
      this.flush();
      this.buf = buf;
    }
    const n = this.n;
    const m = this.meta;
    const j = n << 2;
    m[j] = offset;
    m[j + 1] = caplen;
    m[j + 2] = wirelen;
    m[j + 3] = linktype;
    this.times[n] = this.ts;
    this.n = n + 1;
    if (n + 1 === BATCH) this.flush();
  }

  flush(): void {
    const n = this.n;
    if (n === 0) return;
    this.n = 0;
    this.addon.frames(this.handle, this.buf!, this.meta, this.times, n);
  }

  /** a classic pcap file's records go to the addon without a call per record (frames of an earlier input first) */
  scanPcap(buf: Buffer, p: number, end: number, params: Float64Array, times: Float64Array): number {
    this.flush();
    return this.addon.scanPcap(this.handle, buf, p, end, params, times);
  }
}

export interface NativeAnalyzerOptions {
  graceSeconds: number;
  idleSeconds: number;
  wifi: readonly string[];
  cellular: readonly string[];
  /** the descriptors of the partial files (DirectoryOutput.descriptors()) */
  connectionsFd: number;
  subflowsFd: number;
  proxyLog: ProxyLog | null;
}

/** One analysis by the addon: the reader's frames go to `sink`. */
export class NativeAnalyzer {
  readonly sink: FrameSink & { flush(): void };
  private handle: Handle | null;

  constructor(
    private readonly addon: Addon,
    options: NativeAnalyzerOptions,
  ) {
    this.handle = addon.open({
      graceSeconds: options.graceSeconds,
      idleSeconds: options.idleSeconds,
      wifi: options.wifi.map((c) => mpaCidr(c, '--wifi')),
      cellular: options.cellular.map((c) => mpaCidr(c, '--cellular')),
      connectionsFd: options.connectionsFd,
      subflowsFd: options.subflowsFd,
      proxyLog: options.proxyLog ? nativeProxyLog(options.proxyLog) : undefined,
    });
    this.sink = new BatchSink(addon, this.handle);
  }

  private open(): Handle {
    if (this.handle === null) throw new Error('the native analyzer is closed');
    return this.handle;
  }

  /** Tracker.finishAll(), and what follows is a trace of its own (Tracker.trace++). */
  nextTrace(): void {
    this.sink.flush();
    this.addon.nextTrace(this.open());
  }

  /** Tracker.finishAll(): every record is written to the files; the totals of the analysis. */
  finish(): SummaryTotals {
    this.sink.flush();
    return this.addon.finish(this.open());
  }

  /** Frees the analyzer (its memory); the files are the output's to close. */
  close(): void {
    if (this.handle === null) return;
    this.addon.close(this.handle);
    this.handle = null;
  }
}
