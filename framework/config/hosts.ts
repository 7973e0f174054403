import { Problems, checkHostPort, readObject, readPositiveInt, readString, type Path } from './validate.js';

/**
 * The phone hosts of devices.json: each host has the adb server its phones hang on and,
 * optionally, the Appium server that drives them; a Selenium Grid hub (`grid`) relays sessions
 * to those Appium servers and routes each by `appium:udid`. A phone names its host (`"host"`);
 * a phone without one hangs on its own `adbServer` (the local one by default).
 */
export interface PhoneHost {
  name: string;
  /** host:port of the host's adb server (listening on the network for a remote host). */
  adbServer: string;
  /** The host's Appium server (what its Grid relay node forwards to), or null when it has none. */
  appium: string | null;
}

export interface GridConfig {
  /** The hub's URL: sessions go here, and the Grid routes each to the node of its phone. */
  url: string;
  /** The hub's event bus ports (nodes register through them); Selenium's defaults 4442 and 4443. */
  publishPort: number;
  subscribePort: number;
}

export const HOST_FIELDS = ['name', 'adbServer', 'appium'];
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const DEFAULT_GRID_PUBLISH_PORT = 4442;
export const DEFAULT_GRID_SUBSCRIBE_PORT = 4443;

/** An http(s) URL without credentials, query or fragment, as a server's base URL; null when it is not one. */
export function serverUrl(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) return null;
  return value.replace(/\/+$/, '');
}

function readUrl(obj: Record<string, unknown>, key: string, path: Path, problems: Problems, example: string, required = false): string | null {
  const text = readString(obj, key, path, problems, { required, patternText: `an http(s) URL such as "${example}"` });
  if (text === undefined) return null;
  const url = serverUrl(text);
  if (url === null) problems.add([...path, key], `expected an http(s) URL such as "${example}" (no user, query or fragment), got the string ${JSON.stringify(text)}`);
  return url;
}

export function validateHosts(value: unknown, problems: Problems, defaultAdbServer: string): PhoneHost[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.add(['hosts'], 'expected a list of phone hosts ({"name", "adbServer", "appium"})');
    return [];
  }
  const hosts: PhoneHost[] = [];
  const positions: number[] = [];
  const seen = new Map<string, number>();
  value.forEach((entry, i) => {
    const path: Path = ['hosts', i];
    const obj = readObject(entry, path, problems, HOST_FIELDS);
    if (!obj) return;
    const before = problems.count;
    const name = readString(obj, 'name', path, problems, { required: true, pattern: HOST_NAME, patternText: 'a host name of [A-Za-z0-9_.-] (up to 63)' });
    const adbServer = readString(obj, 'adbServer', path, problems, { fallback: defaultAdbServer }) ?? defaultAdbServer;
    checkHostPort(adbServer, [...path, 'adbServer'], problems);
    const appium = readUrl(obj, 'appium', path, problems, 'http://192.0.2.20:4723');
    if (name !== undefined) {
      const first = seen.get(name);
      if (first !== undefined) problems.add([...path, 'name'], `${JSON.stringify(name)} is already used by hosts[${first}]`);
      else seen.set(name, i);
    }
    if (problems.count === before && name !== undefined) {
      hosts.push({ name, adbServer, appium });
      positions.push(i);
    }
  });
  // two hosts on one adb server would be one host: its phones would be marked together
  const byServer = new Map<string, string>();
  hosts.forEach((h, k) => {
    const other = byServer.get(h.adbServer);
    if (other !== undefined) problems.add(['hosts', positions[k], 'adbServer'], `${h.adbServer} is already the adb server of host ${JSON.stringify(other)}`);
    else byServer.set(h.adbServer, h.name);
  });
  return hosts;
}

export function validateGrid(value: unknown, problems: Problems): GridConfig | null {
  if (value === undefined || value === null) return null;
  const path: Path = ['grid'];
  const obj = readObject(value, path, problems, ['url', 'publishPort', 'subscribePort']);
  if (!obj) return null;
  const before = problems.count;
  const url = readUrl(obj, 'url', path, problems, 'http://192.0.2.1:4444', true);
  const publishPort = readPositiveInt(obj, 'publishPort', path, problems, { fallback: DEFAULT_GRID_PUBLISH_PORT, max: 65535 }) ?? DEFAULT_GRID_PUBLISH_PORT;
  const subscribePort = readPositiveInt(obj, 'subscribePort', path, problems, { fallback: DEFAULT_GRID_SUBSCRIBE_PORT, max: 65535 }) ?? DEFAULT_GRID_SUBSCRIBE_PORT;
  if (publishPort === subscribePort) problems.add([...path, 'subscribePort'], `same port as "publishPort" (${publishPort}): the event bus needs two`);
  return problems.count === before && url !== null ? { url, publishPort, subscribePort } : null;
}
