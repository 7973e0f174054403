import { u16be, u16le, u32be, u32le } from '../bytes.js';
import { CaptureError } from './errors.js';
import { isSupportedLinkType, linkTypeName, SUPPORTED_LINK_TYPES } from './linktypes.js';
import { Damage, finished, MAX_WIRELEN, newResult, progressAt, recordTimes, wentBack, type FrameSink, type ReaderOptions, type ReadResult } from './result.js';
import type { Steps, Window } from './window.js';

export const PCAPNG_SHB = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;
const BOM_SWAPPED = 0x4d3c2b1a;
const IDB = 1;
const PB = 2;
const SPB = 3;
const NRB = 4;
const ISB = 5;
const EPB = 6;
/** the longest block other than a packet block we accept */
const MAX_BLOCK = 16 * 1024 * 1024;
/** room for the options of a packet block (flags, hashes, comments) after its data */
const MAX_PACKET_OPTIONS = 64 * 1024;
/** how far ahead the search for the next sound block reads at a time */
const SEARCH_AHEAD = 512 * 1024;

/** The shortest sound block of each type: its fixed fields and both length fields. */
function minLength(type: number): number {
  if (type === PCAPNG_SHB) return 28;
  if (type === EPB || type === PB) return 32;
  if (type === IDB) return 20;
  if (type === SPB) return 16;
  return 12;
}

function blockName(type: number): string {
  if (type === PCAPNG_SHB) return 'section header block';
  if (type === IDB) return 'interface description block';
  if (type === EPB) return 'enhanced packet block';
  if (type === PB) return 'packet block';
  if (type === SPB) return 'simple packet block';
  return `block of type ${type}`;
}

const pad4 = (n: number) => (n + 3) & ~3;

interface Interface {
  linktype: number;
  /** seconds per timestamp unit */
  tick: number;
  /** units per 2^32 units, in seconds: high word multiplier */
  hiTick: number;
  offset: number;
  snaplen: number;
}

/**
 * A pcapng file; the window holds its first bytes, which start with a section header's block type.
 *
 * A block is sound when its length suits its type (for a packet block: its captured length plus
 * room for options), both its length fields agree and it is whole. Anything else is a corrupt
 * block: counted, reported, and skipped by searching for the next sound block (section header,
 * interface description, packet, name resolution or statistics block). A block that runs past the
 * end of the file is the last one cut off, unless sound blocks follow it within the file: then its
 * length is corrupt. Interfaces are numbered in their order in the section, so a damaged interface
 * description keeps its number: the packets of an interface that no sound block describes cannot be
 * decoded and are counted as corrupt, the first of them reported.
 */
export function* readPcapng(file: string, win: Window, sink: FrameSink, options: ReaderOptions): Steps<ReadResult> {
  const result = newResult(file, 'pcapng', []);
  const damage = new Damage(file, options.onCorrupt);
  const packets = new EnhancedPackets(sink, options.maxRecords ?? Infinity);
  let le = true;
  let ifaces: (Interface | undefined)[] = [];
  /** interfaces of the section whose skipped packets were reported */
  let reported = new Set<number>();
  let p = 0;
  let nextProgress = 0;

  const u32 = (o: number) => (le ? u32le(win.buf, o) : u32be(win.buf, o));
  const u16 = (o: number) => (le ? u16le(win.buf, o) : u16be(win.buf, o));

  for (;;) {
    // runs of enhanced packet blocks, then one block of any kind here
    p = packets.scan(win.buf, win.view, p, win.end, le, ifaces);
    if (packets.count >= packets.maxRecords) break;
    // 28 bytes: a packet block's fixed fields up to its captured length
    p = yield* win.fill(p, 28);
    const at = win.base + p;
    const left = win.end - p;
    if (left < 12) {
      if (at === 0) throw new CaptureError(file, left, `pcapng section header cut off: ${left} of at least 28 bytes`);
      if (left > 0) cutOff(at);
      break;
    }
    if (u32le(win.buf, p) === PCAPNG_SHB) {
      // a new section, whatever the state of the rest of its header: it has its own byte order and interfaces
      const bom = u32le(win.buf, p + 8);
      if (bom !== BOM && bom !== BOM_SWAPPED) {
        if (at === 0) throw new CaptureError(file, 8, `pcapng section header: unknown byte-order magic 0x${bom.toString(16).padStart(8, '0')}`);
        p = yield* skipCorrupt(p, `section header with an unknown byte-order magic 0x${bom.toString(16).padStart(8, '0')}`);
        if (p < 0) break;
        continue;
      }
      le = bom === BOM;
      ifaces = [];
      reported = new Set();
    }
    const type = u32(p);
    const len = u32(p + 4);
    const bad = lengthProblem(p, type, len, left);
    if (bad !== null) {
      p = yield* skipCorrupt(p, bad);
      if (p < 0) break;
      continue;
    }
    p = yield* win.fill(p, len);
    if (win.end - p < len) {
      const have = win.end - p;
      const next = yield* nextBlock(p + 4);
      if (next < 0) {
        if (at === 0) throw new CaptureError(file, win.bytesRead, `pcapng section header cut off: ${have} of ${len} bytes`);
        cutOff(at);
        break;
      }
      damage.record(at, `${blockName(type)} length ${len} runs past the end of the file, and sound blocks follow`, win.base + next);
      if (type === IDB) ifaces.push(undefined);
      p = next;
      continue;
    }
    const trailer = u32(p + len - 4);
    if (trailer !== len) {
      p = yield* skipCorrupt(p, `${blockName(type)} lengths disagree: ${len} at its start, ${trailer} at its end`);
      if (p < 0) break;
      continue;
    }
    const buf = win.buf;
    if (type === EPB || type === PB) {
      // enhanced packet block, or the obsolete packet block (16-bit interface id)
      const ifid = type === EPB ? u32(p + 8) : u16(p + 8);
      const iface = ifaces[ifid];
      if (iface === undefined) undeclared(at, ifid, at + len);
      else packets.deliver(buf, p, iface, u32(p + 12), u32(p + 16), u32(p + 20), u32(p + 24));
    } else if (type === SPB) {
      // simple packet block: no timestamp (the last one stands), first interface
      const iface = ifaces[0];
      if (iface === undefined) undeclared(at, 0, at + len);
      else {
        const wirelen = u32(p + 8);
        packets.simple(buf, p, iface, wirelen, Math.min(wirelen, len - 16, iface.snaplen || Infinity));
      }
    } else if (type === IDB) {
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
  options.onProgress?.(win.bytesRead);
  return finished(result, packets.count, packets.times, damage, win.bytesRead);

  function cutOff(at: number): void {
    result.cutOff = true;
    options.onCutOff?.(at);
  }

  /**
   * What is wrong with the length of the block at q (type and length read, `have` bytes of it in
   * the buffer, at least 28 of them unless the input ends sooner), or null.
   */
  function lengthProblem(q: number, type: number, len: number, have: number): string | null {
    if (len % 4 !== 0) return `${blockName(type)} length ${len} is not a multiple of 4`;
    if (len < minLength(type)) return `${blockName(type)} length ${len} is below its ${minLength(type)} bytes of fixed fields`;
    if (type === EPB || type === PB) {
      if (have < 28) return null; // the end of the input: a cut-off block
      const caplen = u32(q + 20);
      if (caplen > MAX_WIRELEN || 32 + pad4(caplen) > len) return `captured length ${caplen} does not fit in its ${blockName(type)} of ${len} bytes`;
      if (len > 32 + pad4(caplen) + MAX_PACKET_OPTIONS) return `${blockName(type)} length ${len} is far more than its ${caplen} captured bytes need`;
    } else if (len > MAX_BLOCK) return `${blockName(type)} length ${len} is over ${MAX_BLOCK / 1024 / 1024} MB`;
    return null;
  }

  /** Counts and reports the corrupt block at q, and returns where reading resumes (-1: nowhere). */
  function* skipCorrupt(q: number, reason: string): Steps<number> {
    const at = win.base + q;
    // a damaged interface description keeps its number: the later ones keep theirs
    if (u32(q) === IDB) ifaces.push(undefined);
    const next = yield* nextBlock(q + 4);
    damage.record(at, reason, next < 0 ? null : win.base + next);
    return next;
  }

  /** A sound packet block on an interface that no sound block of the section describes. */
  function undeclared(at: number, ifid: number, next: number): void {
    const first = !reported.has(ifid);
    reported.add(ifid);
    damage.record(at, `packet on interface ${ifid}, which no sound interface description block declares (it is missing or damaged): its packets in this section are skipped`, next, first);
  }

  /**
   * The next offset from `from` on (in steps of 4: blocks are 4-byte aligned) where a sound block of
   * a known type starts, whole within the input; -1 when there is none.
   */
  function* nextBlock(from: number): Steps<number> {
    let q = from;
    for (;;) {
      if (win.end - q < 32) {
        q = yield* win.fill(q, Math.min(win.buf.length, SEARCH_AHEAD));
        if (win.end - q < 12) return -1;
      }
      const len = candidateLength(q);
      if (len > 0) {
        if (win.end - q < len) q = yield* win.fill(q, len);
        if (win.end - q >= len && blockTrailer(q, len) === len) return q;
      }
      q += 4;
    }
  }

  /** The length of the block at q when it is of a known type and its header is sound, else 0. */
  function candidateLength(q: number): number {
    const raw = u32le(win.buf, q);
    let type: number;
    let len: number;
    if (raw === PCAPNG_SHB) {
      const bom = u32le(win.buf, q + 8);
      if (bom !== BOM && bom !== BOM_SWAPPED) return 0;
      type = PCAPNG_SHB;
      len = bom === BOM ? u32le(win.buf, q + 4) : u32be(win.buf, q + 4);
    } else {
      type = u32(q);
      if (type !== IDB && type !== EPB && type !== PB && type !== SPB && type !== NRB && type !== ISB) return 0;
      len = u32(q + 4);
    }
    return lengthProblem(q, type, len, win.end - q) === null ? len : 0;
  }

  /** a block's trailing length, in the byte order of its own section header when it is one */
  function blockTrailer(q: number, len: number): number {
    if (u32le(win.buf, q) === PCAPNG_SHB) return u32le(win.buf, q + 8) === BOM ? u32le(win.buf, q + len - 4) : u32be(win.buf, q + len - 4);
    return u32(q + len - 4);
  }

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
      o += 4 + pad4(olen);
    }
    return iface;
  }
}

/**
 * The inner loop of reading a pcapng file: hands every enhanced packet block that is whole and
 * sound to the sink, and stops (a bare break, as in PcapRecords) at the first block of another
 * kind, cut by the end of the buffer or in any way unusual; readPcapng() deals with that one.
 */
class EnhancedPackets {
  count = 0;
  readonly times = recordTimes();

  constructor(
    private readonly sink: FrameSink,
    readonly maxRecords: number,
  ) {}

  scan(buf: Buffer, view: DataView, p: number, end: number, le: boolean, ifaces: (Interface | undefined)[]): number {
    while (this.count < this.maxRecords && end - p >= 32) {
      if (view.getUint32(p, le) !== EPB) break;
      const len = view.getUint32(p + 4, le);
      if (len % 4 !== 0 || end - p < len || len < 32 || view.getUint32(p + len - 4, le) !== len) break;
      const iface = ifaces[view.getUint32(p + 8, le)];
      const caplen = view.getUint32(p + 20, le);
      if (iface === undefined || 32 + caplen > len || len - caplen > 32 + 3 + MAX_PACKET_OPTIONS) break;
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
    else if (ts < times[1]) wentBack(times, ts);
    times[1] = ts;
    this.count++;
    this.sink.ts = ts;
    this.sink.frame(buf, p + 28, caplen, wirelen, iface.linktype);
  }

  /** The packet of a simple packet block: the last timestamp stands (0 before any). */
  simple(buf: Buffer, p: number, iface: Interface, wirelen: number, caplen: number): void {
    const times = this.times;
    if (this.count === 0) times[0] = times[1] = 0;
    this.count++;
    this.sink.ts = times[1];
    this.sink.frame(buf, p + 12, caplen, wirelen, iface.linktype);
  }
}
