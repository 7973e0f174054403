import { execa } from 'execa';
import { assertLabName, ip } from '../netns.js';

/**
 * What turning a radio off and on does to the phone's namespace. Off: the interface's addresses
 * and routes (every table) are saved, the link goes down and its addresses are flushed, as when
 * Android drops a WiFi association or a data call. On: the link comes up and the saved addresses
 * and routes are put back, as DHCP and netd would.
 */

export interface SavedAddress {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  broadcast?: string;
}

export interface SavedRoute {
  family: 'inet' | 'inet6';
  type?: string;
  dst: string;
  gateway?: string;
  table?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  prefsrc?: string;
  onlink?: boolean;
}

export interface InterfaceSnapshot {
  addresses: SavedAddress[];
  routes: SavedRoute[];
}

interface IpAddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  broadcast?: string;
  scope?: string;
  dynamic?: boolean;
}

interface IpRoute {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  prefsrc?: string;
  flags?: string[];
  nexthops?: unknown[];
}

/** Addresses worth restoring: global and site scope, configured (not SLAAC, not link-local). */
export function savedAddresses(addrInfo: readonly IpAddrInfo[]): SavedAddress[] {
  return addrInfo
    .filter((a) => (a.family === 'inet' || a.family === 'inet6') && a.scope !== 'link' && a.scope !== 'host' && !a.dynamic)
    .map((a) => ({ family: a.family as 'inet' | 'inet6', local: a.local, prefixlen: a.prefixlen, ...(a.broadcast ? { broadcast: a.broadcast } : {}) }));
}

/** Routes worth restoring: those the kernel does not recreate from the addresses by itself. */
export function savedRoutes(family: 'inet' | 'inet6', routes: readonly IpRoute[]): SavedRoute[] {
  return routes
    .filter((r) => r.table !== 'local' && r.protocol !== 'kernel' && r.protocol !== 'ra' && !r.nexthops)
    .filter((r) => !r.type || r.type === 'unicast')
    .map((r) => {
      const saved: SavedRoute = { family, dst: r.dst };
      if (r.gateway) saved.gateway = r.gateway;
      if (r.table && r.table !== 'main') saved.table = r.table;
      if (r.protocol && r.protocol !== 'boot') saved.protocol = r.protocol;
      if (r.scope && r.scope !== 'global' && r.scope !== 'universe') saved.scope = r.scope;
      if (r.metric !== undefined) saved.metric = r.metric;
      if (r.prefsrc) saved.prefsrc = r.prefsrc;
      if (r.flags?.includes('onlink')) saved.onlink = true;
      return saved;
    });
}

export function addressArgs(address: SavedAddress, iface: string): string[] {
  const args = [address.family === 'inet6' ? '-6' : '-4', 'addr', 'add', `${address.local}/${address.prefixlen}`];
  if (address.broadcast) args.push('broadcast', address.broadcast);
  args.push('dev', iface);
  if (address.family === 'inet6') args.push('nodad');
  return args;
}

export function routeArgs(route: SavedRoute, iface: string): string[] {
  const args = [route.family === 'inet6' ? '-6' : '-4', 'route', 'add', route.dst];
  if (route.gateway) args.push('via', route.gateway);
  args.push('dev', iface);
  if (route.onlink) args.push('onlink');
  if (route.table) args.push('table', route.table);
  if (route.protocol) args.push('proto', route.protocol);
  if (route.scope) args.push('scope', route.scope);
  if (route.metric !== undefined) args.push('metric', String(route.metric));
  if (route.prefsrc) args.push('src', route.prefsrc);
  return args;
}

/** Link-scope routes first: gateways must be reachable before routes through them are added. */
function restoreOrder(routes: readonly SavedRoute[]): SavedRoute[] {
  return [...routes].sort((a, b) => Number(Boolean(a.gateway)) - Number(Boolean(b.gateway)));
}

export interface LinkInfo {
  exists: boolean;
  up: boolean;
  addresses: Array<{ family: string; local: string; prefixlen: number }>;
}

export class NamespaceNetwork {
  constructor(readonly netns: string) {
    assertLabName(netns);
  }

  private async ipJson<T>(args: readonly string[]): Promise<T> {
    const out = await ip(this.netns, ['-j', ...args]);
    return (out.trim() ? JSON.parse(out) : []) as T;
  }

  async link(iface: string): Promise<LinkInfo> {
    const result = await execa('ip', ['-n', this.netns, '-j', 'addr', 'show', 'dev', iface], { reject: false });
    if (result.exitCode !== 0) return { exists: false, up: false, addresses: [] };
    const [entry] = JSON.parse(result.stdout) as Array<{ flags: string[]; addr_info: IpAddrInfo[] }>;
    return {
      exists: true,
      up: entry.flags.includes('UP'),
      addresses: entry.addr_info.map((a) => ({ family: a.family, local: a.local, prefixlen: a.prefixlen })),
    };
  }

  async snapshot(iface: string): Promise<InterfaceSnapshot> {
    const [entry] = await this.ipJson<Array<{ addr_info: IpAddrInfo[] }>>(['addr', 'show', 'dev', iface]);
    const v4 = await this.ipJson<IpRoute[]>(['-4', 'route', 'show', 'table', 'all', 'dev', iface]);
    const v6 = await this.ipJson<IpRoute[]>(['-6', 'route', 'show', 'table', 'all', 'dev', iface]);
    return {
      addresses: savedAddresses(entry?.addr_info ?? []),
      routes: [...savedRoutes('inet', v4), ...savedRoutes('inet6', v6)],
    };
  }

  /**
   * Saves the interface's configuration, then takes it down and flushes its addresses. Then, as
   * Android's netd does when an address goes (SOCK_DESTROY), it aborts the TCP sockets bound to
   * those addresses: a connection on the lost network (a proxy client's upstream connection, an
   * MPTCP subflow) fails at once with ECONNABORTED instead of retransmitting into the void until it
   * times out, and an MPTCP connection goes on over its other subflows. Returns the configuration
   * and what could not be done.
   */
  async takeDown(iface: string): Promise<{ saved: InterfaceSnapshot; problems: string[] }> {
    const saved = await this.snapshot(iface);
    await ip(this.netns, ['link', 'set', 'dev', iface, 'down']);
    await ip(this.netns, ['addr', 'flush', 'dev', iface]);
    const problems: string[] = [];
    for (const address of saved.addresses) {
      const r = await execa('ss', ['-N', this.netns, '-K', '-t', 'src', address.family === 'inet6' ? `[${address.local}]` : address.local], { reject: false });
      if (r.exitCode !== 0) problems.push(`sockets of ${address.local} not closed: ${r.stderr.trim() || `ss exited with ${r.exitCode}`}`);
    }
    return { saved, problems };
  }

  /** Brings the interface up and restores saved addresses and routes; returns what failed. */
  async bringUp(iface: string, saved: InterfaceSnapshot | undefined): Promise<string[]> {
    await ip(this.netns, ['link', 'set', 'dev', iface, 'up']);
    const problems: string[] = [];
    if (!saved) return problems;
    for (const address of saved.addresses) {
      const r = await execa('ip', ['-n', this.netns, ...addressArgs(address, iface)], { reject: false });
      if (r.exitCode !== 0 && !/File exists/.test(r.stderr)) problems.push(`${address.local}/${address.prefixlen}: ${r.stderr.trim()}`);
    }
    for (const route of restoreOrder(saved.routes)) {
      const r = await execa('ip', ['-n', this.netns, ...routeArgs(route, iface)], { reject: false });
      if (r.exitCode !== 0 && !/File exists/.test(r.stderr)) problems.push(`route ${route.dst}: ${r.stderr.trim()}`);
    }
    return problems;
  }

  async addresses(): Promise<Array<{ ifname: string; flags: string[]; addr_info: IpAddrInfo[] }>> {
    return this.ipJson(['addr', 'show']);
  }

  async mainRoutes(family: 'inet' | 'inet6'): Promise<IpRoute[]> {
    return this.ipJson([family === 'inet6' ? '-6' : '-4', 'route', 'show']);
  }
}
