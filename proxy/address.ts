import net from 'node:net';

/** An IP literal and a port, as the proxy listens, connects and logs them. */
export interface Endpoint {
  host: string;
  port: number;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/** IPv4-mapped IPv6 addresses (what a dual-stack socket reports for IPv4 peers) become plain IPv4. */
export function normalizeIp(ip: string): string {
  const mapped = MAPPED_V4.exec(ip);
  return mapped ? mapped[1] : ip;
}

/** "198.18.1.2:40122" or "[2001:2::1]:443", the shared format of addresses in JSON output. */
export function formatEndpoint(host: string, port: number): string {
  const ip = normalizeIp(host);
  return net.isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * Parses "IP:PORT" or "[IPv6]:PORT" (the IP must be a literal). Returns an error message instead
 * of throwing so that callers can say which option or field was wrong.
 */
export function parseEndpoint(text: string): Endpoint | string {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const plain = /^([^:[\]]+):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  if (!match) return `"${text}": expected IP:PORT, e.g. 198.18.0.1:1080 or [2001:2::1]:1080`;
  const host = match[1];
  if (bracketed ? !net.isIPv6(host) : !net.isIPv4(host)) {
    return `"${text}": "${host}" is not an ${bracketed ? 'IPv6' : 'IPv4'} address`;
  }
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port > 65535) return `"${text}": port must be 0-65535`;
  return { host, port };
}

/** Loopback and unspecified addresses reach the proxy's own host whatever its interfaces. */
export function isLoopbackOrUnspecified(ip: string): boolean {
  const addr = normalizeIp(ip);
  if (net.isIPv4(addr)) return addr.startsWith('127.') || addr === '0.0.0.0';
  const expanded = expandIpv6(addr);
  return expanded === '0000:0000:0000:0000:0000:0000:0000:0001' || expanded === '0000:0000:0000:0000:0000:0000:0000:0000';
}

/** Eight zero-padded groups, for comparing IPv6 addresses written differently. */
export function expandIpv6(ip: string): string {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const last = right.length ? right[right.length - 1] : left[left.length - 1];
  // a trailing dotted quad (::ffff:1.2.3.4 or 64:ff9b::1.2.3.4) stands for two groups
  if (last !== undefined && last.includes('.')) {
    const octets = last.split('.').map(Number);
    const groups = [((octets[0] << 8) | octets[1]).toString(16), ((octets[2] << 8) | octets[3]).toString(16)];
    if (right.length) right.splice(right.length - 1, 1, ...groups);
    else left.splice(left.length - 1, 1, ...groups);
  }
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((g) => g.padStart(4, '0').toLowerCase()).join(':');
}

/** Whether two IP literals name the same address (IPv6 spelled differently, IPv4-mapped forms). */
export function sameIp(a: string, b: string): boolean {
  const x = normalizeIp(a);
  const y = normalizeIp(b);
  if (net.isIPv6(x) && net.isIPv6(y)) return expandIpv6(x) === expandIpv6(y);
  return x === y;
}
