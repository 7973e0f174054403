import { u32be, u32le } from '../bytes.js';
import { CaptureError } from './errors.js';
import { isSupportedLinkType, linkTypeName, SUPPORTED_LINK_TYPES } from './linktypes.js';
import { Damage, finished, MAX_CAPLEN, MAX_WIRELEN, newResult, progressAt, recordTimes, wentBack, type FrameSink, type ReaderOptions, type ReadResult } from './result.js';
import type { Steps, Window } from './window.js';

/**
 * The link-type field of the pcap file header (pcap-savefile(5)): the link type in the low 16
 * bits, an FCS length in 16-bit words in the top 4 bits when the P bit says it is there, and
 * reserved bits that must be zero.
 */
const LINKTYPE_MASK = 0x0000ffff;
const LINKTYPE_RESERVED = 0x0bff0000;
const LINKTYPE_FCS_PRESENT = 0x04000000;

/** A pcap file; the window holds its first 24 bytes (or all of it, when it is shorter). */
export function* readPcap(file: string, win: Window, sink: FrameSink, options: ReaderOptions, le: boolean, tick: number, recordHeader: number): Steps<ReadResult> {
  if (win.end < 24) throw new CaptureError(file, win.end, `pcap file header cut off: ${win.end} of 24 bytes`);
  const u32 = le ? u32le : u32be;
  const snaplen = u32(win.buf, 16);
  const linkField = u32(win.buf, 20);
  const linktype = linkField & LINKTYPE_MASK;
  if ((linkField & LINKTYPE_RESERVED) !== 0 || !isSupportedLinkType(linktype)) {
    const named = linkField & LINKTYPE_RESERVED ? `0x${linkField.toString(16).padStart(8, '0')}` : linkTypeName(linktype);
    throw new CaptureError(file, 20, `link type ${named} is not supported (supported: ${SUPPORTED_LINK_TYPES})`);
  }
  const fcsBytes = linkField & LINKTYPE_FCS_PRESENT ? (linkField >>> 28) * 2 : 0;
  const maxCaplen = Math.max(MAX_CAPLEN, snaplen > MAX_CAPLEN && snaplen <= MAX_WIRELEN ? snaplen : 0);
  const result = newResult(file, 'pcap', [linktype]);
  const damage = new Damage(file, options.onCorrupt);

  const records = new PcapRecords(sink, le, tick, recordHeader, linktype, fcsBytes, maxCaplen, options.maxRecords ?? Infinity);
  const times = records.times;
  /** a record header here is plausible: sound lengths, a fraction of a second, and seconds near the last good record's */
  const plausible = (q: number): boolean => {
    const b = win.buf;
    const sec = u32(b, q);
    if (u32(b, q + 4) >= records.tickMax || !records.plausibleLengths(u32(b, q + 8), u32(b, q + 12))) return false;
    return times[LAST_SEC] < 0 || Math.abs(sec - times[LAST_SEC]) < 7 * 86400;
  };

  let p = 24;
  let nextProgress = 0;
  for (;;) {
    p = records.scan(win.buf, win.view, p, win.end);
    if (records.count >= records.maxRecords) break;
    const need = records.stoppedAt(win.view, p, win.end);
    if (need < 0) {
      const at = win.base + p;
      p = yield* nextRecord(p + 1, false);
      damage.record(at, 'corrupt pcap record header', p < 0 ? null : win.base + p);
      if (p < 0) break;
      continue;
    }
    // the record at p is not whole in the buffer
    p = yield* win.fill(p, need);
    const left = win.end - p;
    if (left < need) {
      if (left === 0) break;
      const at = win.base + p;
      const caplen = left >= recordHeader ? u32(win.buf, p + 8) : -1;
      // a record that runs past the end is the last one, cut off, unless sound records follow it
      // within what is left: then its length is corrupt
      const next = caplen < 0 ? -1 : yield* nextRecord(p + 1, true);
      if (next < 0) {
        result.cutOff = true;
        options.onCutOff?.(at);
        break;
      }
      damage.record(at, `captured length ${caplen} runs past the end of the file, and records follow`, win.base + next);
      p = next;
      continue;
    }
    if (options.onProgress && win.base + p >= nextProgress) nextProgress = progressAt(options.onProgress, win.base + p);
  }
  options.onProgress?.(win.bytesRead);
  return finished(result, records.count, times, damage, win.bytesRead);

  /**
   * The next offset from `from` on where a plausible record starts, followed by another plausible
   * one or by the end of the input; -1 when there is none. With `whole`, the record found must end
   * within the input (at the end, a cut-off record is no proof that reading can resume).
   */
  function* nextRecord(from: number, whole: boolean): Steps<number> {
    let q = from;
    for (;;) {
      if (win.end - q < recordHeader * 2) {
        q = yield* win.fill(q, Math.min(win.buf.length, 2 * MAX_CAPLEN));
        if (win.end - q < recordHeader) return -1;
      }
      if (plausible(q)) {
        const next = q + recordHeader + u32(win.buf, q + 8);
        if (next + recordHeader <= win.end) {
          if (plausible(next)) return q;
        } else if (win.eof) {
          // the last record: whole, or cut off by the end
          if (next <= win.end || !whole) return q;
        } else {
          q = yield* win.fill(q, next - q + recordHeader);
          continue;
        }
      }
      q++;
    }
  }
}

/** index in PcapRecords.times of the last good record's seconds (-1 before the first), for resynchronising */
const LAST_SEC = 4;

/** where FrameSink.scanPcap's params hold the record count (their order: native/analyzer/addon.c, SCAN_*) */
const PCAP_SCAN_COUNT = 0;

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
  /** recordTimes(), and the last record's seconds */
  readonly times = recordTimes(1);
  readonly tickMax: number;
  /** for a sink that scans the records itself (FrameSink.scanPcap), else null */
  private readonly scanParams: Float64Array | null;

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
    this.times[LAST_SEC] = -1;
    this.scanParams = sink.scanPcap ? Float64Array.of(0, maxRecords, le ? 1 : 0, tick, this.tickMax, recordHeader, linktype, fcsBytes, maxCaplen, MAX_WIRELEN) : null;
  }

  plausibleLengths(caplen: number, wirelen: number): boolean {
    return caplen <= this.maxCaplen && wirelen <= MAX_WIRELEN && (caplen <= wirelen || wirelen === 0);
  }

  /** Hands the records from p on to the sink; returns the position of the first one it did not. */
  scan(buf: Buffer, view: DataView, p: number, end: number): number {
    const params = this.scanParams;
    if (params !== null) {
      params[PCAP_SCAN_COUNT] = this.count;
      const at = this.sink.scanPcap!(buf, p, end, params, this.times);
      this.count = params[PCAP_SCAN_COUNT];
      return at;
    }
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
      times[LAST_SEC] = sec;
      if (this.count === 0) times[0] = ts;
      else if (ts < times[1]) wentBack(times, ts);
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
