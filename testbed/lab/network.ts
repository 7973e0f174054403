import { addNetns, inNetns, ip, sysctl, vethPair } from '../netns.js';
import { defaultRouteCommands, mptcpModeCommands, policyRoutingCommands, type Command } from './phone-net.js';
import type { LabPlan, LinkPlan, PhonePlan } from './plan.js';
import type { PhoneProfile } from './profile.js';

/**
 * Builds the lab's namespaces, links and routes (see plan.ts for the picture). Only `ip`,
 * `sysctl` and `ethtool` inside the lab's own namespaces: the host is never touched.
 */
export async function runIn(netns: string, command: Command): Promise<void> {
  const [file, ...args] = command;
  await inNetns(netns, file, args);
}

async function forwardingRouter(netns: string): Promise<void> {
  await sysctl(netns, 'net.ipv4.ip_forward', 1);
  await noReversePathFilter(netns);
}

async function noReversePathFilter(netns: string): Promise<void> {
  await sysctl(netns, 'net.ipv4.conf.all.rp_filter', 0);
  await sysctl(netns, 'net.ipv4.conf.default.rp_filter', 0);
}

/** The lab is IPv4 only: no IPv6 router solicitations or DAD packets in the links and captures. */
async function noIpv6(netns: string): Promise<void> {
  await sysctl(netns, 'net.ipv6.conf.all.disable_ipv6', 1);
  await sysctl(netns, 'net.ipv6.conf.default.disable_ipv6', 1);
}

export async function createNamespaces(plan: LabPlan): Promise<void> {
  const all = [plan.netns.links, plan.netns.proxy, plan.netns.origin, ...plan.phones.map((p) => p.netns)];
  for (const ns of all) {
    await addNetns(ns);
    await noReversePathFilter(ns);
    await noIpv6(ns);
  }
  await forwardingRouter(plan.netns.links);
  await forwardingRouter(plan.netns.proxy);
}

/** Proxy and origin: their veths, routes and MPTCP limits (the proxy accepts the phones' subflows). */
export async function wireCore(plan: LabPlan): Promise<void> {
  const { links, proxy, origin } = plan.netns;
  await vethPair({ netns: proxy, ifname: plan.proxy.iface, cidr: `${plan.proxy.ip}/24` }, { netns: links, ifname: plan.proxy.linksIface, cidr: `${plan.proxy.linksIp}/24` });
  await vethPair({ netns: proxy, ifname: plan.proxy.originIface, cidr: `${plan.proxy.originSideIp}/24` }, { netns: origin, ifname: plan.origin.iface, cidr: `${plan.origin.ip}/24` });
  await ip(proxy, ['route', 'add', '198.18.0.0/16', 'via', plan.proxy.linksIp]);
  // the apps' servers are more addresses of the origin, reached through its own
  for (const address of plan.origin.appAddresses) await ip(origin, ['addr', 'add', `${address}/32`, 'dev', plan.origin.iface]);
  await ip(proxy, ['route', 'add', '198.19.0.0/16', 'via', plan.origin.ip]);
  await ip(origin, ['route', 'add', '198.18.0.0/16', 'via', plan.proxy.originSideIp]);
  await ip(links, ['route', 'add', '198.19.0.0/16', 'via', plan.proxy.ip]);
  for (const ns of [proxy, origin]) await ip(ns, ['mptcp', 'limits', 'set', 'subflows', '8', 'add_addr_accepted', '8']);
}

/** The TUN devices of one link in the links namespace (persistent: the link daemon attaches to them). */
async function createTuns(plan: LabPlan, link: LinkPlan): Promise<void> {
  const ns = plan.netns.links;
  for (const dev of [link.tun.up, link.tun.down]) {
    await ip(ns, ['tuntap', 'add', 'dev', dev, 'mode', 'tun']);
    await ip(ns, ['link', 'set', dev, 'mtu', '1500', 'txqueuelen', '2000', 'up']);
    await sysctl(ns, `net.ipv4.conf.${dev}.rp_filter`, 0);
  }
}

/**
 * Policy routing in the links namespace: what comes from the phone's interface goes into the
 * link's "up" TUN device, what comes from the proxy for the phone's address into its "down" TUN
 * device; what the link daemon writes back comes out of the TUN device and follows the main table.
 */
async function routeLink(plan: LabPlan, link: LinkPlan): Promise<void> {
  const ns = plan.netns.links;
  await ip(ns, ['route', 'add', 'default', 'dev', link.tun.up, 'table', String(link.linksTables.up)]);
  await ip(ns, ['route', 'add', 'default', 'dev', link.tun.down, 'table', String(link.linksTables.down)]);
  await ip(ns, ['rule', 'add', 'iif', link.linksIface, 'lookup', String(link.linksTables.up), 'pref', '1000']);
  await ip(ns, ['rule', 'add', 'iif', plan.proxy.linksIface, 'to', link.subnet, 'lookup', String(link.linksTables.down), 'pref', '1000']);
}

async function macOf(netns: string, iface: string): Promise<string> {
  const [link] = JSON.parse(await ip(netns, ['-j', 'link', 'show', 'dev', iface])) as { address: string }[];
  return link.address;
}

/**
 * Permanent neighbour entries on both ends of a phone's access link: ARP between the phone and the
 * links namespace would bypass the emulated link (it is not IP), so an outage would not silence it.
 */
async function staticNeighbours(phoneNs: string, phoneIface: string, gateway: string, linksNs: string, linksIface: string, phoneIp: string): Promise<void> {
  await ip(phoneNs, ['neigh', 'replace', gateway, 'lladdr', await macOf(linksNs, linksIface), 'dev', phoneIface, 'nud', 'permanent']);
  await ip(linksNs, ['neigh', 'replace', phoneIp, 'lladdr', await macOf(phoneNs, phoneIface), 'dev', linksIface, 'nud', 'permanent']);
}

export async function wirePhone(plan: LabPlan, phone: PhonePlan, settings: PhoneProfile): Promise<void> {
  for (const link of [phone.wifi, phone.cellular]) {
    await vethPair({ netns: phone.netns, ifname: link.iface, cidr: `${link.ip}/${link.prefixLength}` }, { netns: plan.netns.links, ifname: link.linksIface, cidr: `${link.gateway}/${link.prefixLength}` });
    await sysctl(plan.netns.links, `net.ipv4.conf.${link.linksIface}.rp_filter`, 0);
    await sysctl(phone.netns, `net.ipv4.conf.${link.iface}.rp_filter`, 0);
    await staticNeighbours(phone.netns, link.iface, link.gateway, plan.netns.links, link.linksIface, link.ip);
    await createTuns(plan, link);
    await routeLink(plan, link);
  }
  for (const command of [...policyRoutingCommands(phone), ...defaultRouteCommands(settings.defaultRoute), ...mptcpModeCommands(phone, settings.mode)]) {
    await runIn(phone.netns, command);
  }
}

/** True when the namespace `netns` has a TCP socket listening on `port`. */
export async function listening(netns: string, port: number): Promise<boolean> {
  const { stdout, exitCode } = await inNetns(netns, 'ss', ['-Hltn', `sport = :${port}`], { reject: false });
  return exitCode === 0 && String(stdout).trim() !== '';
}
