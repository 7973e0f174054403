import { describe, expect, it } from 'vitest';
import { airplaneCommands, airplaneNeedsRoot, asRoot, dataCommand, wifiCommand } from '../../../framework/devices/android-commands.js';
import { goalsOf, policyRouteScript, policyRoutesInPlace, toggleCommands, toggleNeeded, unmetGoals } from '../../../framework/devices/network.js';
import { defaultRouteCommands, policyRoutingCommands } from '../../../testbed/lab/phone-net.js';
import { labPlan } from '../../../testbed/lab/plan.js';
import { parseIpRules, parseNetState, netStateScript, type NetState } from '../../../framework/devices/net-state.js';

describe('Android commands per SDK level', () => {
  it('WiFi: cmd -w wifi from API 30, svc before', () => {
    expect(wifiCommand(34, 'on')).toEqual(['cmd', '-w', 'wifi', 'set-wifi-enabled', 'enabled']);
    expect(wifiCommand(30, 'off')).toEqual(['cmd', '-w', 'wifi', 'set-wifi-enabled', 'disabled']);
    expect(wifiCommand(29, 'on')).toEqual(['svc', 'wifi', 'enable']);
    expect(wifiCommand(19, 'off')).toEqual(['svc', 'wifi', 'disable']);
  });

  it('data: cmd phone data from API 30, svc before', () => {
    expect(dataCommand(33, 'off')).toEqual(['cmd', 'phone', 'data', 'disable']);
    expect(dataCommand(28, 'on')).toEqual(['svc', 'data', 'enable']);
  });

  it('airplane: cmd connectivity from API 30, setting plus broadcast before (root from API 24)', () => {
    expect(airplaneCommands(34, 'on')).toEqual([['cmd', 'connectivity', 'airplane-mode', 'enable']]);
    expect(airplaneCommands(29, 'off')).toEqual([
      ['settings', 'put', 'global', 'airplane_mode_on', '0'],
      ['am', 'broadcast', '-a', 'android.intent.action.AIRPLANE_MODE', '--ez', 'state', 'false'],
    ]);
    expect([airplaneNeedsRoot(34), airplaneNeedsRoot(29), airplaneNeedsRoot(19)]).toEqual([false, true, false]);
  });

  it('toggles run in the order airplane, WiFi, data', () => {
    expect(toggleCommands(34, { data: 'on', wifi: 'off', airplane: 'off' })).toEqual([
      ['cmd', 'connectivity', 'airplane-mode', 'disable'],
      ['cmd', '-w', 'wifi', 'set-wifi-enabled', 'disabled'],
      ['cmd', 'phone', 'data', 'enable'],
    ]);
  });

  it('root wrappers pass the script as one quoted word', () => {
    expect(asRoot('adbd', 'ip rule')).toBe('ip rule');
    expect(asRoot('su-c', "echo 'x'")).toBe(`su -c 'echo '\\''x'\\'''`);
    expect(asRoot('su-0', 'id -u')).toBe(`su 0 sh -c 'id -u'`);
  });
});

const SAMPLE = [
  '@@mplab:link',
  '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
  '2: wlan0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 02:00:00:00:01:02 brd ff:ff:ff:ff:ff:ff link-netns mplab-link',
  '3: rmnet0@if6: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/ether 02:00:00:00:02:02 brd ff:ff:ff:ff:ff:ff',
  '@@mplab:addr',
  '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
  '2: wlan0    inet 198.18.1.2/24 brd 198.18.1.255 scope global wlan0\\       valid_lft forever preferred_lft forever',
  '2: wlan0    inet6 fe80::ff:fe00:102/64 scope link \\       valid_lft forever preferred_lft forever',
  '@@mplab:route',
  '192.0.2.1 via 198.18.1.1 dev wlan0 src 198.18.1.2 uid 0 ',
  '    cache ',
  '@@mplab:defaults',
  'default via 198.18.1.1 dev wlan0 ',
  'default via 198.18.2.1 dev rmnet0 metric 200 ',
  '198.18.1.0/24 dev wlan0 proto kernel scope link src 198.18.1.2 ',
  '@@mplab:settings',
  'adb_enabled=1',
  'airplane_mode_on=0',
  'mobile_data=0',
  'wifi_on=1',
  'wifi_sleep_policy=2',
].join('\n');

describe('network state', () => {
  const state: NetState = parseNetState(SAMPLE, { wifi: 'wlan0', cellular: 'rmnet0' });

  it('reads links, addresses, route and settings from one script', () => {
    expect(netStateScript()).toContain("echo '@@mplab:route'; ip route get 192.0.2.1 2>&1");
    expect(state.wifi).toEqual({ name: 'wlan0', present: true, up: true, ipv4: ['198.18.1.2/24'], ipv6: [] });
    expect(state.cellular).toEqual({ name: 'rmnet0', present: true, up: false, ipv4: [], ipv6: [] });
    expect(state.route).toEqual({ dev: 'wlan0', via: '198.18.1.1', src: '198.18.1.2', table: null });
    expect(state.gateways).toEqual([
      { dev: 'wlan0', via: '198.18.1.1', table: null, metric: null },
      { dev: 'rmnet0', via: '198.18.2.1', table: null, metric: 200 },
    ]);
    expect(state.settings).toEqual({ wifiOn: '1', mobileData: '0', mobileDataAlwaysOn: null, airplaneModeOn: '0' });
  });

  it('says which goals are not met, with what it saw', () => {
    expect(unmetGoals(state, { wifi: 'on', default: 'wifi' })).toEqual([]);
    expect(unmetGoals(state, { data: 'on', wifi: 'off', default: 'cellular' })).toEqual([
      'WiFi off: want wlan0 down or without address, saw wlan0 up 198.18.1.2/24',
      'mobile data on: want rmnet0 up with an IPv4 address, saw rmnet0 down, no address',
      'default route on rmnet0: saw default route via wlan0 (gateway 198.18.1.1)',
    ]);
    const noRoute = parseNetState(SAMPLE.replace(/@@mplab:route\n[^@]*/, '@@mplab:route\nRTNETLINK answers: Network is unreachable\n'), { wifi: 'wlan0', cellular: 'rmnet0' });
    expect(unmetGoals(noRoute, { default: 'wifi' })).toEqual(['default route on wlan0: saw no default route (RTNETLINK answers: Network is unreachable)']);
  });

  it('airplane mode means both radios off unless WiFi is asked for', () => {
    expect(goalsOf({ airplane: 'on' })).toEqual({ wifi: 'off', data: 'off' });
    expect(goalsOf({ airplane: 'on', wifi: 'on' })).toEqual({ wifi: 'on', data: 'off' });
    expect(goalsOf({ wifi: 'on', default: 'wifi' })).toEqual({ wifi: 'on', default: 'wifi' });
  });

  it('policy routes: a table and a source rule per interface with an address, then the default rule', () => {
    const both = parseNetState(
      SAMPLE.replace('3: rmnet0@if6: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN', '3: rmnet0@if6: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP').replace(
        '@@mplab:route',
        '3: rmnet0    inet 198.18.2.2/24 brd 198.18.2.255 scope global rmnet0\n@@mplab:route',
      ),
      { wifi: 'wlan0', cellular: 'rmnet0' },
    );
    const { script, problems } = policyRouteScript(both, 'cellular');
    expect(problems).toEqual([]);
    expect(script.split('\n')).toEqual([
      'while ip rule del priority 9101 2>/dev/null; do :; done',
      'ip route flush table 7101 2>/dev/null; true',
      'ip route replace default via 198.18.1.1 dev wlan0 table 7101',
      'ip rule add from 198.18.1.2 lookup 7101 priority 9101',
      'while ip rule del priority 9102 2>/dev/null; do :; done',
      'ip route flush table 7102 2>/dev/null; true',
      'ip route replace default via 198.18.2.1 dev rmnet0 table 7102',
      'ip rule add from 198.18.2.2 lookup 7102 priority 9102',
      'while ip rule del priority 9190 2>/dev/null; do :; done',
      'ip rule add from all lookup 7102 priority 9190',
    ]);
    expect(policyRouteScript(state, 'cellular').problems).toEqual(['cannot make rmnet0 the default route: rmnet0 down, no address']);
    // a lab phone starts with these rules (lab up, as docs/lab.md, "Network", lists them for phone1
    // with the default route on cellular), so that the script above replaces them rather than adding to them
    const labPhone1 = [
      'ip route replace default via 198.18.1.1 dev wlan0 table 7101',
      'ip rule add from 198.18.1.2 lookup 7101 priority 9101',
      'ip route replace default via 198.18.1.1 dev wlan0 metric 100',
      'ip route replace default via 198.18.2.1 dev rmnet0 table 7102',
      'ip rule add from 198.18.2.2 lookup 7102 priority 9102',
      'ip route replace default via 198.18.2.1 dev rmnet0 metric 200',
      'ip rule add from all lookup 7102 priority 9190',
    ];
    expect([...policyRoutingCommands(labPlan('mplab', 1).phones[0]), ...defaultRouteCommands('cellular')].map((c) => c.join(' '))).toEqual(labPhone1);
    expect(script.split('\n').filter((l) => !l.includes('2>/dev/null'))).toEqual(labPhone1.filter((c) => !c.includes(' metric ')));
  });
});

describe('a phone already in the asked network is left alone', () => {
  // both radios on, the policy routes of a lab phone with the default route on WiFi
  const text = (rules: string, tables = ['default via 198.18.1.1 dev wlan0 table 7101 ', 'default via 198.18.2.1 dev rmnet0 table 7102 ']) =>
    SAMPLE.replace('3: rmnet0@if6: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN', '3: rmnet0@if6: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP')
      .replace('@@mplab:route', '3: rmnet0    inet 198.18.2.2/24 brd 198.18.2.255 scope global rmnet0\n@@mplab:route')
      .replace('@@mplab:defaults\n', `@@mplab:defaults\n${tables.join('\n')}\n`)
      .replace('mobile_data=0', 'mobile_data=1')
      .replace('@@mplab:settings', `@@mplab:rules\n${rules}\n@@mplab:settings`);
  const RULES = ['0:\tfrom all lookup local', '9000:\tfrom all uidrange 10000-19999 lookup 7100', '9101:\tfrom 198.18.1.2 lookup 7101', '9102:\tfrom 198.18.2.2 lookup 7102', '9190:\tfrom all lookup 7101', '32766:\tfrom all lookup main'];
  const ifaces = { wifi: 'wlan0', cellular: 'rmnet0' };

  it('reads the rules', () => {
    expect(parseIpRules(RULES.join('\n'))?.slice(1, 3)).toEqual([
      { priority: 9000, from: 'all', rest: 'uidrange 10000-19999 lookup 7100' },
      { priority: 9101, from: '198.18.1.2', rest: 'lookup 7101' },
    ]);
    expect(parseIpRules('RTNETLINK answers: Permission denied')).toBeNull();
    expect(parseNetState(SAMPLE, ifaces).rules).toBeNull();
  });

  it('policy routes in place only when every rule and table the script would write is there, once', () => {
    const ok = parseNetState(text(RULES.join('\n')), ifaces);
    expect(policyRoutesInPlace(ok, 'wifi')).toBe(true);
    expect(policyRoutesInPlace(ok, undefined)).toBe(true);
    expect(policyRoutesInPlace(ok, 'cellular')).toBe(false);
    // a rule twice, a rule missing, a rule of another address, a table without its route
    expect(policyRoutesInPlace(parseNetState(text([...RULES, '9101:\tfrom 198.18.1.2 lookup 7101'].join('\n')), ifaces), 'wifi')).toBe(false);
    expect(policyRoutesInPlace(parseNetState(text(RULES.filter((r) => !r.startsWith('9102')).join('\n')), ifaces), 'wifi')).toBe(false);
    expect(policyRoutesInPlace(parseNetState(text(RULES.join('\n').replace('from 198.18.1.2', 'from 198.18.1.7')), ifaces), 'wifi')).toBe(false);
    expect(policyRoutesInPlace(parseNetState(text(RULES.join('\n'), ['default via 198.18.2.1 dev rmnet0 table 7102 ']), ifaces), 'wifi')).toBe(false);
    // WiFi off: its rule must be gone
    const wifiOff = parseNetState(text(RULES.join('\n')).replace('2: wlan0    inet 198.18.1.2/24 brd 198.18.1.255 scope global wlan0', '2: wlan0    inet6 fe80::1/64 scope link'), ifaces);
    expect(policyRoutesInPlace(wifiOff, undefined)).toBe(false);
  });

  it('a toggle is needed unless the setting and the interface both say so already', () => {
    const ok = parseNetState(text(RULES.join('\n')), ifaces);
    expect(toggleNeeded(ok, 'wifi', 'on')).toBe(false);
    expect(toggleNeeded(ok, 'data', 'on')).toBe(false);
    expect(toggleNeeded(ok, 'wifi', 'off')).toBe(true);
    expect(toggleNeeded(state0(), 'data', 'on')).toBe(true);
    expect(toggleNeeded(state0(), 'data', 'off')).toBe(false);
    // the setting says off while the interface still has its address: toggle (Android may not have caught up)
    expect(toggleNeeded(parseNetState(text(RULES.join('\n')).replace('mobile_data=1', 'mobile_data=0'), ifaces), 'data', 'off')).toBe(true);
  });
});

function state0(): NetState {
  return parseNetState(SAMPLE, { wifi: 'wlan0', cellular: 'rmnet0' });
}
