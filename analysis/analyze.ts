import { UserError } from '../common/errors.js';
import { progress as makeProgress, type Progress } from '../common/progress.js';
import { InterfaceClassifier } from './address.js';
import { CaptureError } from './capture/errors.js';
import { openFile, openInput, type CaptureInput, type OpenOptions } from './capture/input.js';
import { readSteps, type CorruptRecord, type FrameSink } from './capture/reader.js';
import { runAsync, runSync, type Steps } from './capture/window.js';
import { Decoded, Segment, decodeFrame } from './decode.js';
import type { Conn } from './model.js';
import { analyzerAddon, ADDON_BUILD_STEP, NativeAnalyzer } from './native-engine.js';
import { DirectoryOutput, type AnalysisOutput } from './output.js';
import { ProxyLog } from './proxy-log.js';
import { DEFAULTS } from './defaults.js';
import { buildRecords, type ReportContext } from './records.js';
import { SummaryBuilder, type Summary } from './summary.js';
import { Tracker } from './tracker.js';
import { withYoungGenerationCap } from './young-generation.js';

/**
 * `mplab analyze`: captures in, connections/subflows/summary out.
 *
 * Several files: they are ordered by their first timestamp. A file that starts after the
 * previous ones ended continues the same trace (a capture split in parts: connections carry
 * over from one part to the next). A file that starts before the previous ones ended was
 * captured at the same time elsewhere (the other end of the path, another interface): it is a
 * trace of its own, analyzed independently, and its records carry a different `trace` number.
 *
 * Inputs: regular files (analyzeFiles, synchronously; analyzeInputs) and streams: pipes, FIFOs and
 * "-" for standard input (analyzeInputs only), read as data arrives.
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
  /** how long a FIFO input is waited for when no process has it open for writing (analyzeInputs; default 60 s) */
  writerTimeoutSeconds?: number;
  /** tests: see TrackerOptions.freezeEveryPacket */
  freezeEveryPacket?: boolean;
  /** the engine (default: MPLAB_ANALYZER_ENGINE, else chosen as chooseEngine() says) */
  engine?: AnalyzerEngine;
}

/** What the analysis logs through (a pino logger fits). */
export interface AnalyzeLogger {
  /** which engine ran, and why */
  debug?(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** The JavaScript engine (decode.ts, tracker.ts, records.ts) or the native one (native-engine.ts: the same in C, byte-identical output). */
export type AnalyzerEngine = 'js' | 'native';

type EngineChoice = { engine: 'js'; why: string } | { engine: 'native'; why: string; start(summary: SummaryBuilder, proxyLog: ProxyLog | null): Engine };

/**
 * Which engine analyzes into `output` (docs/analyzer.md, Engines). The native engine writes
 * directory output only: it runs when the output is a DirectoryOutput, freezeEveryPacket is not
 * set, and the addon is built; else the JavaScript engine runs. MPLAB_ANALYZER_ENGINE=js (or the `engine` option) keeps to JavaScript; =native makes a
 * missing addon an error instead of a reason to run JavaScript.
 */
export function chooseEngine(output: AnalysisOutput, options: AnalyzeOptions): EngineChoice {
  const env = process.env.MPLAB_ANALYZER_ENGINE;
  if (env !== undefined && env !== '' && env !== 'js' && env !== 'native') throw new UserError(`MPLAB_ANALYZER_ENGINE=${env}: expected js or native`);
  const wanted = options.engine ?? (env || undefined);
  const asked = options.engine ? 'the engine option' : `MPLAB_ANALYZER_ENGINE=${env}`;
  if (wanted === 'js') return { engine: 'js', why: asked };
  if (!(output instanceof DirectoryOutput)) return { engine: 'js', why: 'the output is not a directory' };
  if (options.freezeEveryPacket) return { engine: 'js', why: 'freezeEveryPacket' };
  const loaded = analyzerAddon();
  if ('error' in loaded) {
    if (wanted === 'native') throw new UserError(`${asked}: ${loaded.error}: build it with ${ADDON_BUILD_STEP}`);
    return { engine: 'js', why: loaded.error };
  }
  return {
    engine: 'native',
    why: wanted ? asked : 'directory output',
    start(summary, proxyLog) {
      const fds = output.descriptors();
      const native = new NativeAnalyzer(loaded.addon, {
        graceSeconds: options.graceSeconds ?? DEFAULTS.graceSeconds,
        idleSeconds: options.idleSeconds ?? DEFAULTS.idleSeconds,
        wifi: options.wifi ?? [],
        cellular: options.cellular ?? [],
        connectionsFd: fds.connections,
        subflowsFd: fds.subflows,
        proxyLog,
      });
      let trace = 0;
      return {
        sink: native.sink,
        get trace() {
          return trace;
        },
        nextTrace() {
          native.nextTrace();
          trace++;
        },
        finish() {
          const totals = native.finish();
          summary.addTotals(totals);
          if (proxyLog) proxyLog.matched += totals.proxyLogMatched;
        },
        close() {
          native.close();
        },
      };
    },
  };
}

/** What analysis() drives: an engine's sink for the reader's frames, and its traces. */
interface Engine {
  readonly sink: FrameSink;
  /** the current trace's number */
  readonly trace: number;
  /** Tracker.finishAll(); tracker.trace++ */
  nextTrace(): void;
  /** Tracker.finishAll(), and the totals into the summary */
  finish(): void;
  close(): void;
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

/**
 * Analyzes regular files into `output`, synchronously; when it fails, what was written is
 * discarded (output.abort()). A pipe or FIFO is refused: analyzeInputs() reads those.
 */
export function analyzeFiles(files: readonly string[], output: AnalysisOutput, options: AnalyzeOptions = {}): Summary {
  const inputs: CaptureInput[] = [];
  try {
    for (const file of files) inputs.push(openFile(file));
    return runSync(withYoungGenerationCap(analysis(inputs, output, options)));
  } catch (err) {
    output.abort();
    throw err;
  } finally {
    for (const input of inputs) input.close();
  }
}

/**
 * Analyzes files and streams ("-" is standard input) into `output`, reading as data arrives and
 * letting the event loop turn between chunks (the CLI's way: a signal can stop it cleanly); when it
 * fails, what was written is discarded (output.abort()).
 */
export async function analyzeInputs(files: readonly string[], output: AnalysisOutput, options: AnalyzeOptions = {}): Promise<Summary> {
  const inputs: CaptureInput[] = [];
  const open: OpenOptions = {
    writerTimeoutMs: (options.writerTimeoutSeconds ?? 60) * 1000,
    onWaiting: (name) => options.logger?.info({ file: name }, `${name}: waiting up to ${options.writerTimeoutSeconds ?? 60} s for a process to open the FIFO for writing`),
  };
  try {
    for (const file of files) inputs.push(await openInput(file, open));
    return await runAsync(withYoungGenerationCap(analysis(inputs, output, options)));
  } catch (err) {
    output.abort();
    throw err;
  } finally {
    for (const input of inputs) input.close();
  }
}

function* analysis(inputs: readonly CaptureInput[], output: AnalysisOutput, options: AnalyzeOptions): Steps<Summary> {
  const logger = options.logger;
  const classifier = new InterfaceClassifier(options.wifi ?? [], options.cellular ?? []);
  const proxyLog = options.proxyLog ? ProxyLog.load(options.proxyLog, options.proxyLogTolerance ?? DEFAULTS.proxyLogTolerance) : null;
  const ctx: ReportContext = { classifier, proxyLog };
  const summary = new SummaryBuilder();
  const choice = chooseEngine(output, options);
  logger?.debug?.({ engine: choice.engine, why: choice.why }, `analyzer engine: ${choice.engine} (${choice.why})`);

  // several inputs are ordered by their first timestamp, and each is checked (a capture, a
  // supported link type, a record readable) before any is analyzed
  const nullSink: FrameSink = { ts: 0, frame() {} };
  const probes: { input: CaptureInput; order: number; firstTs: number | null }[] = [];
  for (const [order, input] of inputs.entries()) {
    const firstTs = inputs.length > 1 ? (yield* readSteps(input.probe(), nullSink, { maxRecords: 1, chunkSize: 1 << 16 })).firstTs : null;
    probes.push({ input, order, firstTs });
  }
  probes.sort((a, b) => (a.firstTs ?? Infinity) - (b.firstTs ?? Infinity) || a.order - b.order);
  const sizes = inputs.map((input) => input.size);
  const totalBytes = sizes.includes(null) ? undefined : sizes.reduce((n: number, s) => n + (s ?? 0), 0);

  const engine = choice.engine === 'native' ? choice.start(summary, proxyLog) : jsEngine(output, options, ctx, summary);
  try {
    return yield* analyzeWith(engine, probes, totalBytes, summary, proxyLog, output, options);
  } finally {
    engine.close();
  }
}

function jsEngine(output: AnalysisOutput, options: AnalyzeOptions, ctx: ReportContext, summary: SummaryBuilder): Engine {
  const tracker = new Tracker({
    graceSeconds: options.graceSeconds ?? DEFAULTS.graceSeconds,
    idleSeconds: options.idleSeconds ?? DEFAULTS.idleSeconds,
    freezeEveryPacket: options.freezeEveryPacket,
    onDone(conn: Conn) {
      const { connection, subflows } = buildRecords(conn, ctx);
      output.connection(connection);
      for (const s of subflows) output.subflow(s);
      summary.addConnection(connection);
    },
  });
  const sink = new PacketSink(tracker);
  return {
    sink,
    get trace() {
      return tracker.trace;
    },
    nextTrace() {
      tracker.finishAll();
      tracker.trace++;
    },
    finish() {
      tracker.finishAll();
      Object.assign(summary.packets, { read: sink.read, tcp: sink.tcp, notTcp: sink.notTcp, truncated: sink.truncated, malformed: sink.malformed });
    },
    close() {},
  };
}

function* analyzeWith(
  engine: Engine,
  probes: readonly { input: CaptureInput; firstTs: number | null }[],
  totalBytes: number | undefined,
  summary: SummaryBuilder,
  proxyLog: ProxyLog | null,
  output: AnalysisOutput,
  options: AnalyzeOptions,
): Steps<Summary> {
  const logger = options.logger;
  const sink = engine.sink;

  const showProgress = options.progress ?? (Boolean(process.stderr.isTTY) || (totalBytes ?? 0) > 256 * 1024 * 1024);
  const bar: Progress = makeProgress({ label: 'analyze', total: totalBytes, unit: 'B', enabled: showProgress });
  let doneBytes = 0;
  let corrupt = 0;
  let cutOff = 0;
  const traces: { trace: number; files: string[] }[] = [];
  let traceEnd = -Infinity;

  const onCorrupt = (info: CorruptRecord) => {
    if (options.strict) throw new CaptureError(info.file, info.offset, `${info.reason} (--strict)`);
    const resumed = info.resumedAt === null ? 'nothing readable after it' : `resumed at byte offset ${info.resumedAt}`;
    logger?.warn(info, `${info.file}: byte offset ${info.offset}: ${info.reason}: skipped, ${resumed}`);
  };

  for (const { input, firstTs } of probes) {
    if (traces.length === 0 || (firstTs !== null && firstTs < traceEnd)) {
      if (traces.length > 0) {
        engine.nextTrace();
        logger?.info({ file: input.arg, trace: engine.trace }, 'file overlaps the previous ones in time: analyzed as a separate trace');
      }
      traces.push({ trace: engine.trace, files: [] });
    }
    traces[traces.length - 1].files.push(input.arg);
    const result = yield* readSteps(input.source(), sink, {
      onCorrupt,
      onCutOff: (offset) => logger?.warn({ file: input.name, offset }, `${input.name}: byte offset ${offset}: the last record is cut off by the end of the file (ignored)`),
      onProgress: (offset) => bar.update(doneBytes + offset),
    });
    doneBytes += result.size;
    corrupt += result.corruptRecords;
    if (result.cutOff) cutOff++;
    if (result.maxTs !== null) traceEnd = Math.max(traceEnd, result.maxTs);
    summary.addFile({ ...result, file: input.arg }, engine.trace);
  }
  engine.finish();
  bar.finish(`${summary.packets.read} packets`);

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
