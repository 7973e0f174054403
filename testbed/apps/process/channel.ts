import type { FromProcess, JobEvent } from './protocol.js';

/**
 * The app process's side of its channel to the daemon: events and log lines out on stdout (one
 * JSON object per line). Nothing else may write to stdout in the app's process.
 */
export function send(message: FromProcess): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

export type Emit = (event: JobEvent) => void;

export function log(priority: 'V' | 'D' | 'I' | 'W' | 'E', tag: string, message: string): void {
  send({ log: { priority, tag, message } });
}

/** Calls `report` every `ms` until the returned function stops it (and reports once more). */
export function every(ms: number, report: () => void): () => void {
  const timer = setInterval(report, ms);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    report();
  };
}
