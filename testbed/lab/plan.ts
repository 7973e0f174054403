import { PHONE_POLICY } from '../../common/phone-policy.js';
import { PORTS, serverAddresses } from '../apps/servers.js';

/**
 * The lab's address and naming plan (pure). Everything lives in 198.18.0.0/15:
 *
 *   phone k ns           links ns (link daemon)                 proxy ns              origin ns
 *   wlan0  198.18.(2k-1).2 ── pkw  .1 ─[TUN pkw-up / pkw-dn]─┐
 *   rmnet0 198.18.(2k).2   ── pkc  .1 ─[TUN pkc-up / pkc-dn]─┴─ proxy0 198.18.0.2 ── eth0 198.18.0.1
 *                                                                                     eth1 198.19.0.1 ── eth0 198.19.0.2
 *                                                        (and the apps' servers: 198.19.1.x, 198.19.2.x on the origin's eth0)
 *
 * Namespaces are `<lab>-phone<k>`, `<lab>-links`, `<lab>-proxy`, `<lab>-origin`.
 */
export const LAB_NAME = /^mplab[a-z0-9_]{0,20}$/;
export const DEFAULT_LAB_NAME = 'mplab';
export const MAX_PHONES = 32;

/** A lab request the user can correct: a bad name or phone count, a lab or phone that does not exist. */
export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabError';
  }
}

export type LinkKind = 'wifi' | 'cellular';
export const LINK_KINDS: readonly LinkKind[] = ['wifi', 'cellular'];

export interface LinkPlan {
  kind: LinkKind;
  /** interface name in the phone: wlan0 or rmnet0 */
  iface: string;
  ip: string;
  prefixLength: number;
  /** the link's far end (in the links namespace), the phone's gateway on this interface */
  gateway: string;
  subnet: string;
  /** the routing table in the phone that sends from `ip` through this interface */
  phoneTable: number;
  /** the link's interface in the links namespace */
  linksIface: string;
  /** TUN devices in the links namespace: up = phone to proxy, down = proxy to phone */
  tun: { up: string; down: string };
  /** routing tables in the links namespace that send into the TUN devices */
  linksTables: { up: number; down: number };
  /** the link daemon's name for the link: "phone1.wifi" */
  linkName: string;
}

export interface PhonePlan {
  index: number;
  name: string;
  netns: string;
  wifi: LinkPlan;
  cellular: LinkPlan;
}

export interface LabPlan {
  name: string;
  netns: { links: string; proxy: string; origin: string };
  phones: PhonePlan[];
  proxy: { ip: string; linksIp: string; originSideIp: string; socksPort: number; iface: string; originIface: string; linksIface: string };
  /** the origin: its own address, and one per app server (testbed/apps/servers.ts), all served alike on its ports */
  origin: { ip: string; iface: string; httpPorts: number[]; messagingPort: number; appAddresses: string[] };
}

export const PHONE_IFACES: Record<LinkKind, string> = { wifi: 'wlan0', cellular: 'rmnet0' };
/** Phone-side routing tables, one per interface: the device controller's (common/phone-policy.ts). */
export const PHONE_TABLES: Record<LinkKind, number> = { wifi: PHONE_POLICY.wifi.table, cellular: PHONE_POLICY.cellular.table };

export function labPlan(name: string, phones: number): LabPlan {
  if (!LAB_NAME.test(name)) throw new LabError(`lab name ${JSON.stringify(name)}: expected "mplab" followed by up to 20 of [a-z0-9_]`);
  if (!Number.isInteger(phones) || phones < 1 || phones > MAX_PHONES) throw new LabError(`phones: expected a whole number from 1 to ${MAX_PHONES}, got ${phones}`);
  return {
    name,
    netns: { links: `${name}-links`, proxy: `${name}-proxy`, origin: `${name}-origin` },
    phones: Array.from({ length: phones }, (_, i) => phonePlan(name, i + 1)),
    proxy: { ip: '198.18.0.1', linksIp: '198.18.0.2', originSideIp: '198.19.0.1', socksPort: 1080, iface: 'eth0', originIface: 'eth1', linksIface: 'proxy0' },
    origin: { ip: '198.19.0.2', iface: 'eth0', httpPorts: [PORTS.http, PORTS.https, PORTS.rtmp, PORTS.spotify], messagingPort: PORTS.xmpp, appAddresses: serverAddresses() },
  };
}

function phonePlan(lab: string, k: number): PhonePlan {
  const link = (kind: LinkKind, third: number, letter: string, slot: number): LinkPlan => ({
    kind,
    iface: PHONE_IFACES[kind],
    ip: `198.18.${third}.2`,
    prefixLength: 24,
    gateway: `198.18.${third}.1`,
    subnet: `198.18.${third}.0/24`,
    phoneTable: PHONE_TABLES[kind],
    linksIface: `p${k}${letter}`,
    tun: { up: `p${k}${letter}-up`, down: `p${k}${letter}-dn` },
    linksTables: { up: 1000 + 10 * k + 2 * slot, down: 1000 + 10 * k + 2 * slot + 1 },
    linkName: `phone${k}.${kind}`,
  });
  return {
    index: k,
    name: `phone${k}`,
    netns: `${lab}-phone${k}`,
    wifi: link('wifi', 2 * k - 1, 'w', 0),
    cellular: link('cellular', 2 * k, 'c', 1),
  };
}

/** The namespaces of lab `name` among `existing`: exactly the names the plan can produce. */
export function labNamespaces(name: string, existing: readonly string[]): string[] {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const own = new RegExp(`^${escaped}-(links|proxy|origin|phone\\d+)$`);
  return existing.filter((ns) => own.test(ns));
}
