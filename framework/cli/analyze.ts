import { setFlagsFromString } from 'node:v8';
import { InvalidArgumentError, type Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { debugLogging, log, type Logger } from '../../common/log.js';
// the analyzer itself is loaded only when the command runs
import { ANALYZE_V8_FLAGS, DEFAULTS } from '../../analysis/defaults.js';

interface AnalyzeCliOptions {
  out: string;
  wifi?: string;
  cellular?: string;
  proxyLog?: string;
  proxyLogTolerance: number;
  grace: number;
  idleTimeout: number;
  strict?: boolean;
  progress?: boolean;
  json?: boolean;
  writerTimeout: number;
}

/** the signals that end a run early: each removes the partial output first */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs `work`; a stop signal meanwhile calls `discard` and then ends the process by that signal (its
 * default action, so that the parent sees how it ended). The analysis reads between turns of the
 * event loop, so the handler runs within one chunk's time.
 */
async function discardOnStopSignals<T>(discard: () => void, work: () => Promise<T>): Promise<T> {
  const onSignal = (signal: NodeJS.Signals) => {
    discard();
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    process.kill(process.pid, signal);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  try {
    return await work();
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds >= 0');
  return n;
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('turn pcap/pcapng traces into MPTCP connections, subflows and metrics')
    .argument('<pcap...>', 'capture files (pcap or pcapng), pipes or FIFOs, "-" for stdin; parts of one capture continue each other, overlapping files are separate traces')
    .requiredOption('-o, --out <dir>', 'output directory: connections.jsonl, subflows.jsonl, summary.json')
    .option('--wifi <cidr,...>', 'phone-side addresses of WiFi subflows')
    .option('--cellular <cidr,...>', 'phone-side addresses of cellular subflows')
    .option('--proxy-log <file>', 'the proxy connection log (JSON lines) to join on client ip:port and start time')
    .option('--proxy-log-tolerance <seconds>', 'largest gap between a connection\'s first packet and its log entry\'s start', seconds, DEFAULTS.proxyLogTolerance)
    .option('--grace <seconds>', 'trace time a closed connection waits for late packets before it is written', seconds, DEFAULTS.graceSeconds)
    .option('--idle-timeout <seconds>', 'trace time without packets after which an open connection is written', seconds, DEFAULTS.idleSeconds)
    .option('--strict', 'stop at the first corrupt record instead of skipping it')
    .option('--no-progress', 'no progress line on stderr')
    .option('--writer-timeout <seconds>', 'how long a FIFO input without a writer is waited for', seconds, 60)
    .option('--json', 'print summary.json on stdout instead of a one-line summary')
    .addHelpText(
      'after',
      '\nExamples:\n  mplab analyze proxy.pcap --out out/ --wifi 198.18.1.0/24 --cellular 198.18.2.0/24\n  mplab analyze part1.pcap part2.pcap --out out/ --proxy-log proxy.log\n  tcpdump -i any -U -w - tcp | mplab analyze - --out out/\n\nSee docs/analyzer.md for every output field.',
    )
    .action(async (files: string[], opts: AnalyzeCliOptions) => {
      if (files.filter((f) => f === '-').length > 1) throw new UserError('"-" (stdin) may be given once', 2);
      const [{ analyzeInputs }, { DirectoryOutput }, { parseCidrList }] = await Promise.all([
        import('../../analysis/analyze.js'),
        import('../../analysis/output.js'),
        import('../../analysis/address.js'),
      ]);
      // created on the first message: a sound capture logs nothing, and pino costs 20 ms to load
      let real: Logger | undefined;
      const logger = {
        debug: (obj: object, msg: string) => {
          if (debugLogging()) (real ??= log('analyze')).debug(obj, msg);
        },
        info: (obj: object, msg: string) => (real ??= log('analyze')).info(obj, msg),
        warn: (obj: object, msg: string) => (real ??= log('analyze')).warn(obj, msg),
      };
      for (const flag of ANALYZE_V8_FLAGS) setFlagsFromString(flag);
      const started = process.hrtime.bigint();
      const cpuBefore = process.cpuUsage();
      const options = {
        wifi: parseCidrList(opts.wifi),
        cellular: parseCidrList(opts.cellular),
        proxyLog: opts.proxyLog,
        proxyLogTolerance: opts.proxyLogTolerance,
        graceSeconds: opts.grace,
        idleSeconds: opts.idleTimeout,
        strict: opts.strict,
        progress: opts.progress === false ? false : undefined,
        writerTimeoutSeconds: opts.writerTimeout,
        logger,
      };
      // the handlers come first: from its first partial file on, the output is removed on a signal
      let output: InstanceType<typeof DirectoryOutput> | undefined;
      const summary = await discardOnStopSignals(
        () => output?.abort(),
        () => analyzeInputs(files, (output = new DirectoryOutput(opts.out)), options),
      );
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = process.cpuUsage(cpuBefore);
      const cpuSecs = (cpu.user + cpu.system) / 1e6;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      const c = summary.connections;
      const damaged = summary.corruptRecords > 0 ? `, ${summary.corruptRecords} corrupt records skipped` : '';
      process.stdout.write(
        `${summary.packets.read} packets in ${secs.toFixed(2)} s (${cpuSecs.toFixed(2)} s CPU): ${c.total} connections (${c.mptcp} MPTCP, ${c.tcp} TCP), ${summary.subflows} subflows${damaged} -> ${opts.out}\n`,
      );
    });
}
