import { describe, expect, it } from 'vitest';
import { addressArgs, routeArgs, savedAddresses, savedRoutes } from '../../../../testbed/phone/network.js';

describe('saving and restoring an interface', () => {
  it('keeps configured global addresses, not link-local or SLAAC ones', () => {
    const saved = savedAddresses([
      { family: 'inet', local: '198.18.1.2', prefixlen: 24, broadcast: '198.18.1.255', scope: 'global' },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
      { family: 'inet6', local: '2001:db8::2', prefixlen: 64, scope: 'global' },
      { family: 'inet6', local: '2001:db8::abcd', prefixlen: 64, scope: 'global', dynamic: true },
    ]);
    expect(saved).toEqual([
      { family: 'inet', local: '198.18.1.2', prefixlen: 24, broadcast: '198.18.1.255' },
      { family: 'inet6', local: '2001:db8::2', prefixlen: 64 },
    ]);
    expect(addressArgs(saved[0], 'wlan0')).toEqual(['-4', 'addr', 'add', '198.18.1.2/24', 'broadcast', '198.18.1.255', 'dev', 'wlan0']);
    expect(addressArgs(saved[1], 'wlan0')).toEqual(['-6', 'addr', 'add', '2001:db8::2/64', 'dev', 'wlan0', 'nodad']);
  });

  it('keeps routes of every table except those the kernel makes itself', () => {
    const saved = savedRoutes('inet', [
      { dst: 'default', gateway: '198.18.1.1', dev: 'wlan0', metric: 100, flags: [] },
      { dst: 'default', gateway: '198.18.1.1', dev: 'wlan0', table: '100', flags: [] },
      { dst: '198.18.1.0/24', dev: 'wlan0', protocol: 'kernel', scope: 'link', prefsrc: '198.18.1.2', flags: [] },
      { type: 'local', dst: '198.18.1.2', dev: 'wlan0', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '198.18.1.2', flags: [] },
      { type: 'broadcast', dst: '198.18.1.255', dev: 'wlan0', table: 'local', protocol: 'kernel', scope: 'link', flags: [] },
      { dst: '10.9.0.0/16', dev: 'wlan0', protocol: 'static', scope: 'link', flags: ['onlink'] },
    ]);
    expect(saved).toEqual([
      { family: 'inet', dst: 'default', gateway: '198.18.1.1', metric: 100 },
      { family: 'inet', dst: 'default', gateway: '198.18.1.1', table: '100' },
      { family: 'inet', dst: '10.9.0.0/16', protocol: 'static', scope: 'link', onlink: true },
    ]);
    expect(routeArgs(saved[0], 'wlan0')).toEqual(['-4', 'route', 'add', 'default', 'via', '198.18.1.1', 'dev', 'wlan0', 'metric', '100']);
    expect(routeArgs(saved[1], 'wlan0')).toEqual(['-4', 'route', 'add', 'default', 'via', '198.18.1.1', 'dev', 'wlan0', 'table', '100']);
    expect(routeArgs(saved[2], 'rmnet0')).toEqual(['-4', 'route', 'add', '10.9.0.0/16', 'dev', 'rmnet0', 'onlink', 'proto', 'static', 'scope', 'link']);
  });
});
