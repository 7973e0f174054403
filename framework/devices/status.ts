import { asRoot } from './android-commands.js';
import type { Device } from './device.js';
import { describeMptcp, mptcpStateScript, parseMptcpState, type MptcpState } from './mptcp.js';
import { describeIface, describeRoute, netStateScript, parseNetState, type NetState } from './net-state.js';
import { SECTION_TAG, joinParts, parseBattery, parseLocked, parseScreenOn, sectionStart, splitParts, splitSections, type Battery } from './parse.js';

/**
 * `mplab device <id> status`: what the phone is and how it is. Properties, screen, network, MPTCP
 * and the shell's user come from one shell call (a test's health step runs on every test of a
 * campaign, and each adb shell session costs the phone a process tree); root from a second.
 */
export interface DeviceStatus {
  id: string;
  label: string;
  adbServer: string;
  state: string | null;
  model: string | null;
  manufacturer: string | null;
  android: string | null;
  sdk: number | null;
  bootCompleted: boolean;
  battery: Battery;
  screen: { on: boolean | null; locked: boolean | null };
  wifi: { enabled: boolean | null; iface: string; up: boolean; ipv4: string[]; ipv6: string[] };
  mobileData: { enabled: boolean | null; iface: string; up: boolean; ipv4: string[]; ipv6: string[]; alwaysOn: boolean | null };
  airplaneMode: boolean | null;
  defaultRoute: { dev: string | null; via: string | null; src: string | null } | null;
  mptcp: MptcpState & { configured: string };
  root: { configured: boolean; method: string | null };
  shellProtocol: string;
}

export function screenScript(): string {
  return [
    `${sectionStart('battery')}; dumpsys battery`,
    // both dumps through one grep, which keeps their section lines
    `{ ${sectionStart('power')}; dumpsys power; ${sectionStart('window')}; dumpsys window; } | grep -E '^${SECTION_TAG}(power|window)$|mWakefulness=|Display Power: state=|mScreenOn=|mKeyguardShowing=|mShowingLockscreen=|mDreamingLockscreen=|isStatusBarKeyguard=|mIsKeyguardShowing='`,
    'true',
  ].join('; ');
}

function setting(v: string | null): boolean | null {
  return v === null ? null : v !== '0';
}

/** The phone's network and MPTCP state, as one read saw them. */
export interface NetAndMptcp {
  net: NetState;
  mptcp: MptcpState;
}

/** The status with the network and MPTCP state it was made from, for a caller that acts on them next. */
export interface PhoneReading extends NetAndMptcp {
  status: DeviceStatus;
}

/** The network and MPTCP scripts as parts of one (the MPTCP part without the interfaces the network part reads). */
function netAndMptcpParts(): { net: string; mptcp: string } {
  return { net: netStateScript(), mptcp: mptcpStateScript({ link: false }) };
}

function parseNetAndMptcp(parts: Map<string, string>, device: Device): NetAndMptcp {
  const net = parts.get('net') ?? '';
  return { net: parseNetState(net, device.config.interfaces), mptcp: parseMptcpState(parts.get('mptcp') ?? '', splitSections(net).get('link') ?? '') };
}

/** The phone's network and MPTCP state, in one shell call. */
export async function readNetAndMptcp(device: Device): Promise<NetAndMptcp> {
  const r = await device.shell({ script: joinParts(netAndMptcpParts()) }, { timeoutMs: 30_000 });
  return parseNetAndMptcp(splitParts(r.stdout.toString('utf8')), device);
}

export async function readStatus(device: Device): Promise<DeviceStatus> {
  return (await readPhone(device)).status;
}

export async function readPhone(device: Device): Promise<PhoneReading> {
  const { config } = device;
  const state = await device.server.state(device.serial);
  // a rooted phone's `su -c` is tried in the same call when the shell is not root already (su reads no input: </dev/null),
  // unless the root method is known
  const su: Record<string, string> = config.root && device.knownRootMethod === undefined ? { su: `[ "$(id -u)" = 0 ] || ${asRoot('su-c', 'id -u')} </dev/null 2>/dev/null` } : {};
  const script = joinParts({ getprop: 'getprop', screen: screenScript(), ...netAndMptcpParts(), uid: 'id -u', ...su });
  const read = await device.shell({ script }, { timeoutMs: 30_000 });
  const parts = splitParts(read.stdout.toString('utf8'));
  if (!parts.get('getprop')?.trim()) throw new Error(`phone ${config.label}: getprop printed nothing (exit status ${read.exitCode}: ${read.stderr.toString().trim() || 'no error output'})`);
  const props = device.adoptProperties(parts.get('getprop')!);
  const s = splitSections(parts.get('screen') ?? '');
  const { net, mptcp } = parseNetAndMptcp(parts, device);
  const rootMethod = config.root ? await device.detectRoot({ uid: parts.get('uid') ?? '', suC: parts.get('su') }) : null;
  const sdk = Number(props['ro.build.version.sdk']);
  const status: DeviceStatus = {
    id: config.id,
    label: config.label,
    adbServer: config.adbServer,
    state,
    model: props['ro.product.model'] ?? null,
    manufacturer: props['ro.product.manufacturer'] ?? null,
    android: props['ro.build.version.release'] ?? null,
    sdk: Number.isInteger(sdk) && sdk > 0 ? sdk : null,
    bootCompleted: props['sys.boot_completed'] === '1',
    battery: parseBattery(s.get('battery') ?? ''),
    screen: { on: parseScreenOn(s.get('power') ?? ''), locked: parseLocked(s.get('window') ?? '') },
    wifi: { enabled: setting(net.settings.wifiOn), iface: net.wifi.name, up: net.wifi.up, ipv4: net.wifi.ipv4, ipv6: net.wifi.ipv6 },
    mobileData: {
      enabled: setting(net.settings.mobileData),
      iface: net.cellular.name,
      up: net.cellular.up,
      ipv4: net.cellular.ipv4,
      ipv6: net.cellular.ipv6,
      alwaysOn: setting(net.settings.mobileDataAlwaysOn),
    },
    airplaneMode: setting(net.settings.airplaneModeOn),
    defaultRoute: net.route ? { dev: net.route.dev, via: net.route.via, src: net.route.src } : null,
    mptcp: { ...mptcp, configured: config.kernel },
    root: { configured: config.root, method: rootMethod },
    shellProtocol: await device.shellProtocol(),
  };
  return { status, net, mptcp };
}

function yesNo(v: boolean | null, yes = 'yes', no = 'no'): string {
  return v === null ? 'unknown' : v ? yes : no;
}

export function formatStatus(st: DeviceStatus): string {
  const lines: Array<[string, string]> = [
    ['phone', `${st.label}${st.label !== st.id ? ` (${st.id})` : ''} on adb server ${st.adbServer}, state ${st.state ?? 'not attached'}`],
    ['model', `${st.manufacturer ?? '?'} ${st.model ?? '?'}, Android ${st.android ?? '?'} (SDK ${st.sdk ?? '?'})`],
    ['boot completed', yesNo(st.bootCompleted)],
    [
      'battery',
      `${st.battery.level ?? '?'}%, ${st.battery.temperatureC ?? '?'} °C${st.battery.powered.usb || st.battery.powered.ac ? ', charging' : ''}`,
    ],
    ['screen', `${yesNo(st.screen.on, 'on', 'off')}, ${yesNo(st.screen.locked, 'locked', 'unlocked')}`],
    ['WiFi', `${yesNo(st.wifi.enabled, 'enabled', 'disabled')}; ${describeIface({ name: st.wifi.iface, present: true, up: st.wifi.up, ipv4: st.wifi.ipv4, ipv6: st.wifi.ipv6 })}`],
    [
      'mobile data',
      `${yesNo(st.mobileData.enabled, 'enabled', 'disabled')}, always on ${yesNo(st.mobileData.alwaysOn)}; ${describeIface({ name: st.mobileData.iface, present: true, up: st.mobileData.up, ipv4: st.mobileData.ipv4, ipv6: st.mobileData.ipv6 })}`,
    ],
    ['airplane mode', yesNo(st.airplaneMode, 'on', 'off')],
    ['route', st.defaultRoute ? describeRoute({ route: st.defaultRoute, routeError: null }) : 'no default route'],
    ['MPTCP', `${describeMptcp(st.mptcp)}${st.mptcp.kernel !== st.mptcp.configured ? ` (devices.json says ${st.mptcp.configured})` : ''}`],
    ['root', st.root.configured ? (st.root.method ? `yes (${st.root.method})` : 'devices.json says yes, but no root method works') : 'no'],
    ['shell', `protocol ${st.shellProtocol}`],
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
