import { describe, expect, it } from 'vitest';
import { defaultRouteCommands, mptcpModeCommands, policyRoutingCommands } from '../../../testbed/lab/phone-net.js';
import { labNamespaces, labPlan } from '../../../testbed/lab/plan.js';

describe('lab plan', () => {
  it('gives phone k the WiFi subnet 198.18.(2k-1).0/24 and the cellular subnet 198.18.(2k).0/24', () => {
    const plan = labPlan('mplab', 3);
    expect(plan.phones.map((p) => [p.netns, p.wifi.ip, p.cellular.ip])).toEqual([
      ['mplab-phone1', '198.18.1.2', '198.18.2.2'],
      ['mplab-phone2', '198.18.3.2', '198.18.4.2'],
      ['mplab-phone3', '198.18.5.2', '198.18.6.2'],
    ]);
    expect(plan.phones[1].wifi).toMatchObject({ iface: 'wlan0', gateway: '198.18.3.1', linksIface: 'p2w', tun: { up: 'p2w-up', down: 'p2w-dn' }, linkName: 'phone2.wifi' });
    const tables = plan.phones.flatMap((p) => [p.wifi, p.cellular]).flatMap((l) => [l.linksTables.up, l.linksTables.down]);
    expect(new Set(tables).size).toBe(tables.length);
    for (const dev of plan.phones.flatMap((p) => [p.wifi.tun.up, p.cellular.tun.down])) expect(dev.length).toBeLessThanOrEqual(15);
    expect(plan.proxy.ip).toBe('198.18.0.1');
    expect(plan.origin.ip).toBe('198.19.0.2');
  });

  it('uses only 198.18.0.0/15', () => {
    const plan = labPlan('mplab', 32);
    const addresses = [plan.proxy.ip, plan.proxy.linksIp, plan.proxy.originSideIp, plan.origin.ip, ...plan.origin.appAddresses, ...plan.phones.flatMap((p) => [p.wifi.ip, p.wifi.gateway, p.cellular.ip, p.cellular.gateway])];
    for (const a of addresses) expect(a).toMatch(/^198\.1[89]\.\d+\.\d+$/);
    // every app server has an address of its own, outside the lab's links
    expect(new Set(addresses).size).toBe(addresses.length);
    expect(plan.origin.appAddresses.length).toBeGreaterThanOrEqual(30);
    for (const a of plan.origin.appAddresses) expect(a).toMatch(/^198\.19\.[12]\.\d+$/);
  });

  it('rejects bad names and phone counts', () => {
    expect(() => labPlan('lab', 1)).toThrow(/expected "mplab" followed by/);
    expect(() => labPlan('mplab-x', 1)).toThrow(/expected "mplab" followed by/);
    expect(() => labPlan('mplab', 0)).toThrow(/phones: expected a whole number from 1 to 32/);
  });

  it('recognizes only its own namespaces, not those of a lab whose name starts the same', () => {
    const all = ['mplab-phone1', 'mplab-links', 'mplab-proxy', 'mplab-origin', 'mplabx-phone1', 'mplab-phone1x', 'mplabt12x1-a', 'mplab-phone12'];
    expect(labNamespaces('mplab', all)).toEqual(['mplab-phone1', 'mplab-links', 'mplab-proxy', 'mplab-origin', 'mplab-phone12']);
    expect(labNamespaces('mplabx', all)).toEqual(['mplabx-phone1']);
  });
});

describe('phone routing and MPTCP mode commands', () => {
  const phone = labPlan('mplab', 1).phones[0];

  it("routes each source address through its own interface, with the device controller's tables and priorities", () => {
    expect(policyRoutingCommands(phone)).toEqual([
      ['ip', 'route', 'replace', 'default', 'via', '198.18.1.1', 'dev', 'wlan0', 'table', '7101'],
      ['ip', 'rule', 'add', 'from', '198.18.1.2', 'lookup', '7101', 'priority', '9101'],
      ['ip', 'route', 'replace', 'default', 'via', '198.18.1.1', 'dev', 'wlan0', 'metric', '100'],
      ['ip', 'route', 'replace', 'default', 'via', '198.18.2.1', 'dev', 'rmnet0', 'table', '7102'],
      ['ip', 'rule', 'add', 'from', '198.18.2.2', 'lookup', '7102', 'priority', '9102'],
      ['ip', 'route', 'replace', 'default', 'via', '198.18.2.1', 'dev', 'rmnet0', 'metric', '200'],
    ]);
    expect(defaultRouteCommands('cellular')).toEqual([['ip', 'rule', 'add', 'from', 'all', 'lookup', '7102', 'priority', '9190']]);
  });

  it('sets endpoints per mode', () => {
    const endpoints = (mode: Parameters<typeof mptcpModeCommands>[1]) => mptcpModeCommands(phone, mode).filter((c) => c[3] === 'add').map((c) => c.slice(4).join(' '));
    expect(endpoints('tcp')).toEqual([]);
    expect(mptcpModeCommands(phone, 'tcp')).toContainEqual(['sysctl', '-q', '-w', 'net.mptcp.enabled=0']);
    expect(endpoints('mptcp')).toEqual(['198.18.1.2 dev wlan0 subflow', '198.18.2.2 dev rmnet0 subflow']);
    expect(endpoints('backup')).toEqual(['198.18.1.2 dev wlan0 subflow', '198.18.2.2 dev rmnet0 subflow backup']);
    expect(endpoints('fullmesh')).toEqual(['198.18.1.2 dev wlan0 subflow fullmesh', '198.18.2.2 dev rmnet0 subflow fullmesh']);
    for (const mode of ['mptcp', 'backup', 'fullmesh'] as const) {
      expect(mptcpModeCommands(phone, mode)[0]).toEqual(['ip', 'mptcp', 'endpoint', 'flush']);
      expect(mptcpModeCommands(phone, mode)).toContainEqual(['sysctl', '-q', '-w', 'net.mptcp.enabled=1']);
    }
  });
});
