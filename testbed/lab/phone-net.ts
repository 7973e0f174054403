import { defaultRuleCommand, endpointCommand, FALLBACK_METRIC, limitsCommand, modeEndpoints, sourceRouteCommands } from '../../common/phone-policy.js';
import type { MptcpMode } from './profile.js';
import type { LinkKind, PhonePlan } from './plan.js';

/**
 * The commands that set a virtual phone's routing and MPTCP mode, run inside the phone's
 * namespace. They are the device controller's own (common/phone-policy.ts), so that a lab phone
 * starts as `mplab device ... net` and `mptcp` would leave it, and the controller's later changes
 * (through adb) replace these rules and endpoints instead of adding to them:
 *
 *   per-interface policy routing (set once):
 *     ip route replace default via 198.18.1.1 dev wlan0 table 7101;  ip rule add from 198.18.1.2 lookup 7101 priority 9101
 *     ip route replace default via 198.18.2.1 dev rmnet0 table 7102; ip rule add from 198.18.2.2 lookup 7102 priority 9102
 *     main table, Android's own choice when the chosen interface has no route (WiFi first):
 *     ip route replace default via 198.18.1.1 dev wlan0 metric 100; ip route replace default via 198.18.2.1 dev rmnet0 metric 200
 *   default route:
 *     ip rule add from all lookup 7101 priority 9190          (7102: cellular)
 *   MPTCP mode:
 *     tcp       sysctl -w net.mptcp.enabled=0 (the kernel refuses IPPROTO_MPTCP sockets); no endpoints
 *     mptcp     net.mptcp.enabled=1; both addresses `subflow` endpoints
 *     backup    as mptcp, the cellular endpoint flagged `backup`
 *     fullmesh  both addresses `subflow fullmesh` endpoints
 */
export type Command = readonly string[];

export function policyRoutingCommands(phone: PhonePlan): Command[] {
  return [phone.wifi, phone.cellular].flatMap((link) => [
    ...sourceRouteCommands(link.kind, { iface: link.iface, address: link.ip, gateway: link.gateway }),
    ['ip', 'route', 'replace', 'default', 'via', link.gateway, 'dev', link.iface, 'metric', String(FALLBACK_METRIC[link.kind])],
  ]);
}

export function defaultRouteCommands(via: LinkKind): Command[] {
  return [defaultRuleCommand(via)];
}

export function mptcpModeCommands(phone: PhonePlan, mode: MptcpMode): Command[] {
  const commands: Command[] = [['ip', 'mptcp', 'endpoint', 'flush']];
  if (mode === 'tcp') {
    commands.push(['sysctl', '-q', '-w', 'net.mptcp.enabled=0'], limitsCommand('tcp'));
    return commands;
  }
  commands.push(['sysctl', '-q', '-w', 'net.mptcp.enabled=1'], limitsCommand(mode));
  const side = (link: PhonePlan['wifi']) => ({ iface: link.iface, address: link.ip });
  for (const ep of modeEndpoints(mode, side(phone.wifi), side(phone.cellular))) commands.push(endpointCommand(ep));
  return commands;
}
