/**
 * Parsers for what Android's shell prints: getprop, settings, dumpsys battery/power/window, and
 * iproute2 (ip -o addr, ip -o link, ip route get, ip mptcp). Pure and tolerant: a field that is
 * not found is null, never a guess.
 */

/** `getprop` lines: "[ro.build.version.sdk]: [34]". */
export function parseGetprop(text: string): Record<string, string> {
  const props: Record<string, string> = {};
  const re = /^\[([^\]]+)\]: \[([\s\S]*?)\]\r?$/gm;
  for (const m of text.matchAll(re)) props[m[1]] = m[2];
  return props;
}

/** `settings get` prints the value or "null". */
export function parseSetting(text: string): string | null {
  const value = text.trim();
  return value === '' || value === 'null' ? null : value;
}

/** `settings list NAMESPACE`: one key=value per line (a key never set is not listed: get says "null"). */
export function parseSettingsList(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

export interface Battery {
  level: number | null;
  /** degrees Celsius (dumpsys reports tenths) */
  temperatureC: number | null;
  powered: { ac: boolean | null; usb: boolean | null; wireless: boolean | null };
}

function field(text: string, name: string): string | null {
  const m = new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*[:=]\\s*(.*?)\\s*$`, 'm').exec(text);
  return m ? m[1] : null;
}

function num(value: string | null): number | null {
  if (value === null || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function bool(value: string | null): boolean | null {
  if (value === null) return null;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  return null;
}

export function parseBattery(text: string): Battery {
  const level = num(field(text, 'level'));
  const scale = num(field(text, 'scale'));
  const temp = num(field(text, 'temperature'));
  return {
    level: level === null ? null : scale && scale !== 100 ? Math.round((100 * level) / scale) : level,
    temperatureC: temp === null ? null : temp / 10,
    powered: { ac: bool(field(text, 'AC powered')), usb: bool(field(text, 'USB powered')), wireless: bool(field(text, 'Wireless powered')) },
  };
}

/** Screen on, from `dumpsys power`: mWakefulness (Android 5+), Display Power, or mScreenOn (older). */
export function parseScreenOn(text: string): boolean | null {
  const wake = field(text, 'mWakefulness');
  if (wake !== null) return /^awake$/i.test(wake);
  const display = /Display Power: state=(\w+)/.exec(text);
  if (display) return display[1].toUpperCase() === 'ON';
  return bool(field(text, 'mScreenOn'));
}

/** Keyguard showing, from `dumpsys window` (the field names moved between releases). */
export function parseLocked(text: string): boolean | null {
  let seen = false;
  for (const name of ['mKeyguardShowing', 'mShowingLockscreen', 'mDreamingLockscreen', 'isStatusBarKeyguard', 'mIsKeyguardShowing']) {
    for (const m of text.matchAll(new RegExp(`${name}=(true|false)`, 'g'))) {
      seen = true;
      if (m[1] === 'true') return true;
    }
  }
  return seen ? false : null;
}

export interface InterfaceState {
  name: string;
  up: boolean;
  /** "UP", "DOWN", "UNKNOWN", ... as ip reports the operational state */
  operState: string | null;
  flags: string[];
  ipv4: string[];
  ipv6: string[];
}

/** `ip -o link show`: "3: wlan0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ... state UP ...". */
export function parseIpLink(text: string): Map<string, InterfaceState> {
  const out = new Map<string, InterfaceState>();
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)(?:@[^:\s]+)?:\s+<([^>]*)>(.*)$/.exec(line.trim());
    if (!m) continue;
    const flags = m[2] ? m[2].split(',') : [];
    const state = /\bstate (\S+)/.exec(m[3]);
    out.set(m[1], { name: m[1], up: flags.includes('UP'), operState: state ? state[1] : null, flags, ipv4: [], ipv6: [] });
  }
  return out;
}

/** Adds `ip -o addr show` addresses ("2: wlan0    inet 198.18.1.2/24 brd ... scope global wlan0") to the links. */
export function parseIpAddr(text: string, links: Map<string, InterfaceState> = new Map()): Map<string, InterfaceState> {
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)(?:@\S+)?\s+(inet6?)\s+(\S+)/.exec(line.trim());
    if (!m) continue;
    let iface = links.get(m[1]);
    if (!iface) {
      iface = { name: m[1], up: false, operState: null, flags: [], ipv4: [], ipv6: [] };
      links.set(m[1], iface);
    }
    (m[2] === 'inet' ? iface.ipv4 : iface.ipv6).push(m[3]);
  }
  return links;
}

export interface RouteLookup {
  dev: string | null;
  via: string | null;
  src: string | null;
  table: string | null;
}

/** `ip route get ADDR`: "192.0.2.1 via 198.18.1.1 dev wlan0 table 1021 src 198.18.1.2 uid 0". */
export function parseRouteGet(text: string): RouteLookup | null {
  const line = text.split('\n').find((l) => /\bdev\s/.test(l));
  if (!line) return null;
  const get = (key: string): string | null => new RegExp(`\\b${key}\\s+(\\S+)`).exec(line)?.[1] ?? null;
  return { dev: get('dev'), via: get('via'), src: get('src'), table: get('table') };
}

/** Default routes of `ip -4 route show table all`: the gateway per interface, when there is one. */
export function parseDefaultRoutes(text: string): Array<{ dev: string; via: string | null; table: string | null; metric: number | null }> {
  const out: Array<{ dev: string; via: string | null; table: string | null; metric: number | null }> = [];
  for (const line of text.split('\n')) {
    if (!/^default\s/.test(line.trim())) continue;
    const dev = /\bdev\s+(\S+)/.exec(line)?.[1];
    if (!dev) continue;
    out.push({
      dev,
      via: /\bvia\s+(\S+)/.exec(line)?.[1] ?? null,
      table: /\btable\s+(\S+)/.exec(line)?.[1] ?? null,
      metric: num(/\bmetric\s+(\d+)/.exec(line)?.[1] ?? null),
    });
  }
  return out;
}

export interface MptcpEndpoint {
  address: string;
  id: number | null;
  dev: string | null;
  flags: string[];
}

const ENDPOINT_FLAGS = new Set(['signal', 'subflow', 'backup', 'fullmesh', 'implicit', 'laminar']);

/** `ip mptcp endpoint show`: "198.18.2.2 id 1 subflow backup dev rmnet0". */
export function parseMptcpEndpoints(text: string): MptcpEndpoint[] {
  const out: MptcpEndpoint[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    const ep: MptcpEndpoint = { address: words[0], id: null, dev: null, flags: [] };
    for (let i = 1; i < words.length; i++) {
      const w = words[i];
      if (w === 'id') ep.id = num(words[++i] ?? null);
      else if (w === 'dev') ep.dev = words[++i] ?? null;
      else if (w === 'port') i++;
      else if (ENDPOINT_FLAGS.has(w)) ep.flags.push(w);
    }
    out.push(ep);
  }
  return out;
}

/** `ip mptcp limits show`: "add_addr_accepted 2 subflows 2". */
export function parseMptcpLimits(text: string): { subflows: number | null; addAddrAccepted: number | null } {
  return {
    subflows: num(/\bsubflows?\s+(\d+)/.exec(text)?.[1] ?? null),
    addAddrAccepted: num(/\badd_addr_accepted\s+(\d+)/.exec(text)?.[1] ?? null),
  };
}

/** multipath-tcp.org's iproute2 shows NOMULTIPATH / MPBACKUP among a link's flags. */
export function multipathState(link: InterfaceState): 'on' | 'off' | 'backup' {
  if (link.flags.includes('NOMULTIPATH')) return 'off';
  if (link.flags.includes('MPBACKUP')) return 'backup';
  return 'on';
}

export const SECTION_TAG = '@@mplab:';
const PART_TAG = '@@mplab-part:';

/** The command that starts section `name` of a script's output (one shell call for many small files). */
export function sectionStart(name: string): string {
  return `echo '${SECTION_TAG}${name}'`;
}

/** The output of a script of `sectionStart(name); command` sections: returns name -> output. */
export function splitSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = text.split(new RegExp(`^${SECTION_TAG}`, 'm'));
  for (const part of parts.slice(1)) {
    const nl = part.indexOf('\n');
    const name = (nl < 0 ? part : part.slice(0, nl)).trim();
    out.set(name, nl < 0 ? '' : part.slice(nl + 1).replace(/\n$/, ''));
  }
  return out;
}

/**
 * One script made of several sectioned scripts (each keeps its own section names): the phone is
 * read in one shell call instead of one per script. `splitParts` gives each part's output back.
 */
export function joinParts(parts: Record<string, string>): string {
  return `${Object.entries(parts)
    .map(([name, script]) => `echo '${PART_TAG}${name}'; { ${script}; }`)
    .join('; ')}; true`;
}

export function splitParts(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = text.split(new RegExp(`^${PART_TAG}`, 'm'));
  for (const part of parts.slice(1)) {
    const nl = part.indexOf('\n');
    out.set((nl < 0 ? part : part.slice(0, nl)).trim(), nl < 0 ? '' : part.slice(nl + 1));
  }
  return out;
}
