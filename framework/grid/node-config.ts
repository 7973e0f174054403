import type { PhoneHost } from '../config/hosts.js';

/**
 * The Selenium Grid 4 configuration files, as TOML: the hub's, and one relay node per phone host.
 * A relay node forwards every session it takes to its host's Appium server (`[relay] url`), checks
 * that server with `status-endpoint`, and offers one slot per phone (`configs`: pairs of max
 * sessions and stereotype, the stereotype carrying the phone's `appium:udid`), so that the hub
 * routes a session that asks for `appium:udid` to the one node whose host holds that phone.
 */
export interface HubSettings {
  /** The address the hub listens on and the nodes reach it at. */
  host: string;
  port: number;
  publishPort: number;
  subscribePort: number;
}

export interface RelayNodeSettings {
  /** The address the node listens on and the hub reaches it at (the phone host's address). */
  host: string;
  port: number;
  hub: HubSettings;
  phoneHost: PhoneHost;
  /** The adb serials of the host's phones. */
  udids: string[];
  /** Seconds without a command before the node drops a session (Selenium's default is 300). */
  sessionTimeoutS?: number;
}

/** A TOML basic string (RFC-style escapes for quote, backslash and control characters). */
export function tomlString(value: string): string {
  return `"${value.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => {
    if (c === '"') return '\\"';
    if (c === '\\') return '\\\\';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  })}"`;
}

/** What a node's slot offers for a phone: what mplab's sessions ask for (framework/appium/capabilities.ts). */
export function phoneStereotype(udid: string): Record<string, string> {
  return { platformName: 'android', 'appium:automationName': 'UiAutomator2', 'appium:udid': udid };
}

export function hubToml(hub: HubSettings): string {
  return [
    '# Selenium Grid 4 hub (mplab grid up)',
    '[server]',
    `host = ${tomlString(hub.host)}`,
    `port = ${hub.port}`,
    '',
    '[events]',
    `publish = ${tomlString(`tcp://${hub.host}:${hub.publishPort}`)}`,
    `subscribe = ${tomlString(`tcp://${hub.host}:${hub.subscribePort}`)}`,
    'bind = true',
    '',
  ].join('\n');
}

export function relayNodeToml(node: RelayNodeSettings): string {
  if (!node.phoneHost.appium) throw new Error(`host ${node.phoneHost.name} has no "appium" URL in devices.json: a relay node needs the Appium server it relays to`);
  const configs = node.udids.flatMap((udid) => ['"1"', tomlString(JSON.stringify(phoneStereotype(udid)))]);
  return [
    `# Selenium Grid 4 relay node of phone host ${node.phoneHost.name} (mplab grid up)`,
    '[server]',
    `host = ${tomlString(node.host)}`,
    `port = ${node.port}`,
    '',
    '[events]',
    `publish = ${tomlString(`tcp://${node.hub.host}:${node.hub.publishPort}`)}`,
    `subscribe = ${tomlString(`tcp://${node.hub.host}:${node.hub.subscribePort}`)}`,
    '',
    '[node]',
    'detect-drivers = false',
    // one session per phone at a time, whatever the number of processors
    `max-sessions = ${Math.max(1, node.udids.length)}`,
    'override-max-sessions = true',
    `session-timeout = ${node.sessionTimeoutS ?? 300}`,
    '',
    '[relay]',
    `url = ${tomlString(node.phoneHost.appium)}`,
    'status-endpoint = "/status"',
    'configs = [',
    ...pairs(configs).map((p) => `  ${p.join(', ')},`),
    ']',
    '',
  ].join('\n');
}

function pairs<T>(list: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += 2) out.push(list.slice(i, i + 2));
  return out;
}
