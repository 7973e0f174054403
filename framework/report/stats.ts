import { seededRandom, type Random } from '../../common/random.js';

/**
 * The report's statistics: medians and quantiles, percentile bootstrap confidence intervals for a
 * median and for a difference of medians (drawn from a seeded generator: the same input gives the
 * same report), CDFs (weighted or not) cut down to the points a chart needs, and the
 * connection-size classes of Fig 2.27.
 */

export { seededRandom, type Random };

/** Values sorted ascending into a new typed array (NaN removed). */
export function sorted(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out[n++] = values[i];
  return out.subarray(0, n).sort();
}

/** Quantile q (0..1) of sorted values, linear between order statistics (R's type 7); NaN when empty. */
export function quantileSorted(s: ArrayLike<number>, q: number): number {
  const n = s.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

// ---- bootstrap ---------------------------------------------------------------------------------

export interface Interval {
  low: number;
  high: number;
}

export interface BootstrapOptions {
  random: Random;
  /** resamples (default 2000) */
  resamples?: number;
  /** confidence level (default 0.95) */
  level?: number;
}

/** A standard normal variate (Box-Muller). */
function normal(random: Random): number {
  let u = 0;
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A Gamma(shape, 1) variate for shape >= 1 (Marsaglia and Tsang). */
function gamma(shape: number, random: Random): number {
  if (shape === 1) return -Math.log(1 - random());
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function beta(a: number, b: number, random: Random): number {
  const x = gamma(a, random);
  return x / (x + gamma(b, random));
}

/**
 * The median of one bootstrap resample of `s` (sorted, n values), drawn without drawing the n
 * values. A resample is n values X_i = s[floor(U_i n)] for uniform U_i; since that map is monotone,
 * the resample's k-th smallest value is s[floor(U_(k) n)], where U_(k), the k-th smallest of n
 * uniforms, follows Beta(k, n - k + 1), and U_(k+1) = U_(k) + (1 - U_(k)) Beta(1, n - k). So each
 * resample costs a few random numbers instead of n, and the result has exactly the distribution of
 * the textbook bootstrap (the unit test compares the two).
 */
export function resampledMedian(s: ArrayLike<number>, random: Random): number {
  const n = s.length;
  const at = (u: number) => s[Math.min(n - 1, Math.floor(u * n))];
  if (n % 2 === 1) {
    const m = (n + 1) / 2;
    return at(beta(m, n - m + 1, random));
  }
  const m = n / 2;
  const u1 = beta(m, n - m + 1, random);
  const u2 = u1 + (1 - u1) * beta(1, n - m, random);
  return (at(u1) + at(u2)) / 2;
}

function percentiles(draws: Float64Array, level: number): Interval {
  draws.sort();
  const tail = (1 - level) / 2;
  return { low: quantileSorted(draws, tail), high: quantileSorted(draws, 1 - tail) };
}

/** Percentile bootstrap confidence interval of the median of `values`. */
export function medianCI(values: ArrayLike<number>, options: BootstrapOptions): Interval {
  const s = sorted(values);
  if (s.length === 0) return { low: NaN, high: NaN };
  const draws = new Float64Array(options.resamples ?? 2000);
  for (let b = 0; b < draws.length; b++) draws[b] = resampledMedian(s, options.random);
  return percentiles(draws, options.level ?? 0.95);
}

/**
 * Percentile bootstrap confidence interval of median(b) - median(a), the two samples resampled
 * independently (e.g. a mode against TCP).
 */
export function medianDifferenceCI(a: ArrayLike<number>, b: ArrayLike<number>, options: BootstrapOptions): Interval {
  const sa = sorted(a);
  const sb = sorted(b);
  if (sa.length === 0 || sb.length === 0) return { low: NaN, high: NaN };
  const draws = new Float64Array(options.resamples ?? 2000);
  for (let i = 0; i < draws.length; i++) draws[i] = resampledMedian(sb, options.random) - resampledMedian(sa, options.random);
  return percentiles(draws, options.level ?? 0.95);
}

/** A median with its interval, or why there is none. */
export type MedianSummary =
  | { n: number; enough: true; median: number; ci: Interval }
  | { n: number; enough: false; median: number | null; ci: null };

/** "Not enough data" below `minSamples` values: no interval, and no curve drawn from them. */
export function summarizeMedian(values: ArrayLike<number>, minSamples: number, options: BootstrapOptions): MedianSummary {
  const s = sorted(values);
  if (s.length < minSamples) return { n: s.length, enough: false, median: s.length > 0 ? quantileSorted(s, 0.5) : null, ci: null };
  return { n: s.length, enough: true, median: quantileSorted(s, 0.5), ci: medianCI(s, options) };
}


// ---- CDFs ----------------------------------------------------------------------------------------

export interface CdfPoint {
  /** the value */
  x: number;
  /** share of the (weighted) values at or below x, 0..1 */
  p: number;
}

/**
 * The empirical CDF of values (each weighing `weights[i]`, or 1), as the points where it steps:
 * every distinct value when there are at most `maxPoints` of them, else the values at
 * `maxPoints` evenly spaced shares (plus the first and last), which draws the same curve at a
 * chart's resolution. The first point is (smallest value, 0), where the curve rises from.
 */
export function cdf(values: ArrayLike<number>, weights?: ArrayLike<number>, maxPoints = 200): CdfPoint[] {
  const n = values.length;
  if (n === 0) return [];
  let order: number[] | null = null;
  let xs: ArrayLike<number>;
  if (weights) {
    order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
    xs = order.map((i) => values[i]);
  } else xs = sorted(values);
  const w = (k: number) => (weights ? weights[order![k]] : 1);
  let total = 0;
  for (let k = 0; k < xs.length; k++) total += w(k);
  if (total <= 0) return [];

  // the step at each distinct value
  const steps: CdfPoint[] = [];
  let acc = 0;
  for (let k = 0; k < xs.length; k++) {
    acc += w(k);
    if (k + 1 < xs.length && xs[k + 1] === xs[k]) continue;
    steps.push({ x: xs[k], p: acc / total });
  }
  const start: CdfPoint = { x: steps[0].x, p: 0 };
  if (steps.length <= maxPoints) return [start, ...steps];
  const out: CdfPoint[] = [start, steps[0]];
  let j = 0;
  for (let i = 1; i < maxPoints; i++) {
    const target = i / maxPoints;
    while (j < steps.length - 1 && steps[j].p < target) j++;
    if (steps[j] !== out[out.length - 1]) out.push(steps[j]);
  }
  if (out[out.length - 1] !== steps[steps.length - 1]) out.push(steps[steps.length - 1]);
  return out;
}

/** The share of (weighted) values at or below x: what a reader reads off a CDF. */
export function shareAtOrBelow(values: ArrayLike<number>, x: number, weights?: ArrayLike<number>): number {
  let total = 0;
  let below = 0;
  for (let i = 0; i < values.length; i++) {
    const w = weights ? weights[i] : 1;
    total += w;
    if (values[i] <= x) below += w;
  }
  return total > 0 ? below / total : NaN;
}

// ---- Fig 2.27's connection sizes -------------------------------------------------------------------

/** Fig 2.27's classes of connection size (KB = 1000 bytes), smallest first. */
export const SIZE_CLASSES = ['< 10 KB', '10-100 KB', '100 KB-1 MB', '> 1 MB'] as const;
export type SizeClass = (typeof SIZE_CLASSES)[number];

export function sizeClass(bytes: number): SizeClass {
  if (bytes < 10_000) return '< 10 KB';
  if (bytes < 100_000) return '10-100 KB';
  if (bytes <= 1_000_000) return '100 KB-1 MB';
  return '> 1 MB';
}
