import { describe, expect, it } from 'vitest';
import { firstOpportunityAtOrAfter, opportunityTime, parseTrace, TraceError } from '../../../testbed/link/trace.js';

describe('Mahimahi traces', () => {
  it('reads opportunities, the period and the average rate', () => {
    const trace = parseTrace('0\n0\n5\n10\n\n');
    expect([...trace.times]).toEqual([0, 0, 5, 10]);
    expect(trace.periodMs).toBe(10);
    expect(trace.averageKbit).toBeCloseTo((4 * 1500 * 8) / 10, 9);
  });

  it('finds opportunities across periods', () => {
    const trace = parseTrace('2\n5\n10\n');
    expect(opportunityTime(trace, 0)).toBe(2);
    expect(opportunityTime(trace, 3)).toBe(12);
    expect(opportunityTime(trace, 5)).toBe(20);
    expect(firstOpportunityAtOrAfter(trace, 0)).toBe(0);
    expect(firstOpportunityAtOrAfter(trace, 3)).toBe(1);
    expect(firstOpportunityAtOrAfter(trace, 11)).toBe(3);
    expect(firstOpportunityAtOrAfter(trace, 12.5)).toBe(4);
  });

  it('names the file and line of what is wrong', () => {
    expect(() => parseTrace('1\n2\nabc\n', 'cell.down')).toThrow(TraceError);
    expect(() => parseTrace('1\n2\nabc\n', 'cell.down')).toThrow(/^cell\.down: line 3: expected a whole number of milliseconds, got "abc"/);
    expect(() => parseTrace('5\n3\n', 'x')).toThrow(/x: line 2: expected a time of at least 5 ms/);
    expect(() => parseTrace('\n', 'x')).toThrow(/expected at least one delivery time/);
    expect(() => parseTrace('0\n0\n', 'x')).toThrow(/period\) to be above 0/);
  });
});
