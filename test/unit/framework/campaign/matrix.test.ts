import { describe, expect, it } from 'vitest';
import { parseCampaignText } from '../../../../framework/campaign/campaign-file.js';
import { dayOf, daySeed, expandMatrix, planCampaign, seededRandom, shuffle } from '../../../../framework/campaign/matrix.js';

const spec = (extra = '') =>
  parseCampaignText(`name: nightly\nphones: [phone1, phone2]\nscenarios: [a, b, c]\nmodes: [tcp, mptcp]\nrepetitions: 2\n${extra}`, '/tmp/c.yaml');

describe('campaign matrix', () => {
  it('expands phones x scenarios x modes x networks x repetitions, each key once', () => {
    const tests = expandMatrix(spec('networks: [{name: n1}, {name: n2}]\n'));
    expect(tests).toHaveLength(2 * 3 * 2 * 2 * 2);
    expect(new Set(tests.map((t) => t.key)).size).toBe(tests.length);
    expect(tests[0]).toEqual({ key: 'phone1/a/tcp/n1/1', phone: 'phone1', scenario: 'a', params: {}, mode: 'tcp', network: 'n1', repetition: 1 });
  });

  it('leaves the phone open with assign any: each test once', () => {
    const tests = expandMatrix(spec('assign: any\n'));
    expect(tests).toHaveLength(3 * 2 * 2);
    expect(tests.every((t) => t.phone === null && t.key.startsWith('*/'))).toBe(true);
  });

  it('keys scenarios with parameters by their parameters', () => {
    const s = parseCampaignText('name: n\nphones: p\nscenarios: [{name: a, params: {y: 2, x: 1}}, {name: a, params: {x: 2}}]\n', '/tmp/c.yaml');
    expect(expandMatrix(s).map((t) => t.key)).toEqual(['p/a(x=1,y=2)/mptcp/both/1', 'p/a(x=2)/mptcp/both/1']);
  });

  it('shuffles the same way on the same day and differently on another day', () => {
    const s = spec();
    const a = planCampaign(s, '2025-03-01');
    const again = planCampaign(s, '2025-03-01');
    const b = planCampaign(s, '2025-03-02');
    expect(again.tests.map((t) => t.key)).toEqual(a.tests.map((t) => t.key));
    expect(again.seed).toBe(a.seed);
    expect(b.tests.map((t) => t.key)).not.toEqual(a.tests.map((t) => t.key));
    expect(a.tests.map((t) => t.position)).toEqual(a.tests.map((_, i) => i));
    expect([...a.tests.map((t) => t.key)].sort()).toEqual(expandMatrix(s).map((t) => t.key).sort());
    // not the matrix order
    expect(a.tests.map((t) => t.key)).not.toEqual(expandMatrix(s).map((t) => t.key));
  });

  it('takes the seed from the file when given, mixed with the day', () => {
    expect(planCampaign(spec('seed: lab-a\n'), '2025-03-01').seed).toBe(daySeed('lab-a', '2025-03-01'));
    expect(daySeed('lab-a', '2025-03-01')).not.toBe(daySeed('lab-b', '2025-03-01'));
    expect(daySeed('x', 'd')).toMatch(/^[0-9a-f]{8}$/);
  });

  it('days are local calendar days', () => {
    expect(dayOf(new Date(2025, 0, 9, 1, 0))).toBe('2025-01-09');
  });

  it('shuffles every permutation of 3 items about equally often', () => {
    const counts = new Map<string, number>();
    const random = seededRandom('0badf00d');
    for (let i = 0; i < 6000; i++) {
      const k = shuffle([1, 2, 3], random).join('');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const n of counts.values()) expect(n).toBeGreaterThan(850);
  });
});
