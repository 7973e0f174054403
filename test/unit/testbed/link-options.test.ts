import { describe, expect, it } from 'vitest';
import { linkChange } from '../../../framework/cli/lab.js';

describe('mplab lab link options', () => {
  it('turns options into a change of one or both directions', () => {
    expect(linkChange({ direction: 'both', delay: '20', rate: '5000' })).toEqual({ up: { delayMs: 20, rateKbit: 5000 }, down: { delayMs: 20, rateKbit: 5000 } });
    expect(linkChange({ direction: 'down', loss: '2.5', rate: '0' })).toEqual({ down: { lossPct: 2.5, rateKbit: null } });
    expect(linkChange({ direction: 'up', burstLoss: '1,20' })).toEqual({ up: { burstLoss: { enterPct: 1, exitPct: 20, lossPct: 100 } } });
    expect(linkChange({ direction: 'both', down: true })).toEqual({ outage: true });
    expect(linkChange({ direction: 'both', up: true, trace: 'off' })).toEqual({ up: { trace: null }, down: { trace: null }, outage: false });
  });

  it('names the option and what it expects', () => {
    expect(() => linkChange({ direction: 'both', delay: 'x' })).toThrow('--delay: expected a number, got "x"');
    expect(() => linkChange({ direction: 'both', loss: '120' })).toThrow(/options\.lossPct: expected a number from 0 to 100/);
    expect(() => linkChange({ direction: 'both', burstLoss: '5' })).toThrow(/--burst-loss: expected ENTER,EXIT/);
    expect(() => linkChange({ direction: 'both', trace: '/nonexistent/trace' })).toThrow(/--trace: \/nonexistent\/trace: cannot read the trace/);
    expect(() => linkChange({ direction: 'both' })).toThrow(/nothing to change/);
  });
});
