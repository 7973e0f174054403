import { readFileSync } from 'node:fs';

/**
 * A Mahimahi packet-delivery trace: one line per delivery opportunity, the time in whole
 * milliseconds since the start of the trace; each opportunity can carry MTU_BYTES bytes. Times
 * never decrease (several opportunities may share a millisecond); the trace repeats with a
 * period equal to its last time, as Mahimahi's link shell does.
 */
export const MTU_BYTES = 1500;

export interface DeliveryTrace {
  /** opportunity times within one period, ms */
  times: Float64Array;
  periodMs: number;
  /** average rate over one period, kbit/s */
  averageKbit: number;
}

export class TraceError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(line > 0 ? `${file}: line ${line}: ${message}` : `${file}: ${message}`);
    this.name = 'TraceError';
  }
}

export function parseTrace(text: string, file = 'trace'): DeliveryTrace {
  const times: number[] = [];
  const lines = text.split('\n');
  let previous = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (!/^\d+$/.test(line)) throw new TraceError(file, i + 1, `expected a whole number of milliseconds, got ${JSON.stringify(line.slice(0, 40))}`);
    const t = Number(line);
    if (t < previous) throw new TraceError(file, i + 1, `expected a time of at least ${previous} ms (times never decrease), got ${t}`);
    times.push(t);
    previous = t;
  }
  if (times.length === 0) throw new TraceError(file, 1, 'expected at least one delivery time, got an empty file');
  const periodMs = times[times.length - 1];
  if (periodMs <= 0) throw new TraceError(file, lines.length, 'expected the last time (the period) to be above 0 ms');
  return { times: Float64Array.from(times), periodMs, averageKbit: (times.length * MTU_BYTES * 8) / periodMs };
}

export function readTrace(file: string): DeliveryTrace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TraceError(file, 0, `cannot read the trace (${(err as Error).message})`);
  }
  return parseTrace(text, file);
}

/** Time (ms since the trace's start) of opportunity number k, counting across periods. */
export function opportunityTime(trace: DeliveryTrace, k: number): number {
  const n = trace.times.length;
  const loop = Math.floor(k / n);
  return loop * trace.periodMs + trace.times[k - loop * n];
}

/** The first opportunity number whose time is at or after `t` (ms since the trace's start). */
export function firstOpportunityAtOrAfter(trace: DeliveryTrace, t: number): number {
  const n = trace.times.length;
  const loop = Math.max(0, Math.floor(t / trace.periodMs));
  const within = t - loop * trace.periodMs;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (trace.times[mid] < within) lo = mid + 1;
    else hi = mid;
  }
  return loop * n + lo;
}
