import { describe, expect, it } from 'vitest';
import { networkLabel } from '../../../framework/report/groups.js';

describe('networkLabel', () => {
  const both = { name: 'both', defaultRoute: 'wifi', profile: null, label: null } as const;

  it('names the radios and the default route, and nothing more for a plain network', () => {
    expect(networkLabel(both)).toBe('both (default wifi)');
    expect(networkLabel({ ...both, name: 'cellular', defaultRoute: 'cellular' })).toBe('cellular');
    // a campaign network named after its radios, and the lab's default profile, add nothing
    expect(networkLabel({ ...both, label: 'both', profile: '/x/testbed/profiles/default.json' })).toBe('both (default wifi)');
    expect(networkLabel(null)).toBeNull();
  });

  it("adds the condition's name and the lab profile, so that conditions on the same radios stay apart", () => {
    expect(networkLabel({ ...both, label: 'handover' })).toBe('both (default wifi) · handover');
    expect(networkLabel({ ...both, label: '8:wifi-down' })).toBe('both (default wifi) · 8:wifi-down');
    expect(networkLabel({ ...both, profile: '/x/testbed/profiles/dsl-wifi.json' })).toBe('both (default wifi) · dsl-wifi');
    expect(networkLabel({ ...both, label: 'dsl', profile: '/x/testbed/profiles/dsl-wifi.json' })).toBe('both (default wifi) · dsl · dsl-wifi');
    // a network named after its profile says it once
    expect(networkLabel({ ...both, label: 'dsl-wifi', profile: '/x/testbed/profiles/dsl-wifi.json' })).toBe('both (default wifi) · dsl-wifi');
  });
});
