import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from '../../common/errors.js';
import { validateGrid, validateHosts, type GridConfig, type PhoneHost } from './hosts.js';
import { Problems, checkHostPort, jsonErrorText, splitHostPort, readBoolean, readEnum, readObject, readPositiveInt, readString, type Path } from './validate.js';

/**
 * devices.json: the phones mplab may drive. Either `{"devices": [...]}` or a bare array of phones.
 * Every field is checked; `validateDevicesFile` returns every problem with its path
 * (`devices[2].kernel: expected one of "upstream", "multipath-tcp.org", "none"`).
 */
export const KERNELS = ['upstream', 'multipath-tcp.org', 'none'] as const;
export type Kernel = (typeof KERNELS)[number];

export const PROXY_KINDS = ['socks5', 'shadowsocks'] as const;
export type ProxyKind = (typeof PROXY_KINDS)[number];

export const DEFAULT_ADB_SERVER = '127.0.0.1:5037';

export interface ProxyClient {
  /** How the phone reaches the proxy: a SOCKS5 client app or a ShadowSocks client app. */
  kind: ProxyKind;
  /** host:port of the proxy as the phone reaches it. */
  server: string;
  /** Android package of the client app on the phone (e.g. com.github.shadowsocks), if any. */
  app: string | null;
  username: string | null;
  password: string | null;
  /** ShadowSocks cipher, e.g. chacha20-ietf-poly1305. */
  method: string | null;
}

export interface PhoneCapture {
  /** Capture packets on the phone too (tcpdump on the phone; needs root). */
  onPhone: boolean;
  /** Interface tcpdump listens on ("any" by default). */
  iface: string;
  /** Bytes kept per packet; 0 = whole packets. */
  snaplen: number;
  /** Directory on the phone where captures are written. */
  dir: string;
}

export interface DeviceConfig {
  /** adb serial: a USB serial or "host:port" of a phone reached over TCP. */
  id: string;
  label: string;
  /** host:port of the adb server the phone hangs on (its host's, when it names one). */
  adbServer: string;
  /** The phone host of devices.json's "hosts" it is on, or null (then it hangs on its own adbServer). */
  host: string | null;
  /** mplab may run commands as root on this phone (adbd as root or `su`). */
  root: boolean;
  kernel: Kernel;
  interfaces: { wifi: string; cellular: string };
  proxy: ProxyClient | null;
  capture: PhoneCapture;
  /** An unresponsive phone may be rebooted to recover it. */
  allowReboot: boolean;
}

export interface DevicesFile {
  path: string;
  devices: DeviceConfig[];
  hosts: PhoneHost[];
  grid: GridConfig | null;
}

export interface ValidDevices {
  devices: DeviceConfig[];
  hosts: PhoneHost[];
  grid: GridConfig | null;
}

const TOP_FIELDS = ['devices', 'hosts', 'grid'];
const DEVICE_FIELDS = ['id', 'label', 'host', 'adbServer', 'root', 'kernel', 'interfaces', 'proxy', 'capture', 'allowReboot'];
const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/;
const PACKAGE = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/;
const PHONE_PATH = /^\/[A-Za-z0-9_./-]*$/;

/** Validates parsed JSON. Returns the devices and hosts, or every problem found (never just the first). */
export function validateDevicesFile(json: unknown): ValidDevices & { problems: string[] } {
  const problems = new Problems();
  let list: unknown;
  let hosts: PhoneHost[] = [];
  let grid: GridConfig | null = null;
  if (Array.isArray(json)) {
    list = json;
  } else if (json !== null && typeof json === 'object') {
    const top = json as Record<string, unknown>;
    for (const key of Object.keys(top)) {
      if (!TOP_FIELDS.includes(key) && key !== '$comment') problems.add([key], `unknown field (expected one of ${TOP_FIELDS.map((f) => `"${f}"`).join(', ')})`);
    }
    hosts = validateHosts(top.hosts, problems, DEFAULT_ADB_SERVER);
    grid = validateGrid(top.grid, problems);
    list = top.devices;
    if (list === undefined) problems.add(['devices'], 'missing (expected a list of phones)');
  } else {
    problems.add([], 'expected an object {"devices": [...]} or a list of phones');
  }
  const devices: DeviceConfig[] = [];
  if (list !== undefined && !Array.isArray(list)) {
    problems.add(['devices'], 'expected a list of phones');
  } else if (Array.isArray(list)) {
    list.forEach((entry, i) => {
      const device = validateDevice(entry, ['devices', i], problems, hosts);
      if (device) devices.push(device);
    });
    checkUnique(list, problems);
  }
  return { devices, hosts, grid, problems: problems.list };
}

/** The phone's adb server and host: its host's server when it names a host of "hosts", else its own adbServer. */
function readPlacement(obj: Record<string, unknown>, path: Path, problems: Problems, hosts: PhoneHost[]): { host: string | null; adbServer: string } {
  const hostName = readString(obj, 'host', path, problems);
  if (hostName !== undefined) {
    const host = hosts.find((h) => h.name === hostName);
    if (obj.adbServer !== undefined) problems.add([...path, 'adbServer'], `give "host" or "adbServer", not both (a phone of host ${JSON.stringify(hostName)} hangs on that host's adb server)`);
    if (!host) {
      problems.add([...path, 'host'], `expected the name of a host of "hosts" (${hosts.length ? hosts.map((h) => JSON.stringify(h.name)).join(', ') : 'there are none'}), got the string ${JSON.stringify(hostName)}`);
      return { host: null, adbServer: DEFAULT_ADB_SERVER };
    }
    return { host: host.name, adbServer: host.adbServer };
  }
  const adbServer = readString(obj, 'adbServer', path, problems, { fallback: DEFAULT_ADB_SERVER });
  if (adbServer !== undefined) checkHostPort(adbServer, [...path, 'adbServer'], problems);
  // a phone on a host's adb server belongs to that host even when it gives the address itself
  const host = hosts.find((h) => h.adbServer === adbServer);
  return { host: host?.name ?? null, adbServer: adbServer ?? DEFAULT_ADB_SERVER };
}

function validateDevice(entry: unknown, path: Path, problems: Problems, hosts: PhoneHost[]): DeviceConfig | null {
  const obj = readObject(entry, path, problems, DEVICE_FIELDS);
  if (!obj) return null;
  const before = problems.count;
  const id = readString(obj, 'id', path, problems, { required: true, pattern: /^[\x21-\x7e]+$/, patternText: 'an adb serial or host:port (printable, no spaces)' });
  const placement = readPlacement(obj, path, problems, hosts);
  const device = {
    id: id ?? '',
    label: readString(obj, 'label', path, problems, { fallback: id ?? '' }) ?? '',
    adbServer: placement.adbServer,
    host: placement.host,
    root: readBoolean(obj, 'root', path, problems, { required: true }) ?? false,
    kernel: readEnum(obj, 'kernel', KERNELS, path, problems, { required: true }) ?? 'none',
    interfaces: validateInterfaces(obj.interfaces, [...path, 'interfaces'], problems),
    proxy: validateProxy(obj.proxy, [...path, 'proxy'], problems),
    capture: validateCapture(obj.capture, [...path, 'capture'], problems),
    allowReboot: readBoolean(obj, 'allowReboot', path, problems, { fallback: false }) ?? false,
  } satisfies DeviceConfig;
  if (device.capture.onPhone && obj.root === false) {
    problems.add([...path, 'capture', 'onPhone'], 'capturing on the phone needs "root": true');
  }
  return problems.count === before ? device : null;
}

function validateInterfaces(value: unknown, path: Path, problems: Problems): DeviceConfig['interfaces'] {
  const defaults = { wifi: 'wlan0', cellular: 'rmnet0' };
  if (value === undefined) return defaults;
  const obj = readObject(value, path, problems, ['wifi', 'cellular']);
  if (!obj) return defaults;
  const opts = { pattern: IFNAME, patternText: 'an interface name (1-15 of [A-Za-z0-9_.:@-])' };
  const wifi = readString(obj, 'wifi', path, problems, { ...opts, fallback: defaults.wifi }) ?? defaults.wifi;
  const cellular = readString(obj, 'cellular', path, problems, { ...opts, fallback: defaults.cellular }) ?? defaults.cellular;
  if (wifi === cellular) problems.add([...path, 'cellular'], `same interface as "wifi" (${JSON.stringify(wifi)})`);
  return { wifi, cellular };
}

function validateProxy(value: unknown, path: Path, problems: Problems): ProxyClient | null {
  if (value === undefined || value === null) return null;
  const obj = readObject(value, path, problems, ['kind', 'server', 'app', 'username', 'password', 'method']);
  if (!obj) return null;
  const kind = readEnum(obj, 'kind', PROXY_KINDS, path, problems, { required: true }) ?? 'socks5';
  const server = readString(obj, 'server', path, problems, { required: true }) ?? '';
  if (server) checkHostPort(server, [...path, 'server'], problems);
  const proxy: ProxyClient = {
    kind,
    server,
    app: readString(obj, 'app', path, problems, { pattern: PACKAGE, patternText: 'an Android package name such as com.github.shadowsocks' }) ?? null,
    username: readString(obj, 'username', path, problems) ?? null,
    password: readString(obj, 'password', path, problems) ?? null,
    method: readString(obj, 'method', path, problems) ?? null,
  };
  if (kind === 'shadowsocks') {
    if (proxy.password === null) problems.add([...path, 'password'], 'missing (a ShadowSocks client needs the password)');
    if (proxy.method === null) problems.add([...path, 'method'], 'missing (a ShadowSocks client needs the cipher, e.g. "chacha20-ietf-poly1305")');
  }
  if (kind === 'socks5' && (proxy.username === null) !== (proxy.password === null)) {
    problems.add([...path, proxy.username === null ? 'username' : 'password'], 'SOCKS5 authentication needs both "username" and "password"');
  }
  return proxy;
}

function validateCapture(value: unknown, path: Path, problems: Problems): PhoneCapture {
  const defaults: PhoneCapture = { onPhone: false, iface: 'any', snaplen: 0, dir: '/data/local/tmp/mplab' };
  if (value === undefined) return defaults;
  const obj = readObject(value, path, problems, ['onPhone', 'iface', 'snaplen', 'dir']);
  if (!obj) return defaults;
  return {
    onPhone: readBoolean(obj, 'onPhone', path, problems, { fallback: false }) ?? false,
    iface: readString(obj, 'iface', path, problems, { fallback: 'any', pattern: IFNAME, patternText: 'an interface name or "any"' }) ?? 'any',
    snaplen: readPositiveInt(obj, 'snaplen', path, problems, { fallback: 0, max: 262144, allowZero: true }) ?? 0,
    dir:
      readString(obj, 'dir', path, problems, { fallback: defaults.dir, pattern: PHONE_PATH, patternText: 'an absolute path on the phone of [A-Za-z0-9_./-]' }) ??
      defaults.dir,
  };
}

function checkUnique(list: unknown[], problems: Problems): void {
  const seen = new Map<string, number>();
  list.forEach((entry, i) => {
    if (entry === null || typeof entry !== 'object') return;
    const obj = entry as Record<string, unknown>;
    for (const key of ['id', 'label'] as const) {
      const value = obj[key] ?? (key === 'label' ? obj.id : undefined);
      if (typeof value !== 'string' || !value) continue;
      const first = seen.get(value);
      if (first !== undefined && first !== i) {
        const field = key === 'label' && obj.label === undefined ? 'id' : key;
        problems.add(['devices', i, field], `${JSON.stringify(value)} is already used by devices[${first}] (ids and labels name one phone each)`);
      } else {
        seen.set(value, i);
      }
    }
  });
}

/** Where devices.json is looked for: --devices, then $MPLAB_DEVICES, then ./devices.json. */
export function devicesFilePath(option?: string): string {
  return resolve(option ?? process.env.MPLAB_DEVICES ?? 'devices.json');
}

/** The exit status of a command refused because devices.json is invalid. */
export const INVALID_DEVICES_FILE_EXIT = 3;

/**
 * Every command refuses to start on an invalid devices.json, with the message `devices check` prints.
 * A missing ./devices.json is no error for a command that drives no phone (analyze, lab, proxy); a
 * missing file named by $MPLAB_DEVICES is.
 */
export async function refuseInvalidDevicesFile(): Promise<void> {
  const path = devicesFilePath();
  if (process.env.MPLAB_DEVICES === undefined && !existsSync(path)) return;
  const { problems } = await checkDevicesFile(path);
  if (problems.length > 0) throw invalidDevicesFile(path, problems);
}

/** Reads and validates devices.json. Throws a UserError that lists every problem with its path (exit status 3). */
export async function loadDevicesFile(path: string): Promise<DevicesFile> {
  const result = await checkDevicesFile(path);
  if (result.problems.length > 0) throw invalidDevicesFile(path, result.problems);
  return { path, devices: result.devices, hosts: result.hosts, grid: result.grid };
}

/** Reads and validates devices.json, returning problems instead of throwing (for `devices check`). */
export async function checkDevicesFile(path: string): Promise<ValidDevices & { problems: string[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { devices: [], hosts: [], grid: null, problems: [code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { devices: [], hosts: [], grid: null, problems: [jsonErrorText(text, err as Error)] };
  }
  return validateDevicesFile(json);
}

/** The error of a devices.json with problems: the file, then every problem on a line of its own; exit status 3. */
export function invalidDevicesFile(path: string, problems: string[]): UserError {
  const noun = problems.length === 1 ? 'problem' : 'problems';
  return new UserError(`${path}: ${problems.length} ${noun}\n${problems.map((p) => `  ${p}`).join('\n')}`, INVALID_DEVICES_FILE_EXIT);
}

export function findDevice(file: DevicesFile, idOrLabel: string): DeviceConfig {
  const device = file.devices.find((d) => d.id === idOrLabel) ?? file.devices.find((d) => d.label === idOrLabel);
  if (device) return device;
  const known = file.devices.map((d) => (d.label === d.id ? d.id : `${d.id} (${d.label})`));
  throw new UserError(
    `${file.path}: no phone with id or label ${JSON.stringify(idOrLabel)}; known: ${known.length ? known.join(', ') : 'none (the list is empty)'}`,
    2, // a usage error: the id given on the command line names no phone
  );
}

/** A phone host with its phones: one of "hosts", or the adb server of phones that name no host (named by its address). */
export interface HostWithPhones {
  host: PhoneHost;
  /** false for the implicit host of phones that name no host. */
  declared: boolean;
  phones: DeviceConfig[];
}

/** Every host of the file with its phones: the declared hosts in order, then one per other adb server the phones hang on. */
export function hostsWithPhones(file: ValidDevices): HostWithPhones[] {
  const out: HostWithPhones[] = file.hosts.map((host) => ({ host, declared: true, phones: file.devices.filter((d) => d.host === host.name) }));
  for (const d of file.devices.filter((x) => x.host === null)) {
    let entry = out.find((h) => !h.declared && h.host.adbServer === d.adbServer);
    if (!entry) {
      entry = { host: { name: d.adbServer, adbServer: d.adbServer, appium: null }, declared: false, phones: [] };
      out.push(entry);
    }
    entry.phones.push(d);
  }
  return out;
}

/**
 * Where a phone's Appium sessions go when the command names no server: the Grid of devices.json
 * (it routes by appium:udid to the node of the phone's host), else the Appium server of the
 * phone's host, else null (mplab starts one on this machine).
 */
export function sessionUrlOf(file: Pick<ValidDevices, 'hosts' | 'grid'>, device: DeviceConfig): string | null {
  if (file.grid) return file.grid.url;
  return file.hosts.find((h) => h.name === device.host)?.appium ?? null;
}

/**
 * The capabilities that point an Appium server on this machine at the phone's adb server, when it
 * is not the local default (appium-adb's adbPort and remoteAdbHost). A host's own Appium server
 * (through the Grid or not) needs none: it uses its host's adb server.
 */
export function adbServerCapabilities(device: DeviceConfig): Record<string, unknown> {
  if (device.adbServer === DEFAULT_ADB_SERVER) return {};
  const { host, port } = splitHostPort(device.adbServer);
  const local = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  return local ? { 'appium:adbPort': port } : { 'appium:adbPort': port, 'appium:remoteAdbHost': host };
}
