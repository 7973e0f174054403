import { describe, expect, it } from 'vitest';
import { cdf, medianCI, medianDifferenceCI, quantileSorted, resampledMedian, seededRandom, shareAtOrBelow, sizeClass, sorted, summarizeMedian, SIZE_CLASSES } from '../../../framework/report/stats.js';

/** The textbook bootstrap: n values drawn with replacement, their median. */
function naiveResampledMedian(s: Float64Array, random: () => number): number {
  const draw = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) draw[i] = s[Math.floor(random() * s.length)];
  return quantileSorted(draw.sort(), 0.5);
}

function normalSample(n: number, mean: number, sd: number, random: () => number): number[] {
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

describe('bootstrap confidence intervals', () => {
  it('gives the same interval for the same seed, another for another seed', () => {
    const values = normalSample(40, 100, 20, seededRandom(1));
    const a = medianCI(values, { random: seededRandom(7) });
    const b = medianCI(values, { random: seededRandom(7) });
    const c = medianCI(values, { random: seededRandom(8) });
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(a.low).toBeLessThan(quantileSorted(sorted(values), 0.5));
    expect(a.high).toBeGreaterThan(quantileSorted(sorted(values), 0.5));
  });

  it('draws resample medians with the distribution of the textbook bootstrap (odd and even n)', () => {
    for (const n of [9, 10, 51]) {
      const s = sorted(normalSample(n, 0, 1, seededRandom(n)));
      const fast = new Float64Array(6000);
      const slow = new Float64Array(6000);
      const r1 = seededRandom(100 + n);
      const r2 = seededRandom(200 + n);
      for (let i = 0; i < fast.length; i++) {
        fast[i] = resampledMedian(s, r1);
        slow[i] = naiveResampledMedian(s, r2);
      }
      fast.sort();
      slow.sort();
      // the quantiles of the two distributions agree within the spread of the data's order statistics
      const spread = s[s.length - 1] - s[0];
      for (const q of [0.025, 0.25, 0.5, 0.75, 0.975]) {
        expect(Math.abs(quantileSorted(fast, q) - quantileSorted(slow, q)), `n=${n} q=${q}`).toBeLessThan(0.05 * spread);
      }
    }
  });

  it('covers the true median about 95% of the time', () => {
    const random = seededRandom(3);
    let covered = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const ci = medianCI(normalSample(30, 50, 10, random), { random, resamples: 1000 });
      if (ci.low <= 50 && 50 <= ci.high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.9);
    expect(covered / trials).toBeLessThan(0.985);
  });

  it('an interval of a difference of medians excludes 0 for shifted samples and includes it for the same distribution', () => {
    const random = seededRandom(11);
    const tcp = normalSample(40, 10, 2, random);
    const faster = normalSample(40, 7, 2, random);
    const same = normalSample(40, 10, 2, random);
    const shifted = medianDifferenceCI(tcp, faster, { random });
    expect(shifted.high).toBeLessThan(0);
    expect(shifted.low).toBeGreaterThan(-6);
    const none = medianDifferenceCI(tcp, same, { random });
    expect(none.low).toBeLessThan(0);
    expect(none.high).toBeGreaterThan(0);
  });

  it('says "not enough data" below the minimum of values: a median, no interval', () => {
    const few = summarizeMedian([3, 1, 2, 4, 5, 6, 7, 8, 9], 10, { random: seededRandom(1) });
    expect(few).toEqual({ n: 9, enough: false, median: 5, ci: null });
    const none = summarizeMedian([], 10, { random: seededRandom(1) });
    expect(none).toEqual({ n: 0, enough: false, median: null, ci: null });
    const enough = summarizeMedian([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], 10, { random: seededRandom(1) });
    expect(enough.enough).toBe(true);
    expect(enough.median).toBe(5.5);
    expect(enough.ci!.low).toBeLessThanOrEqual(5.5);
  });
});

describe('CDFs', () => {
  it('steps at each distinct value, rising from 0 at the smallest', () => {
    expect(cdf([3, 1, 2, 2])).toEqual([
      { x: 1, p: 0 },
      { x: 1, p: 0.25 },
      { x: 2, p: 0.75 },
      { x: 3, p: 1 },
    ]);
  });

  it('weighs each value by its weight (bytes): a CDF weighted by bytes', () => {
    // an ACK of 1000 bytes, one of 100 and two of 10: 1120 bytes, 1000 of them acknowledged by the big one
    const points = cdf([1000, 10, 100, 10], [1000, 10, 100, 10]);
    expect(points).toEqual([
      { x: 10, p: 0 },
      { x: 10, p: 20 / 1120 },
      { x: 100, p: 120 / 1120 },
      { x: 1000, p: 1 },
    ]);
    expect(shareAtOrBelow([1000, 10, 100, 10], 100, [1000, 10, 100, 10])).toBeCloseTo(120 / 1120, 12);
    expect(shareAtOrBelow([1000, 10, 100, 10], 100)).toBe(0.75);
  });

  it('cuts a long CDF down to about maxPoints points that keep its ends and shape', () => {
    const random = seededRandom(5);
    const values = Array.from({ length: 50_000 }, () => random() * 1000);
    const points = cdf(values, undefined, 100);
    expect(points.length).toBeLessThanOrEqual(102);
    expect(points[0].p).toBe(0);
    expect(points[points.length - 1]).toEqual({ x: Math.max(...values), p: 1 });
    for (let i = 1; i < points.length; i++) {
      expect(points[i].x).toBeGreaterThanOrEqual(points[i - 1].x);
      expect(points[i].p).toBeGreaterThanOrEqual(points[i - 1].p);
    }
    // uniform on [0, 1000): the share at x is about x / 1000
    const mid = points.find((p) => p.p >= 0.5)!;
    expect(mid.x).toBeGreaterThan(480);
    expect(mid.x).toBeLessThan(520);
  });
});

describe('Fig 2.27 size classes', () => {
  it('puts connections in < 10 KB, 10-100 KB, 100 KB-1 MB, > 1 MB (KB = 1000 bytes)', () => {
    expect(SIZE_CLASSES).toEqual(['< 10 KB', '10-100 KB', '100 KB-1 MB', '> 1 MB']);
    expect(sizeClass(0)).toBe('< 10 KB');
    expect(sizeClass(9_999)).toBe('< 10 KB');
    expect(sizeClass(10_000)).toBe('10-100 KB');
    expect(sizeClass(99_999)).toBe('10-100 KB');
    expect(sizeClass(100_000)).toBe('100 KB-1 MB');
    expect(sizeClass(1_000_000)).toBe('100 KB-1 MB');
    expect(sizeClass(1_000_001)).toBe('> 1 MB');
  });
});
