/**
 * Parameters of one direction of an emulated access link, and their validation. The same shape
 * is used in profile files, in the link daemon's configuration and in `mplab lab link`.
 */
export interface BurstLoss {
  /** chance (percent, per packet) of entering the bad state from the good one */
  enterPct: number;
  /** chance (percent, per packet) of leaving the bad state; mean burst length = 100 / exitPct packets */
  exitPct: number;
  /** loss in the bad state (percent; default 100) */
  lossPct: number;
}

export interface DirectionParams {
  /** one-way propagation delay added to every packet (ms) */
  delayMs: number;
  /** each packet's delay varies uniformly within delayMs ± jitterMs; packets are never reordered */
  jitterMs: number;
  /** bottleneck rate in kbit/s (IP bytes); null = unlimited. Ignored when `trace` is set. */
  rateKbit: number | null;
  /** random (Bernoulli) loss, percent of packets */
  lossPct: number;
  /** bursty loss (Gilbert-Elliott), on top of lossPct */
  burstLoss: BurstLoss | null;
  /** drop-tail queue limit at the bottleneck, in packets; null = what the rate drains in 100 ms, at least 32 */
  queuePackets: number | null;
  /** Mahimahi packet-delivery trace (a file path); replaces rateKbit */
  trace: string | null;
}

export type Direction = 'up' | 'down';
export const DIRECTIONS: readonly Direction[] = ['up', 'down'];

export const NO_SHAPING: DirectionParams = {
  delayMs: 0,
  jitterMs: 0,
  rateKbit: null,
  lossPct: 0,
  burstLoss: null,
  queuePackets: null,
  trace: null,
};

/** Where a value came from, for error messages: a file and a field path. */
export interface Where {
  file: string;
  field: string;
}

export class ParamError extends Error {
  constructor(
    readonly where: Where,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`${where.file}: ${where.field}: expected ${expected}, got ${describe(got)}`);
    this.name = 'ParamError';
  }
}

/** What was found, described in words (printed as is, not as a JSON value). */
export class Found {
  constructor(readonly text: string) {}
}

function describe(value: unknown): string {
  if (value instanceof Found) return value.text;
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function at(where: Where, field: string): Where {
  return { file: where.file, field: where.field ? `${where.field}.${field}` : field };
}

export function checkKeys(value: Record<string, unknown>, allowed: readonly string[], where: Where): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new ParamError(at(where, key), `one of the fields ${allowed.join(', ')}`, `an unknown field "${key}"`);
  }
}

export function number(value: unknown, where: Where, min: number, max: number, unit = ''): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ParamError(where, `a number from ${min} to ${max}${unit ? ` (${unit})` : ''}`, value);
  }
  return value;
}

const DIRECTION_FIELDS = ['delayMs', 'jitterMs', 'rateKbit', 'lossPct', 'burstLoss', 'queuePackets', 'trace'] as const;

/**
 * Validates a partial set of direction parameters (a profile block or a change) and returns it
 * with only known, checked fields. `resolvePath` turns a trace path as written into a usable one.
 */
export function parsePartialDirection(value: unknown, where: Where, resolvePath: (p: string) => string = (p) => p): Partial<DirectionParams> {
  if (!isObject(value)) throw new ParamError(where, `an object with fields ${DIRECTION_FIELDS.join(', ')}`, value);
  checkKeys(value, DIRECTION_FIELDS, where);
  const out: Partial<DirectionParams> = {};
  if (value.delayMs !== undefined) out.delayMs = number(value.delayMs, at(where, 'delayMs'), 0, 10_000, 'ms');
  if (value.jitterMs !== undefined) out.jitterMs = number(value.jitterMs, at(where, 'jitterMs'), 0, 10_000, 'ms');
  if (value.rateKbit !== undefined) out.rateKbit = value.rateKbit === null ? null : number(value.rateKbit, at(where, 'rateKbit'), 1, 100_000_000, 'kbit/s');
  if (value.lossPct !== undefined) out.lossPct = number(value.lossPct, at(where, 'lossPct'), 0, 100, 'percent');
  if (value.queuePackets !== undefined) {
    out.queuePackets = value.queuePackets === null ? null : number(value.queuePackets, at(where, 'queuePackets'), 1, 100_000, 'packets');
    if (out.queuePackets !== null && !Number.isInteger(out.queuePackets)) throw new ParamError(at(where, 'queuePackets'), 'a whole number of packets', value.queuePackets);
  }
  if (value.trace !== undefined) {
    if (value.trace !== null && (typeof value.trace !== 'string' || value.trace === '')) throw new ParamError(at(where, 'trace'), 'a Mahimahi trace file path or null', value.trace);
    out.trace = value.trace === null ? null : resolvePath(value.trace);
  }
  if (value.burstLoss !== undefined) out.burstLoss = value.burstLoss === null ? null : parseBurstLoss(value.burstLoss, at(where, 'burstLoss'));
  return out;
}

function parseBurstLoss(value: unknown, where: Where): BurstLoss {
  if (!isObject(value)) throw new ParamError(where, 'an object {enterPct, exitPct, lossPct?} or null', value);
  checkKeys(value, ['enterPct', 'exitPct', 'lossPct'], where);
  return {
    enterPct: number(value.enterPct, at(where, 'enterPct'), 0, 100, 'percent'),
    exitPct: number(value.exitPct, at(where, 'exitPct'), 0.001, 100, 'percent'),
    lossPct: value.lossPct === undefined ? 100 : number(value.lossPct, at(where, 'lossPct'), 0, 100, 'percent'),
  };
}

export function withDefaults(partial: Partial<DirectionParams>, base: DirectionParams = NO_SHAPING): DirectionParams {
  return { ...base, ...partial };
}

/** The queue limit in packets that applies: the configured one, or 100 ms at the rate (at least 32). */
export function effectiveQueuePackets(params: DirectionParams, averageRateKbit: number | null): number {
  if (params.queuePackets !== null) return params.queuePackets;
  const rate = averageRateKbit ?? params.rateKbit;
  if (rate === null) return 10_000;
  return Math.max(32, Math.ceil((rate * 100) / 8 / 1500));
}
