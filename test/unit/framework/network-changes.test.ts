import { describe, expect, it } from 'vitest';
import { changesText, parseChange, type ChangeRequest } from '../../../framework/runner/network-changes.js';

describe('network changes as text', () => {
  it('reads SECONDS:CHANGE and writes it back the same way, in order', () => {
    const changes = ['8:wifi-down', '20.5:wifi-up', '30:cellular-down'].map((t) => parseChange(t) as ChangeRequest);
    expect(changes).toEqual([
      { at: 8, change: 'wifi-down' },
      { at: 20.5, change: 'wifi-up' },
      { at: 30, change: 'cellular-down' },
    ]);
    expect(changesText(changes)).toBe('8:wifi-down 20.5:wifi-up 30:cellular-down');
    expect(changesText([])).toBeNull();
  });

  it('says what it expected for a change it cannot read', () => {
    expect(parseChange('8:wifi-off')).toMatch(/^expected SECONDS:CHANGE with CHANGE one of wifi-down, wifi-up, cellular-down, cellular-up, e\.g\. 10:wifi-down; got "8:wifi-off"$/);
    expect(parseChange('wifi-down')).toMatch(/got "wifi-down"$/);
  });
});
