import { createRequire } from 'node:module';
import type { Logger, LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * The process-wide root logger. Logs go to stderr so that stdout stays free for a command's
 * output (JSON, tables). JSON lines by default; human-readable when stderr is a terminal.
 * MPLAB_LOG_LEVEL sets the level (default info), MPLAB_LOG_FORMAT=json|pretty overrides the format.
 */
let root: Logger | undefined;

export function rootLogger(): Logger {
  if (!root) root = createRootLogger();
  return root;
}

export function setLogLevel(level: string): void {
  rootLogger().level = level;
}

/** Whether debug lines are written (answered without loading pino while no logger exists yet). */
export function debugLogging(): boolean {
  if (root) return root.isLevelEnabled('debug');
  const level = process.env.MPLAB_LOG_LEVEL ?? 'info';
  return level === 'debug' || level === 'trace';
}

/** One child logger per component, device or test: `log('proxy')`, `log('device', { device: id })`. */
export function log(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}

function loadPino(): typeof import('pino') {
  // pino is loaded on the first log call, not at import: a command that logs nothing (mplab analyze
  // on a sound capture) starts about 20 ms faster
  const require = createRequire(import.meta.url);
  return require('pino') as typeof import('pino');
}

/** Where the root logger writes: stderr, as JSON lines or (on a terminal, or MPLAB_LOG_FORMAT=pretty) readable lines. */
function stderrStream(): import('pino').DestinationStream {
  const { pino } = loadPino();
  const format = process.env.MPLAB_LOG_FORMAT ?? (process.stderr.isTTY ? 'pretty' : 'json');
  if (format === 'pretty') {
    // loaded only for terminals: it costs tens of milliseconds at every start
    const require = createRequire(import.meta.url);
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    return pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY, ignore: 'pid,hostname' });
  }
  return pino.destination({ fd: 2, sync: true });
}

function createRootLogger(): Logger {
  const { pino } = loadPino();
  const options: LoggerOptions = {
    level: process.env.MPLAB_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
  };
  return pino(options, stderrStream());
}

/**
 * A logger that writes to stderr like every other (at the process's level) and also, as JSON lines
 * at debug level, to `file`: a test's own log in its folder. close() flushes the file.
 */
export function fileLogger(component: string, bindings: Record<string, unknown>, file: string): { logger: Logger; close(): void } {
  const { pino } = loadPino();
  const fileStream = pino.destination({ dest: file, sync: true, mkdir: true });
  const level = rootLogger().level;
  const streams: import('pino').StreamEntry[] = [{ stream: fileStream, level: 'debug' }];
  if (level !== 'silent') streams.push({ stream: stderrStream(), level: level as import('pino').Level });
  const logger = pino({ level: 'debug', base: { pid: process.pid } }, pino.multistream(streams)).child({ component, ...bindings });
  return { logger, close: () => fileStream.flushSync() };
}
