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

/** One child logger per component, device or test: `log('proxy')`, `log('device', { device: id })`. */
export function log(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}

function createRootLogger(): Logger {
  // pino is loaded on the first log call, not at import: a command that logs nothing (mplab analyze
  // on a sound capture) starts about 20 ms faster
  const require = createRequire(import.meta.url);
  const { pino } = require('pino') as typeof import('pino');
  const options: LoggerOptions = {
    level: process.env.MPLAB_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
  };
  const format = process.env.MPLAB_LOG_FORMAT ?? (process.stderr.isTTY ? 'pretty' : 'json');
  if (format === 'pretty') {
    // loaded only for terminals: it costs tens of milliseconds at every start
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    return pino(options, pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY, ignore: 'pid,hostname' }));
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}
