/**
 * A phone's routing and upstream-MPTCP mode as mplab sets them: one definition for a real rooted
 * phone (the device controller, framework/devices/, through adb) and for a lab phone (the lab
 * sets the same at `lab up`, testbed/lab/phone-net.ts), so that a mode or a default route means
 * the same on both, and the controller's later changes replace the lab's rules instead of
 * adding to them.
 *
 * Routing: each interface with an address gets its own table, with a rule `from ADDR lookup
 * TABLE` so that a subflow bound to that address leaves by its interface; the default route is
 * the rule `from all lookup TABLE` of the chosen interface. All priorities are below Android's
 * netd rules (10000 and up), so they win over them; when the chosen interface has no route
 * (it went down), lookups fall through to what comes after (netd's default network on a phone,
 * the main table on a lab phone, which, as Android, prefers WiFi).
 *
 * MPTCP modes (upstream in-kernel path manager): every interface's address is an endpoint, so a
 * mode keeps working after the default route is switched: the kernel never opens a second
 * subflow from the initial subflow's address, so exactly one extra subflow leaves by the other
 * interface, whichever of the two carries the initial subflow.
 *
 *   mptcp      both addresses `subflow`
 *   backup     both `subflow`, the cellular one also `backup`
 *   fullmesh   both `subflow fullmesh` (also roundrobin and redundant, which add a scheduler)
 */
export type PhoneLinkKind = 'wifi' | 'cellular';

export const PHONE_POLICY = {
  wifi: { table: 7101, priority: 9101 },
  cellular: { table: 7102, priority: 9102 },
  /** `from all lookup TABLE`: the default route on the chosen interface */
  defaultPriority: 9190,
} as const;

/** Routes of the main table of a lab phone (and the fixture phones): Android's own order when nothing else decides, WiFi first. */
export const FALLBACK_METRIC: Record<PhoneLinkKind, number> = { wifi: 100, cellular: 200 };

/** The table and source rule of one interface: `ip route replace default ... table T`, `ip rule add from ADDR lookup T priority P`. */
export function sourceRouteCommands(kind: PhoneLinkKind, link: { iface: string; address: string; gateway: string | null }): string[][] {
  const { table, priority } = PHONE_POLICY[kind];
  const route = ['ip', 'route', 'replace', 'default', ...(link.gateway ? ['via', link.gateway] : []), 'dev', link.iface, 'table', String(table)];
  return [route, ['ip', 'rule', 'add', 'from', link.address, 'lookup', String(table), 'priority', String(priority)]];
}

/** The rule that puts the default route on `kind`'s interface. */
export function defaultRuleCommand(kind: PhoneLinkKind): string[] {
  return ['ip', 'rule', 'add', 'from', 'all', 'lookup', String(PHONE_POLICY[kind].table), 'priority', String(PHONE_POLICY.defaultPriority)];
}

export const MULTIPATH_MODES = ['mptcp', 'backup', 'fullmesh', 'roundrobin', 'redundant'] as const;
export type MultipathMode = (typeof MULTIPATH_MODES)[number];

export interface EndpointSpec {
  address: string;
  iface: string;
  flags: string[];
}

/** The endpoints of a mode that uses several paths, WiFi first. */
export function modeEndpoints(mode: MultipathMode, wifi: { iface: string; address: string }, cellular: { iface: string; address: string }): EndpointSpec[] {
  const flags = (kind: PhoneLinkKind): string[] => {
    if (mode === 'mptcp') return ['subflow'];
    if (mode === 'backup') return kind === 'cellular' ? ['subflow', 'backup'] : ['subflow'];
    return ['subflow', 'fullmesh'];
  };
  return [
    { address: wifi.address, iface: wifi.iface, flags: flags('wifi') },
    { address: cellular.address, iface: cellular.iface, flags: flags('cellular') },
  ];
}

/** `ip mptcp endpoint add ADDR dev IFACE FLAGS...` */
export function endpointCommand(ep: EndpointSpec): string[] {
  return ['ip', 'mptcp', 'endpoint', 'add', ep.address, 'dev', ep.iface, ...ep.flags];
}

/** `ip mptcp limits set`: 0 for tcp, 2 (one extra subflow, one accepted address) for mptcp and backup, 8 for the fullmesh modes. */
export function limitsCommand(mode: MultipathMode | 'tcp'): string[] {
  const n = mode === 'tcp' ? 0 : mode === 'mptcp' || mode === 'backup' ? 2 : 8;
  return ['ip', 'mptcp', 'limits', 'set', 'subflow', String(n), 'add_addr_accepted', String(n)];
}
