import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../testbed/link/emulator.js';
import { NO_SHAPING, withDefaults } from '../../../testbed/link/params.js';
import { DirectionScheduler, DROP } from '../../../testbed/link/scheduler.js';
import { parseTrace } from '../../../testbed/link/trace.js';

const shaped = (p: Parameters<typeof withDefaults>[0]) => withDefaults(p, NO_SHAPING);

describe('DirectionScheduler', () => {
  it('adds the configured delay to every packet on an unlimited link', () => {
    const s = new DirectionScheduler(shaped({ delayMs: 7.5 }), null, 0);
    expect(s.admit(100, 1500)).toBe(107.5);
    expect(s.admit(100.001, 60)).toBeCloseTo(107.501, 6);
  });

  it('serializes packets at the rate, back to back, then adds the delay', () => {
    // 12000 kbit/s = 12 bit/ms: a 1500-byte packet takes 1 ms
    const s = new DirectionScheduler(shaped({ rateKbit: 12_000, delayMs: 10 }), null, 0);
    expect(s.admit(0, 1500)).toBeCloseTo(11, 9);
    expect(s.admit(0, 1500)).toBeCloseTo(12, 9);
    expect(s.admit(0, 750)).toBeCloseTo(12.5, 9);
    // an idle gap: the next packet starts at its arrival
    expect(s.admit(100, 1500)).toBeCloseTo(111, 9);
  });

  it('drops at the tail when the bottleneck queue is full, and counts why', () => {
    const s = new DirectionScheduler(shaped({ rateKbit: 12_000, queuePackets: 3 }), null, 0);
    const out = [0, 0, 0, 0, 0].map(() => s.admit(0, 1500));
    expect(out.slice(0, 3).every((t) => t > 0)).toBe(true);
    expect(out.slice(3)).toEqual([DROP, DROP]);
    expect(s.counters.dropped.queue).toBe(2);
    // after the first packet left (t = 1 ms) there is room again
    expect(s.admit(1.5, 1500)).toBeCloseTo(4, 9);
  });

  it('sizes the automatic queue to 100 ms at the rate, at least 32 packets', () => {
    const fast = new DirectionScheduler(shaped({ rateKbit: 120_000 }), null, 0);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) if (fast.admit(0, 1500) !== DROP) accepted++;
    expect(accepted).toBe(1000); // 120 Mbit/s * 100 ms / 1500 B
    const slow = new DirectionScheduler(shaped({ rateKbit: 100 }), null, 0);
    accepted = 0;
    for (let i = 0; i < 100; i++) if (slow.admit(0, 1500) !== DROP) accepted++;
    expect(accepted).toBe(32);
  });

  it('spreads jittered delays uniformly over delay ± jitter and never reorders', () => {
    const s = new DirectionScheduler(shaped({ delayMs: 20, jitterMs: 5 }), null, 0, seededRandom(1));
    let last = 0;
    const delays: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const arrival = i * 10; // far apart: jitter alone decides
      const release = s.admit(arrival, 100);
      delays.push(release - arrival);
      expect(release).toBeGreaterThanOrEqual(last);
      last = release;
    }
    // uniform on [15, 25]: the extremes reached (to 0.05 ms in 10,000 draws), mean 20, standard deviation 5/sqrt(3)
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    const sd = Math.sqrt(delays.reduce((a, d) => a + (d - mean) ** 2, 0) / (delays.length - 1));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(15);
    expect(Math.min(...delays)).toBeLessThan(15.05);
    expect(Math.max(...delays)).toBeLessThanOrEqual(25);
    expect(Math.max(...delays)).toBeGreaterThan(24.95);
    expect(mean).toBeCloseTo(20, 0);
    expect(Math.abs(sd - 5 / Math.sqrt(3)) / (5 / Math.sqrt(3))).toBeLessThan(0.03);
    const dense = new DirectionScheduler(shaped({ delayMs: 20, jitterMs: 5 }), null, 0, seededRandom(2));
    last = 0;
    for (let i = 0; i < 1000; i++) {
      const release = dense.admit(i * 0.01, 100);
      expect(release).toBeGreaterThanOrEqual(last);
      last = release;
    }
  });

  it('loses packets at the configured rate (within binomial bounds)', () => {
    const n = 100_000;
    const p = 0.1;
    const s = new DirectionScheduler(shaped({ lossPct: 100 * p }), null, 0, seededRandom(3));
    let lost = 0;
    for (let i = 0; i < n; i++) if (s.admit(i, 100) === DROP) lost++;
    const sd = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(lost - n * p)).toBeLessThan(5 * sd);
    expect(s.counters.dropped.loss).toBe(lost);
  });

  it('loses packets in bursts (Gilbert-Elliott) with the expected mean loss and burst length', () => {
    const s = new DirectionScheduler(shaped({ burstLoss: { enterPct: 1, exitPct: 20, lossPct: 100 } }), null, 0, seededRandom(4));
    const n = 200_000;
    let lost = 0;
    let bursts = 0;
    let previousLost = false;
    for (let i = 0; i < n; i++) {
      const isLost = s.admit(i, 100) === DROP;
      if (isLost) lost++;
      if (isLost && !previousLost) bursts++;
      previousLost = isLost;
    }
    // stationary share of the bad state: enter / (enter + exit) = 1/21; mean burst 1/exit = 5
    expect(lost / n).toBeGreaterThan((1 / 21) * 0.85);
    expect(lost / n).toBeLessThan((1 / 21) * 1.15);
    expect(lost / bursts).toBeGreaterThan(4.5);
    expect(lost / bursts).toBeLessThan(5.5);
  });

  it('loses everything during an outage and nothing after it', () => {
    const s = new DirectionScheduler(shaped({ delayMs: 1 }), null, 0);
    s.setOutage(true);
    expect(s.admit(0, 100)).toBe(DROP);
    expect(s.counters.dropped.outage).toBe(1);
    s.setOutage(false);
    expect(s.admit(1, 100)).toBe(2);
  });

  it('applies a change to later packets without reordering earlier ones', () => {
    const s = new DirectionScheduler(shaped({ delayMs: 50 }), null, 0);
    expect(s.admit(0, 100)).toBe(50);
    s.configure(shaped({ delayMs: 5 }), null, 1);
    expect(s.admit(1, 100)).toBe(50); // may not overtake the packet sent before the change
    expect(s.admit(100, 100)).toBe(105);
  });

  it('follows a Mahimahi trace: one MTU per opportunity, packets span opportunities, idle opportunities are wasted', () => {
    // opportunities at 1, 2, 2, 10 ms; period 10 ms
    const trace = parseTrace('1\n2\n2\n10\n');
    const s = new DirectionScheduler(shaped({}), trace, 1000);
    expect(s.admit(1000, 1500)).toBe(1001); // first opportunity
    expect(s.admit(1000, 1000)).toBe(1002); // second, 500 bytes left in it
    expect(s.admit(1000, 500)).toBe(1002); // fits in the rest of the second
    expect(s.admit(1000, 2000)).toBe(1010); // 1500 at the third (2 ms) + 500 at the fourth (10 ms)
    // arrives after the 10 ms opportunity: its remaining 1000 bytes are wasted; next loop at 11 ms
    expect(s.admit(1010.5, 1500)).toBe(1011);
  });
});
