import type { Device } from './device.js';
import { parseDefaultRoutes, parseIpAddr, parseIpLink, parseRouteGet, parseSetting, parseSettingsList, sectionStart, splitSections, type InterfaceState, type RouteLookup } from './parse.js';

/**
 * The phone's network as it is now, read in one shell call: links, addresses, the route a packet
 * to 192.0.2.1 would take (TEST-NET-1: a route lookup only, nothing is sent), the default
 * routes of every table (for gateways), and the Android settings for WiFi, data and airplane.
 */
export const ROUTE_PROBE = '192.0.2.1';

export interface IfaceView {
  name: string;
  present: boolean;
  up: boolean;
  ipv4: string[];
  ipv6: string[];
}

export interface NetState {
  wifi: IfaceView;
  cellular: IfaceView;
  /** The interface and gateway a packet without a bound source would leave by; null when there is no route. */
  route: RouteLookup | null;
  routeError: string | null;
  gateways: Array<{ dev: string; via: string | null; table: string | null; metric: number | null }>;
  settings: { wifiOn: string | null; mobileData: string | null; mobileDataAlwaysOn: string | null; airplaneModeOn: string | null };
  /** `ip -4 rule show`, for the policy routes; null when it could not be read. */
  rules: IpRule[] | null;
}

export interface IpRule {
  priority: number;
  /** "all" or an address */
  from: string;
  /** what follows "from X": "lookup 7101", "uidrange 10000-19999 lookup 7100", ... */
  rest: string;
}

/** `ip rule show`: "9101:\tfrom 198.18.1.2 lookup 7101". */
export function parseIpRules(text: string): IpRule[] | null {
  const rules: IpRule[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const m = /^(\d+):\s+from\s+(\S+)\s*(.*)$/.exec(line.trim());
    if (!m) return null;
    rules.push({ priority: Number(m[1]), from: m[2]!, rest: m[3]!.replace(/\s+/g, ' ').trim() });
  }
  return rules;
}

export function netStateScript(): string {
  const parts: Array<[string, string]> = [
    ['link', 'ip -o link show'],
    ['addr', 'ip -o addr show'],
    ['route', `ip route get ${ROUTE_PROBE} 2>&1`],
    ['defaults', 'ip -4 route show table all 2>/dev/null'],
    ['rules', 'ip -4 rule show 2>/dev/null'],
    // one `settings list` instead of a `settings get` per key: one command to start, not four
    ['settings', 'settings list global'],
  ];
  return parts.map(([name, cmd]) => `${sectionStart(name)}; ${cmd}`).join('; ');
}

export function parseNetState(text: string, ifaces: { wifi: string; cellular: string }): NetState {
  const s = splitSections(text);
  const links = parseIpAddr(s.get('addr') ?? '', parseIpLink(s.get('link') ?? ''));
  const globals = parseSettingsList(s.get('settings') ?? '');
  const view = (name: string): IfaceView => {
    const l: InterfaceState | undefined = links.get(name);
    return { name, present: Boolean(l), up: Boolean(l?.up), ipv4: l?.ipv4 ?? [], ipv6: (l?.ipv6 ?? []).filter((a) => !a.startsWith('fe80:')) };
  };
  const routeText = s.get('route') ?? '';
  const route = parseRouteGet(routeText);
  return {
    wifi: view(ifaces.wifi),
    cellular: view(ifaces.cellular),
    route,
    routeError: route ? null : routeText.trim() || 'no route',
    gateways: parseDefaultRoutes(s.get('defaults') ?? ''),
    settings: {
      wifiOn: parseSetting(globals.get('wifi_on') ?? ''),
      mobileData: parseSetting(globals.get('mobile_data') ?? ''),
      mobileDataAlwaysOn: parseSetting(globals.get('mobile_data_always_on') ?? ''),
      airplaneModeOn: parseSetting(globals.get('airplane_mode_on') ?? ''),
    },
    rules: s.has('rules') ? parseIpRules(s.get('rules') ?? '') : null,
  };
}

export async function readNetState(device: Device): Promise<NetState> {
  const r = await device.shell({ script: netStateScript() }, { timeoutMs: 20_000 });
  return parseNetState(r.stdout.toString('utf8'), device.config.interfaces);
}

/** "wlan0 up 198.18.1.2/24", "rmnet0 down, no address", "rmnet0 missing". */
export function describeIface(v: IfaceView): string {
  if (!v.present) return `${v.name} missing`;
  const addrs = [...v.ipv4, ...v.ipv6];
  return `${v.name} ${v.up ? 'up' : 'down'}${addrs.length ? ` ${addrs.join(' ')}` : ', no address'}`;
}

export function describeRoute(state: { route: Pick<RouteLookup, 'dev' | 'via'> | null; routeError: string | null }): string {
  if (!state.route) return `no default route (${state.routeError})`;
  return `default route via ${state.route.dev}${state.route.via ? ` (gateway ${state.route.via})` : ''}`;
}

export function ipv4Address(v: IfaceView): string | null {
  const cidr = v.ipv4[0];
  return cidr ? cidr.split('/')[0] : null;
}
