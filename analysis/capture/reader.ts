import { u16be, u16le, u32be, u32le } from '../bytes.js';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CaptureError } from './errors.js';
import { isSupportedLinkType, linkTypeName, SUPPORTED_LINK_TYPES } from './linktypes.js';

/**
 * Streaming reader for pcap and pcapng files. It reads the file in large chunks with plain
 * synchronous reads and hands every record to the sink without copying it: `buf` is only valid
 * during the call. Memory use is one chunk, whatever the file size.
 *
 * Damage is handled the way a long capture needs: a corrupt record is reported (file and byte
 * offset), skipped by searching for the next plausible record, and counted; a last record cut off
 * by the end of the file is counted. What cannot be read at all (not a capture, an unsupported
 * link type, an unreadable file) throws a CaptureError naming the file and the offset.
 */
export interface FrameSink {
  /** the record's timestamp (epoch seconds), set before each frame() call (a field, not an argument, so that it is not boxed per packet) */
  ts: number;
  frame(buf: Buffer, offset: number, caplen: number, wirelen: number, linktype: number): void;
}

export interface CorruptRecord {
  file: string;
  offset: number;
  reason: string;
  /** where reading resumed, or null when nothing readable followed */
  resumedAt: number | null;
}

export interface ReaderOptions {
  /** called for each corrupt record (after it was skipped) */
  onCorrupt?: (info: CorruptRecord) => void;
  /** called after each chunk with the file offset reached */
  onProgress?: (offset: number) => void;
  /** stop after this many records (for probing the first timestamp) */
  maxRecords?: number;
  chunkSize?: number;
}

export interface ReadResult {
  file: string;
  format: 'pcap' | 'pcapng';
  size: number;
  records: number;
  corruptRecords: number;
  /** the last record was cut off by the end of the file */
  cutOff: boolean;
  linkTypes: number[];
  firstTs: number | null;
  lastTs: number | null;
}

/** 1 MB: the kernel's copy stays in the CPU's cache for the parser (8 MB reads cost 6% more time) */
const DEFAULT_CHUNK = 1024 * 1024;
/** the largest record we accept (tcpdump's maximum snapshot length is 262144) */
const MAX_CAPLEN = 262144;
const MAX_WIRELEN = 16 * 1024 * 1024;
const MAX_BLOCK = 64 * 1024 * 1024;

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const PCAP_KUZNETZOV = 0xa1b2cd34;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

/** A window on the file: bytes [base, base + end) of the file are in buf[0, end). */
class Window {
  buf: Buffer;
  /** a DataView on `buf`, for 32-bit reads in either byte order */
  view: DataView;
  base = 0;
  end = 0;
  eof = false;

  constructor(
    readonly fd: number,
    readonly size: number,
    chunk: number,
  ) {
    this.buf = Buffer.allocUnsafe(chunk);
    this.view = viewOf(this.buf);
  }

  /**
   * Makes sure `need` bytes from buffer position `p` are present, moving them to the start of
   * the buffer first. Returns the new position of `p` (0 after a move); check `end - p >= need`.
   */
  fill(p: number, need: number): number {
    if (this.end - p >= need || this.eof) return p;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, p, this.end);
      this.buf = bigger;
      this.view = viewOf(bigger);
    } else if (p > 0) {
      this.buf.copy(this.buf, 0, p, this.end);
    }
    this.base += p;
    this.end -= p;
    while (this.end < this.buf.length) {
      const n = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.base + this.end);
      if (n === 0) {
        this.eof = true;
        break;
      }
      this.end += n;
    }
    return 0;
  }
}

function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function readCapture(file: string, sink: FrameSink, options: ReaderOptions = {}): ReadResult {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new CaptureError(file, null, `cannot open: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new CaptureError(file, null, 'is a directory, not a capture file');
    const win = new Window(fd, stat.size, options.chunkSize ?? DEFAULT_CHUNK);
    try {
      win.fill(0, 24);
    } catch (err) {
      throw new CaptureError(file, 0, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    if (win.end < 4) throw new CaptureError(file, 0, `not a pcap or pcapng capture: only ${win.end} bytes`);
    const magicLE = u32le(win.buf, 0);
    const magicBE = u32be(win.buf, 0);
    if (magicLE === PCAPNG_SHB) return readPcapng(file, win, sink, options);
    for (const [magic, le] of [
      [magicLE, true],
      [magicBE, false],
    ] as const) {
      if (magic === PCAP_US || magic === PCAP_NS || magic === PCAP_KUZNETZOV) {
        return readPcap(file, win, sink, options, le, magic === PCAP_NS ? 1e-9 : 1e-6, magic === PCAP_KUZNETZOV ? 24 : 16);
      }
    }
    throw new CaptureError(file, 0, `not a pcap or pcapng capture: unknown magic number 0x${magicBE.toString(16).padStart(8, '0')}`);
  } finally {
    closeSync(fd);
  }
}

function readPcap(file: string, win: Window, sink: FrameSink, options: ReaderOptions, le: boolean, tick: number, recordHeader: number): ReadResult {
  if (win.end < 24) throw new CaptureError(file, win.end, `pcap file header cut off: ${win.end} of 24 bytes`);
  const u32 = le ? u32le : u32be;
  const snaplen = u32(win.buf, 16);
  // the upper bits of the link-type field may hold an FCS length (pcap-linktype(7))
  const linkField = u32(win.buf, 20);
  const linktype = linkField & 0x0fffffff;
  const fcsBytes = linkField & 0x10000000 ? ((linkField >>> 29) & 7) * 2 : 0;
  if (!isSupportedLinkType(linktype)) {
    throw new CaptureError(file, 20, `link type ${linkTypeName(linktype)} is not supported (supported: ${SUPPORTED_LINK_TYPES})`);
  }
  const maxCaplen = Math.max(MAX_CAPLEN, snaplen > MAX_CAPLEN && snaplen <= MAX_WIRELEN ? snaplen : 0);
  const result = newResult(file, 'pcap', win.size, [linktype]);

  const records = new PcapRecords(sink, le, tick, recordHeader, linktype, fcsBytes, maxCaplen, options.maxRecords ?? Infinity);
  // the last good record's seconds, for resynchronising
  const lastSec = records.times.subarray(2);
  const plausible = (q: number): boolean => {
    const b = win.buf;
    const sec = u32(b, q);
    if (u32(b, q + 4) >= records.tickMax || !records.plausibleLengths(u32(b, q + 8), u32(b, q + 12))) return false;
    return lastSec[0] < 0 || Math.abs(sec - lastSec[0]) < 7 * 86400;
  };

  let p = 24;
  let nextProgress = 0;
  for (;;) {
    p = records.scan(win.buf, win.view, p, win.end);
    if (records.count >= records.maxRecords) break;
    const need = records.stoppedAt(win.view, p, win.end);
    if (need < 0) {
      p = resync(p);
      if (p < 0) break;
      continue;
    }
    // the record at p is not whole in the buffer
    p = win.fill(p, need);
    if (win.end - p < need) {
      // a header cut short counts only when some of it is there; a record cut short always
      if (need > recordHeader || win.end - p > 0) result.cutOff = true;
      break;
    }
    if (options.onProgress && win.base + p >= nextProgress) nextProgress = progressAt(options.onProgress, win.base + p);
  }
  options.onProgress?.(win.base + p);
  return finished(result, records.count, records.times);

  /** Skips a corrupt record: the next offset where this record header and the next are plausible. */
  function resync(at: number): number {
    const badOffset = win.base + at;
    result.corruptRecords++;
    let q = at + 1;
    for (;;) {
      if (win.end - q < recordHeader * 2) {
        q = win.fill(q, Math.min(win.buf.length, 2 * MAX_CAPLEN));
        if (win.end - q < recordHeader) {
          options.onCorrupt?.({ file, offset: badOffset, reason: 'corrupt pcap record header', resumedAt: null });
          return -1;
        }
      }
      if (plausible(q)) {
        const next = q + recordHeader + u32(win.buf, q + 8);
        if (next === win.end && win.eof) break;
        if (next + recordHeader <= win.end) {
          if (plausible(next)) break;
        } else if (win.eof) {
          // the candidate is the (cut-off) last record
          break;
        } else {
          q = win.fill(q, next - q + recordHeader);
          continue;
        }
      }
      q++;
    }
    options.onCorrupt?.({ file, offset: badOffset, reason: 'corrupt pcap record header', resumedAt: win.base + q });
    return q;
  }
}

/**
 * The inner loop of reading a pcap file: hands every whole record in the buffer to the sink and
 * stops at the first one that is not whole or not plausible. It is a loop of its own, apart from
 * the refilling, progress and resynchronising around it, so that the optimizing compiler compiles
 * it once. Code first reached after a loop was optimized throws the optimized code back to the
 * interpreter (it has no type feedback yet), and the loop then runs slowly until it is compiled
 * again: so every way out of this loop is a bare `break` (the state it leaves is written inside
 * the loop), and why it stopped is worked out afterwards by stoppedAt().
 */
class PcapRecords {
  count = 0;
  /** [first timestamp, last timestamp, last record's seconds (-1 before the first)]: see recordTimes() */
  readonly times = new Float64Array([0, 0, -1]);
  readonly tickMax: number;

  constructor(
    private readonly sink: FrameSink,
    private readonly le: boolean,
    private readonly tick: number,
    private readonly recordHeader: number,
    private readonly linktype: number,
    private readonly fcsBytes: number,
    private readonly maxCaplen: number,
    readonly maxRecords: number,
  ) {
    this.tickMax = tick === 1e-9 ? 1e9 : 1e6;
  }

  plausibleLengths(caplen: number, wirelen: number): boolean {
    return caplen <= this.maxCaplen && wirelen <= MAX_WIRELEN && (caplen <= wirelen || wirelen === 0);
  }

  /** Hands the records from p on to the sink; returns the position of the first one it did not. */
  scan(buf: Buffer, view: DataView, p: number, end: number): number {
    const { sink, le, tick, recordHeader, linktype, fcsBytes, tickMax, maxRecords, times } = this;
    while (this.count < maxRecords && end - p >= recordHeader) {
      const caplen = view.getUint32(p + 8, le);
      const wirelen = view.getUint32(p + 12, le);
      if (!this.plausibleLengths(caplen, wirelen)) break;
      const size = recordHeader + caplen;
      if (end - p < size) break;
      const sec = view.getUint32(p, le);
      const frac = view.getUint32(p + 4, le);
      if (frac >= tickMax) break;
      const ts = sec + frac * tick;
      times[2] = sec;
      if (this.count === 0) times[0] = ts;
      times[1] = ts;
      this.count++;
      const cap = fcsBytes && caplen === wirelen && caplen >= fcsBytes ? caplen - fcsBytes : caplen;
      sink.ts = ts;
      sink.frame(buf, p + recordHeader, cap, wirelen, linktype);
      p += size;
    }
    return p;
  }

  /**
   * Why scan() stopped at p (below maxRecords): the number of bytes the record there needs when it
   * is not whole in buf[p, end), or -1 when its header is implausible.
   */
  stoppedAt(view: DataView, p: number, end: number): number {
    const { le, recordHeader } = this;
    if (end - p < recordHeader) return recordHeader;
    if (!this.plausibleLengths(view.getUint32(p + 8, le), view.getUint32(p + 12, le))) return -1;
    const size = recordHeader + view.getUint32(p + 8, le);
    if (end - p < size) return size;
    return -1; // whole, so its fraction of a second was out of range
  }
}

interface Interface {
  linktype: number;
  /** seconds per timestamp unit */
  tick: number;
  /** units per 2^32 units, in seconds: high word multiplier */
  hiTick: number;
  offset: number;
  snaplen: number;
}

function readPcapng(file: string, win: Window, sink: FrameSink, options: ReaderOptions): ReadResult {
  const result = newResult(file, 'pcapng', win.size, []);
  const packets = new EnhancedPackets(sink, options.maxRecords ?? Infinity);
  let le = true;
  let ifaces: Interface[] = [];
  let p = 0;
  let nextProgress = 0;
  let sawSection = false;

  const u32 = (o: number) => (le ? u32le(win.buf, o) : u32be(win.buf, o));
  const u16 = (o: number) => (le ? u16le(win.buf, o) : u16be(win.buf, o));

  for (;;) {
    // runs of enhanced packet blocks, then one block of any kind here
    if (sawSection) p = packets.scan(win.buf, win.view, p, win.end, le, ifaces);
    if (packets.count >= packets.maxRecords) break;
    if (win.end - p < 12) {
      p = win.fill(p, 12);
      if (win.end - p < 12) {
        if (win.end - p > 0) result.cutOff = true;
        break;
      }
    }
    const at = win.base + p;
    const type = u32le(win.buf, p);
    if (type === PCAPNG_SHB) {
      const bom = u32le(win.buf, p + 8);
      if (bom === PCAPNG_BOM) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else if (!sawSection) throw new CaptureError(file, at + 8, `pcapng section header: unknown byte-order magic 0x${bom.toString(16)}`);
      else {
        p = resync(p, 'bad section header byte-order magic');
        if (p < 0) break;
        continue;
      }
      sawSection = true;
      ifaces = [];
    }
    const blockType = u32(p);
    const len = u32(p + 4);
    if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK) {
      if (!sawSection) throw new CaptureError(file, at, 'not a pcapng capture: bad first block');
      p = resync(p, `block length ${len}`);
      if (p < 0) break;
      continue;
    }
    if (win.end - p < len) {
      p = win.fill(p, len);
      if (win.end - p < len) {
        result.cutOff = true;
        break;
      }
    }
    if (u32(p + len - 4) !== len) {
      if (!sawSection) throw new CaptureError(file, at, 'not a pcapng capture: block lengths disagree');
      p = resync(p, 'block trailing length differs from its length');
      if (p < 0) break;
      continue;
    }
    const buf = win.buf;
    if (blockType === 6 || blockType === 2) {
      // enhanced packet block, or the obsolete packet block (16-bit interface id)
      const ifid = blockType === 6 ? u32(p + 8) : u16(p + 8);
      const iface = ifaces[ifid];
      const caplen = u32(p + 20);
      const wirelen = u32(p + 24);
      if (iface === undefined || caplen > len - 28) {
        p = resync(p, iface === undefined ? `packet on undeclared interface ${ifid}` : `captured length ${caplen} exceeds its block`);
        if (p < 0) break;
        continue;
      }
      packets.deliver(buf, p, iface, u32(p + 12), u32(p + 16), caplen, wirelen);
    } else if (blockType === 3) {
      // simple packet block: no timestamp, first interface
      const iface = ifaces[0];
      if (iface === undefined) {
        p = resync(p, 'simple packet block before any interface');
        if (p < 0) break;
        continue;
      }
      const wirelen = u32(p + 8);
      const caplen = Math.min(wirelen, len - 16, iface.snaplen || Infinity);
      const times = packets.times;
      if (packets.count === 0) times[0] = times[1] = 0;
      packets.count++;
      sink.ts = times[1];
      sink.frame(buf, p + 12, caplen, wirelen, iface.linktype);
    } else if (blockType === 1) {
      const linktype = u16(p + 8);
      if (!isSupportedLinkType(linktype)) {
        throw new CaptureError(file, at + 8, `link type ${linkTypeName(linktype)} of interface ${ifaces.length} is not supported (supported: ${SUPPORTED_LINK_TYPES})`);
      }
      ifaces.push(parseInterface(p, len, linktype));
      if (!result.linkTypes.includes(linktype)) result.linkTypes.push(linktype);
    }
    p += len;
    if (options.onProgress && win.base + p >= nextProgress) nextProgress = progressAt(options.onProgress, win.base + p);
  }
  options.onProgress?.(win.base + p);
  return finished(result, packets.count, packets.times);

  function parseInterface(q: number, len: number, linktype: number): Interface {
    const iface: Interface = { linktype, tick: 1e-6, hiTick: 4294967296e-6, offset: 0, snaplen: u32(q + 12) };
    let o = q + 16;
    const end = q + len - 4;
    while (o + 4 <= end) {
      const code = u16(o);
      const olen = u16(o + 2);
      if (code === 0) break;
      if (code === 9 && olen >= 1) {
        const v = win.buf[o + 4];
        // if_tsresol: a power of 10, or of 2 when the top bit is set
        iface.tick = v & 0x80 ? 2 ** -(v & 0x7f) : 10 ** -v;
        iface.hiTick = 4294967296 * iface.tick;
      } else if (code === 14 && olen >= 8) {
        // a 64-bit integer in the section's byte order
        iface.offset = le ? u32(o + 8) * 4294967296 + u32(o + 4) : u32(o + 4) * 4294967296 + u32(o + 8);
      }
      o += 4 + ((olen + 3) & ~3);
    }
    return iface;
  }

  /** Skips a corrupt block: the next offset holding an enhanced packet block whose lengths agree. */
  function resync(at: number, reason: string): number {
    const badOffset = win.base + at;
    result.corruptRecords++;
    let q = at + 4;
    for (;;) {
      if (win.end - q < 32) {
        q = win.fill(q, Math.min(win.buf.length, 2 * MAX_CAPLEN));
        if (win.end - q < 12) {
          options.onCorrupt?.({ file, offset: badOffset, reason, resumedAt: null });
          return -1;
        }
      }
      const type = u32(q);
      if (type === 6 || type === PCAPNG_SHB) {
        const len = u32(q + 4);
        if (len >= 32 && len % 4 === 0 && len <= MAX_CAPLEN + 64) {
          if (win.end - q < len) {
            q = win.fill(q, len);
            if (win.end - q < len) {
              q += 4;
              continue;
            }
          }
          if (u32(q + len - 4) === len && (type === PCAPNG_SHB || (ifaces[u32(q + 8)] !== undefined && u32(q + 20) <= len - 28))) break;
        }
      }
      q += 4;
    }
    options.onCorrupt?.({ file, offset: badOffset, reason, resumedAt: win.base + q });
    return q;
  }
}

/**
 * The inner loop of reading a pcapng file: hands every enhanced packet block that is whole and
 * sound to the sink, and stops (a bare break, as in PcapRecords) at the first block of another
 * kind, cut by the end of the buffer or in any way unusual; readPcapng() deals with that one.
 */
class EnhancedPackets {
  count = 0;
  /** [first timestamp, last timestamp]: see recordTimes() */
  readonly times = recordTimes();

  constructor(
    private readonly sink: FrameSink,
    readonly maxRecords: number,
  ) {}

  scan(buf: Buffer, view: DataView, p: number, end: number, le: boolean, ifaces: Interface[]): number {
    while (this.count < this.maxRecords && end - p >= 32) {
      if (view.getUint32(p, le) !== 6) break;
      const len = view.getUint32(p + 4, le);
      if (len < 32 || len % 4 !== 0 || len > MAX_BLOCK || end - p < len || view.getUint32(p + len - 4, le) !== len) break;
      const iface = ifaces[view.getUint32(p + 8, le)];
      const caplen = view.getUint32(p + 20, le);
      if (iface === undefined || caplen > len - 28) break;
      this.deliver(buf, p, iface, view.getUint32(p + 12, le), view.getUint32(p + 16, le), caplen, view.getUint32(p + 24, le));
      p += len;
    }
    return p;
  }

  /** The packet of the (enhanced) packet block at p, with its timestamp's high and low words. */
  deliver(buf: Buffer, p: number, iface: Interface, hi: number, lo: number, caplen: number, wirelen: number): void {
    const ts = iface.offset + hi * iface.hiTick + lo * iface.tick;
    const times = this.times;
    if (this.count === 0) times[0] = ts;
    times[1] = ts;
    this.count++;
    this.sink.ts = ts;
    this.sink.frame(buf, p + 28, caplen, wirelen, iface.linktype);
  }
}

const PROGRESS_EVERY = 16 * 1024 * 1024;

function progressAt(report: (offset: number) => void, offset: number): number {
  report(offset);
  return offset + PROGRESS_EVERY;
}

/**
 * The first and last record's timestamps, [first, last]. In a typed array, not local variables: a
 * double local that also flows into a call after the loop is kept boxed by the optimizing
 * compiler, and every assignment in the loop then allocates (a heap number per record).
 */
function recordTimes(): Float64Array {
  return new Float64Array(2);
}

function finished(result: ReadResult, records: number, times: Float64Array): ReadResult {
  result.records = records;
  if (records > 0) {
    result.firstTs = times[0];
    result.lastTs = times[1];
  }
  return result;
}

function newResult(file: string, format: 'pcap' | 'pcapng', size: number, linkTypes: number[]): ReadResult {
  return { file, format, size, records: 0, corruptRecords: 0, cutOff: false, linkTypes, firstTs: null, lastTs: null };
}
