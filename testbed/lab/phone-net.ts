import type { MptcpMode } from './profile.js';
import type { LinkKind, PhonePlan } from './plan.js';

/**
 * The commands that set a virtual phone's routing and MPTCP mode, run inside the phone's
 * namespace. They are plain `ip` and `sysctl` commands so that whatever controls the phone
 * (the lab at start, later the device controller through adb) can run the same ones:
 *
 *   per-interface policy routing (set once):
 *     ip route add default via 198.18.1.1 dev wlan0 table 10;  ip rule add from 198.18.1.2 lookup 10 pref 100
 *     ip route add default via 198.18.2.1 dev rmnet0 table 20; ip rule add from 198.18.2.2 lookup 20 pref 100
 *   default route (main table):
 *     ip route replace default via 198.18.1.1 dev wlan0          (or via 198.18.2.1 dev rmnet0)
 *   MPTCP mode:
 *     tcp       sysctl -w net.mptcp.enabled=0 (the kernel refuses IPPROTO_MPTCP sockets); no endpoints
 *     mptcp     net.mptcp.enabled=1; both addresses `subflow` endpoints
 *     backup    as mptcp, the cellular endpoint flagged `backup`
 *     fullmesh  both addresses `subflow fullmesh` endpoints
 */
export type Command = readonly string[];

export function policyRoutingCommands(phone: PhonePlan): Command[] {
  return [phone.wifi, phone.cellular].flatMap((link) => [
    ['ip', 'route', 'replace', 'default', 'via', link.gateway, 'dev', link.iface, 'table', String(link.phoneTable)],
    ['ip', 'rule', 'add', 'from', link.ip, 'lookup', String(link.phoneTable), 'pref', '100'],
  ]);
}

export function defaultRouteCommands(phone: PhonePlan, via: LinkKind): Command[] {
  const link = phone[via];
  return [['ip', 'route', 'replace', 'default', 'via', link.gateway, 'dev', link.iface]];
}

export function mptcpModeCommands(phone: PhonePlan, mode: MptcpMode): Command[] {
  const commands: Command[] = [['ip', 'mptcp', 'endpoint', 'flush']];
  if (mode === 'tcp') {
    commands.push(['sysctl', '-q', '-w', 'net.mptcp.enabled=0'], ['ip', 'mptcp', 'limits', 'set', 'subflows', '0', 'add_addr_accepted', '0']);
    return commands;
  }
  commands.push(['sysctl', '-q', '-w', 'net.mptcp.enabled=1']);
  const fullmesh = mode === 'fullmesh';
  commands.push(['ip', 'mptcp', 'limits', 'set', 'subflows', fullmesh ? '8' : '2', 'add_addr_accepted', fullmesh ? '8' : '2']);
  for (const link of [phone.wifi, phone.cellular]) {
    const flags = ['subflow'];
    if (mode === 'backup' && link.kind === 'cellular') flags.push('backup');
    if (fullmesh) flags.push('fullmesh');
    commands.push(['ip', 'mptcp', 'endpoint', 'add', link.ip, 'dev', link.iface, ...flags]);
  }
  return commands;
}
