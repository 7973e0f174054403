import { describe, expect, it } from 'vitest';
import { exitStatus } from '../../../../testbed/phone/packets.js';

describe('exit status', () => {
  it('reports a signal as 128 + its number, as adbd does', () => {
    expect(exitStatus(3, null, { SIGKILL: 9 })).toBe(3);
    expect(exitStatus(null, 'SIGKILL', { SIGKILL: 9 })).toBe(137);
    expect(exitStatus(256 + 7, null, {})).toBe(7);
  });
});
