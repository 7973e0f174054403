import { CaptureError } from './errors.js';

/** What the reader hands every record to. */
export interface FrameSink {
  /** the record's timestamp (epoch seconds), set before each frame() call (a field, not an argument, so that it is not boxed per packet) */
  ts: number;
  frame(buf: Buffer, offset: number, caplen: number, wirelen: number, linktype: number): void;
  /**
   * For a sink that keeps frames to handle them later (in batches): handle them now. The reader
   * calls it before the bytes of the frames handed over move or are replaced, and at the end of the
   * input. A sink that handles each frame in frame() has none.
   */
  flush?(): void;
  /**
   * For a sink that reads classic pcap records itself (the native engine, in one call per buffer):
   * does what PcapRecords.scan() of pcap.ts does with the records in buf[p, end), stopping where it
   * stops, and returns that position. params holds the loop's constants and its record count
   * (PCAP_SCAN_*, the count updated), times is the reader's recordTimes(1).
   */
  scanPcap?(buf: Buffer, p: number, end: number, params: Float64Array, times: Float64Array): number;
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
  /** called when the last record is cut off by the end of the input, with its offset */
  onCutOff?: (offset: number) => void;
  /** called after each chunk with the input offset reached */
  onProgress?: (offset: number) => void;
  /** stop after this many records (for probing the first timestamp) */
  maxRecords?: number;
  chunkSize?: number;
}

export interface ReadResult {
  file: string;
  format: 'pcap' | 'pcapng';
  /** bytes read */
  size: number;
  records: number;
  corruptRecords: number;
  /** the last record was cut off by the end of the input */
  cutOff: boolean;
  linkTypes: number[];
  firstTs: number | null;
  lastTs: number | null;
  /** the earliest and latest timestamps (timestamps may run backwards) */
  minTs: number | null;
  maxTs: number | null;
}

/** the largest record we accept (tcpdump's maximum snapshot length is 262144) */
export const MAX_CAPLEN = 262144;
export const MAX_WIRELEN = 16 * 1024 * 1024;

export function newResult(file: string, format: 'pcap' | 'pcapng', linkTypes: number[]): ReadResult {
  return { file, format, size: 0, records: 0, corruptRecords: 0, cutOff: false, linkTypes, firstTs: null, lastTs: null, minTs: null, maxTs: null };
}

/**
 * Timestamps of the records read, [first, last, earliest drop, latest before a drop, ...extra]. In a
 * typed array, not local variables: a double local that also flows into a call after the loop is
 * kept boxed by the optimizing compiler, and every assignment in the loop then allocates (a heap
 * number per record).
 *
 * The earliest and latest timestamps cost one comparison per record, with the previous one: the
 * latest is the last timestamp or one followed by a drop, the earliest the first or one reached by
 * a drop, so only a drop (wentBack) looks further. finished() completes them.
 */
export function recordTimes(extra = 0): Float64Array {
  const times = new Float64Array(4 + extra);
  times[2] = Infinity;
  times[3] = -Infinity;
  return times;
}

/** A record's timestamp `ts` is earlier than the one before it (times[1], still the previous). */
export function wentBack(times: Float64Array, ts: number): void {
  if (ts < times[2]) times[2] = ts;
  if (times[1] > times[3]) times[3] = times[1];
}

/** The corrupt records of one input: counted, reported (each, or the first of a kind), the first one kept. */
export class Damage {
  count = 0;
  first: CorruptRecord | null = null;

  constructor(
    private readonly file: string,
    private readonly onCorrupt: ((info: CorruptRecord) => void) | undefined,
  ) {}

  record(offset: number, reason: string, resumedAt: number | null, report = true): void {
    this.count++;
    const info: CorruptRecord = { file: this.file, offset, reason, resumedAt };
    this.first ??= info;
    if (report) this.onCorrupt?.(info);
  }
}

/**
 * The result at the end of an input. An input in which damage left no record readable is not a
 * readable capture: that is an error, not an empty result.
 */
export function finished(result: ReadResult, records: number, times: Float64Array, damage: Damage, bytesRead: number): ReadResult {
  if (records === 0 && damage.first !== null) {
    const { offset, reason } = damage.first;
    const more = damage.count > 1 ? ` (and ${damage.count - 1} more corrupt records)` : '';
    throw new CaptureError(result.file, offset, `no record could be read: ${reason}${more}`);
  }
  result.records = records;
  result.corruptRecords = damage.count;
  result.size = bytesRead;
  if (records > 0) {
    result.firstTs = times[0];
    result.lastTs = times[1];
    result.minTs = Math.min(times[0], times[2]);
    result.maxTs = Math.max(times[1], times[3]);
  }
  return result;
}

const PROGRESS_EVERY = 16 * 1024 * 1024;

export function progressAt(report: (offset: number) => void, offset: number): number {
  report(offset);
  return offset + PROGRESS_EVERY;
}
