import { describe, expect, it } from 'vitest';
import { planMptcpMode, type MptcpPlanInput } from '../../../framework/devices/mptcp-commands.js';
import { mptcpMismatches, parseMptcpState } from '../../../framework/devices/mptcp.js';
import { mptcpModeCommands } from '../../../testbed/lab/phone-net.js';
import { labPlan } from '../../../testbed/lab/plan.js';
import { MODES } from '../../../testbed/lab/profile.js';

const base: MptcpPlanInput = {
  kernel: 'upstream',
  mode: 'mptcp',
  wifi: { iface: 'wlan0', address: '198.18.1.2' },
  cellular: { iface: 'rmnet0', address: '198.18.2.2' },
  defaultIface: 'wifi',
  availableSchedulers: ['default'],
  availablePathManagers: ['kernel', 'userspace'],
  hasPathManagerSysctl: true,
};

describe('MPTCP on upstream kernels', () => {
  it('tcp: endpoints flushed, no subflows, MPTCP off', () => {
    expect(planMptcpMode({ ...base, mode: 'tcp' }).commands).toEqual([
      ['ip', 'mptcp', 'endpoint', 'flush'],
      ['ip', 'mptcp', 'limits', 'set', 'subflow', '0', 'add_addr_accepted', '0'],
      ['sysctl', '-w', 'net.mptcp.enabled=0'],
    ]);
  });

  it('mptcp: both addresses subflow endpoints, whichever interface is the default', () => {
    const plan = planMptcpMode(base);
    expect(plan.commands).toEqual([
      ['sysctl', '-w', 'net.mptcp.enabled=1'],
      ['ip', 'mptcp', 'endpoint', 'flush'],
      ['ip', 'mptcp', 'endpoint', 'add', '198.18.1.2', 'dev', 'wlan0', 'subflow'],
      ['ip', 'mptcp', 'endpoint', 'add', '198.18.2.2', 'dev', 'rmnet0', 'subflow'],
      ['ip', 'mptcp', 'limits', 'set', 'subflow', '2', 'add_addr_accepted', '2'],
    ]);
    expect(planMptcpMode({ ...base, defaultIface: 'cellular' })).toEqual(plan);
  });

  it('fullmesh and backup endpoints', () => {
    expect(planMptcpMode({ ...base, mode: 'fullmesh' }).expect.endpoints).toEqual([
      { address: '198.18.1.2', iface: 'wlan0', flags: ['subflow', 'fullmesh'] },
      { address: '198.18.2.2', iface: 'rmnet0', flags: ['subflow', 'fullmesh'] },
    ]);
    expect(planMptcpMode({ ...base, mode: 'backup' }).commands).toContainEqual(['ip', 'mptcp', 'endpoint', 'add', '198.18.2.2', 'dev', 'rmnet0', 'subflow', 'backup']);
    for (const defaultIface of ['wifi', 'cellular'] as const) {
      expect(planMptcpMode({ ...base, mode: 'backup', defaultIface }).expect.endpoints).toEqual([
        { address: '198.18.1.2', iface: 'wlan0', flags: ['subflow'] },
        { address: '198.18.2.2', iface: 'rmnet0', flags: ['subflow', 'backup'] },
      ]);
    }
  });

  it("gives a lab phone's modes the same endpoints, limits and sysctl as `lab up --mode`, command for command", () => {
    // phone1 of a lab: wlan0 198.18.1.2, rmnet0 198.18.2.2 (README, "Virtual lab")
    const expected: Record<(typeof MODES)[number], string[]> = {
      tcp: ['ip mptcp endpoint flush', 'ip mptcp limits set subflow 0 add_addr_accepted 0', 'net.mptcp.enabled=0'],
      mptcp: ['ip mptcp endpoint flush', 'ip mptcp endpoint add 198.18.1.2 dev wlan0 subflow', 'ip mptcp endpoint add 198.18.2.2 dev rmnet0 subflow', 'ip mptcp limits set subflow 2 add_addr_accepted 2', 'net.mptcp.enabled=1'],
      backup: ['ip mptcp endpoint flush', 'ip mptcp endpoint add 198.18.1.2 dev wlan0 subflow', 'ip mptcp endpoint add 198.18.2.2 dev rmnet0 subflow backup', 'ip mptcp limits set subflow 2 add_addr_accepted 2', 'net.mptcp.enabled=1'],
      fullmesh: ['ip mptcp endpoint flush', 'ip mptcp endpoint add 198.18.1.2 dev wlan0 subflow fullmesh', 'ip mptcp endpoint add 198.18.2.2 dev rmnet0 subflow fullmesh', 'ip mptcp limits set subflow 8 add_addr_accepted 8', 'net.mptcp.enabled=1'],
    };
    // the commands as text, a sysctl as its setting (the lab runs `sysctl -q -w`, the controller `sysctl -w`)
    const asText = (commands: ReadonlyArray<readonly string[]>) => commands.map((c) => (c[0] === 'sysctl' ? c[c.length - 1] : c.join(' '))).sort();
    const phone = labPlan('mplab', 1).phones[0];
    for (const mode of MODES) {
      expect(asText(mptcpModeCommands(phone, mode)), `lab up --mode ${mode}`).toEqual([...expected[mode]].sort());
      for (const defaultIface of ['wifi', 'cellular'] as const) {
        expect(asText(planMptcpMode({ ...base, mode, defaultIface }).commands), `mplab device ... mptcp ${mode}, default ${defaultIface}`).toEqual([...expected[mode]].sort());
      }
    }
    expect(() => planMptcpMode({ ...base, wifi: { iface: 'wlan0', address: null } })).toThrow('mode mptcp needs an IPv4 address on wlan0');
  });

  it('scheduler and path manager through their sysctls, checked against what the kernel offers', () => {
    const plan = planMptcpMode({ ...base, mode: 'fullmesh', scheduler: 'default', pathManager: 'kernel' });
    expect(plan.commands.slice(0, 3)).toEqual([
      ['sysctl', '-w', 'net.mptcp.enabled=1'],
      ['sysctl', '-w', 'net.mptcp.path_manager=kernel'],
      ['sysctl', '-w', 'net.mptcp.scheduler=default'],
    ]);
    expect(planMptcpMode({ ...base, pathManager: 'userspace', hasPathManagerSysctl: false }).commands).toContainEqual(['sysctl', '-w', 'net.mptcp.pm_type=1']);
    expect(() => planMptcpMode({ ...base, mode: 'roundrobin' })).toThrow('scheduler "roundrobin" is not available on this kernel (net.mptcp.available_schedulers: default)');
    expect(() => planMptcpMode({ ...base, pathManager: 'fullmesh' })).toThrow(/path manager "fullmesh" is not available/);
    expect(() => planMptcpMode({ ...base, scheduler: 'x; reboot' })).toThrow(/expected a kernel name/);
  });

  it('refuses what the kernel cannot do', () => {
    expect(() => planMptcpMode({ ...base, mode: 'ndiffports' })).toThrow(/needs the multipath-tcp.org kernel/);
    expect(() => planMptcpMode({ ...base, kernel: 'none' })).toThrow(/no MPTCP kernel/);
    expect(() => planMptcpMode({ ...base, cellular: { iface: 'rmnet0', address: null } })).toThrow('mode mptcp needs an IPv4 address on rmnet0, which has none (is it up?)');
  });
});

describe('MPTCP on multipath-tcp.org kernels', () => {
  const oot: MptcpPlanInput = { ...base, kernel: 'multipath-tcp.org', availableSchedulers: null, availablePathManagers: null };
  it('modes are sysctls and per-interface multipath flags', () => {
    expect(planMptcpMode({ ...oot, mode: 'tcp' }).commands).toEqual([['sysctl', '-w', 'net.mptcp.mptcp_enabled=0']]);
    expect(planMptcpMode({ ...oot, mode: 'fullmesh' }).commands).toEqual([
      ['sysctl', '-w', 'net.mptcp.mptcp_enabled=1'],
      ['sysctl', '-w', 'net.mptcp.mptcp_path_manager=fullmesh'],
      ['sysctl', '-w', 'net.mptcp.mptcp_scheduler=default'],
      ['ip', 'link', 'set', 'dev', 'wlan0', 'multipath', 'on'],
      ['ip', 'link', 'set', 'dev', 'rmnet0', 'multipath', 'on'],
    ]);
    expect(planMptcpMode({ ...oot, mode: 'backup' }).commands).toContainEqual(['ip', 'link', 'set', 'dev', 'rmnet0', 'multipath', 'backup']);
    expect(planMptcpMode({ ...oot, mode: 'roundrobin' }).commands).toContainEqual(['sysctl', '-w', 'net.mptcp.mptcp_scheduler=roundrobin']);
    const nd = planMptcpMode({ ...oot, mode: 'ndiffports' });
    expect(nd.commands).toContainEqual(['sysctl', '-w', 'net.mptcp.mptcp_path_manager=ndiffports']);
    expect(nd.commands).toContainEqual(['ip', 'link', 'set', 'dev', 'rmnet0', 'multipath', 'off']);
    expect(planMptcpMode({ ...oot, mode: 'mptcp', pathManager: 'binder', scheduler: 'redundant' }).expect).toMatchObject({ pathManager: 'binder', scheduler: 'redundant' });
  });
});

describe('MPTCP state read back', () => {
  const upstream = [
    '@@mplab:enabled', '1', '@@mplab:scheduler', 'default', '@@mplab:path_manager', 'kernel', '@@mplab:pm_type', '0',
    '@@mplab:available_schedulers', 'default', '@@mplab:available_path_managers', 'kernel userspace',
    '@@mplab:endpoints', '198.18.2.2 id 1 subflow backup dev rmnet0 ',
    '@@mplab:limits', 'add_addr_accepted 2 subflows 2 ',
    '@@mplab:link', '2: wlan0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP',
  ].join('\n');

  it('parses the upstream sysctls, endpoints and limits', () => {
    const s = parseMptcpState(upstream);
    expect(s).toMatchObject({
      kernel: 'upstream',
      enabled: true,
      scheduler: 'default',
      pathManager: 'kernel',
      availableSchedulers: ['default'],
      hasPathManagerSysctl: true,
      endpoints: [{ address: '198.18.2.2', id: 1, dev: 'rmnet0', flags: ['subflow', 'backup'] }],
      limits: { subflows: 2, addAddrAccepted: 2 },
    });
    expect(mptcpMismatches(planMptcpMode({ ...base, mode: 'backup' }), s)).toEqual(['endpoints [198.18.1.2 dev wlan0 subflow; 198.18.2.2 dev rmnet0 backup,subflow] wanted, are [198.18.2.2 dev rmnet0 backup,subflow]']);
    expect(mptcpMismatches(planMptcpMode({ ...base, mode: 'fullmesh' }), s)).toEqual([
      'endpoints [198.18.1.2 dev wlan0 fullmesh,subflow; 198.18.2.2 dev rmnet0 fullmesh,subflow] wanted, are [198.18.2.2 dev rmnet0 backup,subflow]',
    ]);
  });

  it('recognises multipath-tcp.org kernels and their link flags, and kernels without MPTCP', () => {
    const s = parseMptcpState(
      ['@@mplab:mptcp_enabled', '1', '@@mplab:mptcp_path_manager', 'fullmesh', '@@mplab:mptcp_scheduler', 'default', '@@mplab:link',
        '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536', '4: wlan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500', '5: rmnet0: <POINTOPOINT,MPBACKUP,UP,LOWER_UP> mtu 1500'].join('\n'),
    );
    expect(s).toMatchObject({ kernel: 'multipath-tcp.org', enabled: true, pathManager: 'fullmesh', multipath: { wlan0: 'on', rmnet0: 'backup' } });
    expect(mptcpMismatches(planMptcpMode({ ...base, kernel: 'multipath-tcp.org', mode: 'backup' }), s)).toEqual([]);
    expect(parseMptcpState('@@mplab:endpoints\n@@mplab:limits\n@@mplab:link\n').kernel).toBe('none');
  });
});
