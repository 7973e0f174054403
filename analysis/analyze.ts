import { statSync } from 'node:fs';
import { progress as makeProgress, type Progress } from '../common/progress.js';
import { InterfaceClassifier } from './address.js';
import { CaptureError } from './capture/errors.js';
import { readCapture, type CorruptRecord, type FrameSink, type ReadResult } from './capture/reader.js';
import { Decoded, Segment, decodeFrame } from './decode.js';
import type { Conn } from './model.js';
import type { AnalysisOutput } from './output.js';
import { ProxyLog } from './proxy-log.js';
import { DEFAULTS } from './defaults.js';
import { buildRecords, type ReportContext } from './records.js';
import { SummaryBuilder, type Summary } from './summary.js';
import { Tracker } from './tracker.js';

/**
 * `mplab analyze`: captures in, connections/subflows/summary out.
 *
 * Several files: they are ordered by their first timestamp. A file that starts after the
 * previous ones ended continues the same trace (a capture split in parts: connections carry
 * over from one part to the next). A file that starts before the previous ones ended was
 * captured at the same time elsewhere (the other end of the path, another interface): it is a
 * trace of its own, analyzed independently, and its records carry a different `trace` number.
 */
export interface AnalyzeOptions {
  wifi?: string[];
  cellular?: string[];
  proxyLog?: string;
  /** seconds between a connection's first packet and the proxy log's start time that still match */
  proxyLogTolerance?: number;
  /** seconds of trace time after a connection closed before it is written */
  graceSeconds?: number;
  /** seconds of trace time without a packet after which an open connection is written */
  idleSeconds?: number;
  /** a corrupt record is an error instead of being skipped */
  strict?: boolean;
  /** progress on stderr (default: on a terminal, or for inputs over 256 MB) */
  progress?: boolean;
  logger?: AnalyzeLogger;
}

/** What the analysis logs through (a pino logger fits). */
export interface AnalyzeLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

class PacketSink implements FrameSink {
  ts = 0;
  readonly seg = new Segment();
  read = 0;
  tcp = 0;
  notTcp = 0;
  truncated = 0;
  malformed = 0;

  constructor(private readonly tracker: Tracker) {}

  frame(buf: Buffer, offset: number, caplen: number, wirelen: number, linktype: number): void {
    this.read++;
    const seg = this.seg;
    const r = decodeFrame(seg, buf, offset, caplen, wirelen, linktype);
    if (r === Decoded.Tcp) {
      this.tcp++;
      seg.ts = this.ts;
      this.tracker.segment(seg);
    } else if (r === Decoded.NotTcp) this.notTcp++;
    else if (r === Decoded.Truncated) this.truncated++;
    else this.malformed++;
  }
}

/** Analyzes the files into `output`; when it fails, what was written is discarded (output.abort()). */
export function analyzeFiles(files: readonly string[], output: AnalysisOutput, options: AnalyzeOptions = {}): Summary {
  try {
    return analyzeInto(files, output, options);
  } catch (err) {
    output.abort();
    throw err;
  }
}

function analyzeInto(files: readonly string[], output: AnalysisOutput, options: AnalyzeOptions): Summary {
  const logger = options.logger;
  const classifier = new InterfaceClassifier(options.wifi ?? [], options.cellular ?? []);
  const proxyLog = options.proxyLog ? ProxyLog.load(options.proxyLog, options.proxyLogTolerance ?? DEFAULTS.proxyLogTolerance) : null;
  const ctx: ReportContext = { classifier, proxyLog };
  const summary = new SummaryBuilder();

  // every file is checked (readable, a capture, supported link type) before any output
  const nullSink: FrameSink = { ts: 0, frame() {} };
  const probes = files.map((file, order) => {
    const probe = readCapture(file, nullSink, { maxRecords: 1, chunkSize: 1 << 16 });
    return { file, order, firstTs: probe.firstTs, size: statSync(file).size };
  });
  probes.sort((a, b) => (a.firstTs ?? Infinity) - (b.firstTs ?? Infinity) || a.order - b.order);
  const totalBytes = probes.reduce((n, p) => n + p.size, 0);

  const tracker = new Tracker({
    graceSeconds: options.graceSeconds ?? DEFAULTS.graceSeconds,
    idleSeconds: options.idleSeconds ?? DEFAULTS.idleSeconds,
    onDone(conn: Conn) {
      const { connection, subflows } = buildRecords(conn, ctx);
      output.connection(connection);
      for (const s of subflows) output.subflow(s);
      summary.addConnection(connection);
    },
  });
  const sink = new PacketSink(tracker);

  const showProgress = options.progress ?? (Boolean(process.stderr.isTTY) || totalBytes > 256 * 1024 * 1024);
  const bar: Progress = makeProgress({ label: 'analyze', total: totalBytes, unit: 'B', enabled: showProgress });
  let doneBytes = 0;
  let corrupt = 0;
  let cutOff = 0;
  const traces: { trace: number; files: string[] }[] = [];
  let traceEnd = -Infinity;

  for (const probe of probes) {
    if (traces.length === 0 || (probe.firstTs !== null && probe.firstTs < traceEnd)) {
      if (traces.length > 0) {
        tracker.finishAll();
        tracker.trace++;
        logger?.info({ file: probe.file, trace: tracker.trace }, 'file overlaps the previous ones in time: analyzed as a separate trace');
      }
      traces.push({ trace: tracker.trace, files: [] });
    }
    traces[traces.length - 1].files.push(probe.file);
    const onCorrupt = (info: CorruptRecord) => {
      if (options.strict) throw new CaptureError(info.file, info.offset, `${info.reason} (--strict)`);
      logger?.warn(info, `${info.file}: corrupt record at byte offset ${info.offset} skipped${info.resumedAt === null ? ', nothing readable after it' : `, resumed at ${info.resumedAt}`}`);
    };
    const result: ReadResult = readCapture(probe.file, sink, {
      onCorrupt,
      onProgress: (offset) => bar.update(doneBytes + offset),
    });
    doneBytes += probe.size;
    corrupt += result.corruptRecords;
    if (result.cutOff) {
      cutOff++;
      logger?.warn({ file: probe.file }, `${probe.file}: the last record is cut off by the end of the file (ignored)`);
    }
    if (result.lastTs !== null) traceEnd = Math.max(traceEnd, result.lastTs);
    summary.addFile(result, tracker.trace);
  }
  tracker.finishAll();
  Object.assign(summary.packets, { read: sink.read, tcp: sink.tcp, notTcp: sink.notTcp, truncated: sink.truncated, malformed: sink.malformed });
  bar.finish(`${sink.read} packets`);

  const result = summary.build({
    corruptRecords: corrupt,
    cutOffRecords: cutOff,
    traces,
    proxyLog: proxyLog ? { entries: proxyLog.entries, matched: proxyLog.matched } : null,
  });
  output.summary(result);
  output.close();
  return result;
}
