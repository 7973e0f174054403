import net from 'node:net';
import { normalizeIp } from './address.js';

/** The client networks a proxy serves: a list of CIDR prefixes, IPv4 and IPv6. */
export interface AllowList {
  readonly cidrs: readonly string[];
  allows(ip: string): boolean;
}

/**
 * Parses "198.18.0.0/15,2001:2::/48,198.18.9.7" (a bare address is a /32 or /128). Returns an
 * error message naming the bad entry instead of throwing.
 */
export function parseAllowList(text: string): AllowList | string {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) return 'expected at least one CIDR, e.g. 198.18.0.0/15';
  const list = new net.BlockList();
  const cidrs: string[] = [];
  for (const entry of entries) {
    const [rawAddress, prefixText, extra] = entry.split('/');
    const address = normalizeIp(rawAddress);
    const family = net.isIP(address);
    if (extra !== undefined || family === 0) return `"${entry}": expected an IPv4 or IPv6 address with an optional /prefix`;
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) return `"${entry}": prefix must be 0-${max}`;
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    cidrs.push(`${address}/${prefix}`);
  }
  return {
    cidrs,
    allows(ip: string): boolean {
      const address = normalizeIp(ip);
      const family = net.isIP(address);
      if (family === 0) return false;
      return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
