import { formatIPv4, formatIPv6 } from './address.js';
import { u16be, u32be } from './bytes.js';

/**
 * The real destination of a proxied connection, read from the first bytes the client sent
 * (and, for the reply sizes, the first bytes the proxy sent back):
 * - SOCKS5 (RFC 1928): greeting, optional username/password (RFC 1929), then the request with an
 *   IPv4 address, a domain name or an IPv6 address;
 * - SOCKS4 and SOCKS4a;
 * - the ShadowSocks header (the SOCKS5 address form alone: 7 bytes for IPv4), sent in clear text;
 * - an HTTP CONNECT request.
 */
export interface ProxyTarget {
  host: string;
  port: number;
}

export type ProxyProtocol = 'socks5' | 'socks4' | 'shadowsocks' | 'http-connect';

export interface ProxyRequest {
  protocol: ProxyProtocol;
  target: ProxyTarget;
  /** bytes the client sent for the proxy protocol (greeting, authentication, request) */
  upBytes: number;
  /** bytes the proxy sends back for it (method choice, authentication status, reply) */
  downBytes: number;
}

/** 'more': the bytes so far are a valid beginning; 'none': not a proxy request we know */
export type ParseResult = ProxyRequest | 'more' | 'none';

export function parseProxyRequest(up: Uint8Array, upLen: number, down: Uint8Array, downLen: number): ParseResult {
  if (upLen === 0) return 'more';
  const first = up[0];
  if (first === 5) return parseSocks5(up, upLen, down, downLen);
  // SOCKS4 (command 1 or 2) and the ShadowSocks IPv6 form both start with 4
  if (first === 4 && (upLen < 2 || up[1] === 1 || up[1] === 2)) return parseSocks4(up, upLen);
  if (first === 0x43) return parseConnect(up, upLen, down, downLen);
  return parseShadowsocks(up, upLen);
}

interface Address {
  host: string;
  /** offset just after the port */
  end: number;
  port: number;
}

/** SOCKS5 address (ATYP, address, port) at `p`; 'more' if incomplete, 'none' if invalid. */
function parseAddress(b: Uint8Array, len: number, p: number, atyp: number): Address | 'more' | 'none' {
  if (atyp === 1) {
    if (len < p + 6) return 'more';
    return { host: formatIPv4(u32be(b, p)), port: u16be(b, p + 4), end: p + 6 };
  }
  if (atyp === 3) {
    if (len < p + 1) return 'more';
    const n = b[p];
    if (n === 0) return 'none';
    if (len < p + 1 + n + 2) return 'more';
    for (let i = 0; i < n; i++) if (!isHostChar(b[p + 1 + i])) return 'none';
    // one string from the (ASCII) bytes, not one per character appended
    const host = String.fromCharCode.apply(null, b.subarray(p + 1, p + 1 + n) as unknown as number[]);
    const q = p + 1 + n;
    return { host, port: u16be(b, q), end: q + 2 };
  }
  if (atyp === 4) {
    if (len < p + 18) return 'more';
    return { host: formatIPv6(u32be(b, p), u32be(b, p + 4), u32be(b, p + 8), u32be(b, p + 12)), port: u16be(b, p + 16), end: p + 18 };
  }
  return 'none';
}

function isHostChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2e || c === 0x2d || c === 0x5f || c === 0x3a;
}

function parseSocks5(u: Uint8Array, len: number, d: Uint8Array, dLen: number): ParseResult {
  if (len < 2) return 'more';
  const methods = u[1];
  if (methods === 0) return 'none';
  let p = 2 + methods;
  if (len < p + 1) return 'more';
  let down = 2;
  if (u[p] === 1) {
    // username/password sub-negotiation (RFC 1929): VER ULEN UNAME PLEN PASSWD
    if (len < p + 2) return 'more';
    const ulen = u[p + 1];
    if (len < p + 3 + ulen) return 'more';
    const plen = u[p + 2 + ulen];
    p += 3 + ulen + plen;
    down += 2;
    if (len < p + 1) return 'more';
  }
  if (u[p] !== 5) return 'none';
  if (len < p + 4) return 'more';
  const cmd = u[p + 1];
  if (cmd < 1 || cmd > 3 || u[p + 2] !== 0) return 'none';
  const addr = parseAddress(u, len, p + 4, u[p + 3]);
  if (addr === 'more' || addr === 'none') return addr;
  return { protocol: 'socks5', target: { host: addr.host, port: addr.port }, upBytes: addr.end, downBytes: down + socks5ReplyLength(d, dLen, down) };
}

/** The length of the SOCKS5 reply at `p` of the proxy's bytes; 10 (IPv4 form) when not captured. */
function socks5ReplyLength(d: Uint8Array, dLen: number, p: number): number {
  if (dLen < p + 5 || d[p] !== 5) return 10;
  const atyp = d[p + 3];
  if (atyp === 1) return 10;
  if (atyp === 4) return 22;
  if (atyp === 3) return 4 + 1 + d[p + 4] + 2;
  return 10;
}

function parseSocks4(u: Uint8Array, len: number): ParseResult {
  if (len < 2) return 'more';
  if (u[1] !== 1 && u[1] !== 2) return 'none';
  if (len < 9) return 'more';
  const port = u16be(u, 2);
  const ip = u32be(u, 4);
  let p = 8;
  while (p < len && u[p] !== 0) p++;
  if (p >= len) return p >= 512 ? 'none' : 'more';
  p++;
  if (ip > 0 && ip < 256) {
    // SOCKS4a: a domain name follows the user id
    let host = '';
    while (p < len && u[p] !== 0) {
      if (!isHostChar(u[p])) return 'none';
      host += String.fromCharCode(u[p]);
      p++;
    }
    if (p >= len) return 'more';
    return { protocol: 'socks4', target: { host, port }, upBytes: p + 1, downBytes: 8 };
  }
  return { protocol: 'socks4', target: { host: formatIPv4(ip), port }, upBytes: p, downBytes: 8 };
}

function parseShadowsocks(u: Uint8Array, len: number): ParseResult {
  // the address type, with 0x10 set in the one-time-authentication variant
  const first = u[0];
  if (first !== 1 && first !== 3 && first !== 4 && first !== 0x11 && first !== 0x13 && first !== 0x14) return 'none';
  const atyp = first & 0x0f;
  const addr = parseAddress(u, len, 1, atyp);
  if (addr === 'more' || addr === 'none') return addr;
  if (addr.port === 0) return 'none';
  return { protocol: 'shadowsocks', target: { host: addr.host, port: addr.port }, upBytes: addr.end, downBytes: 0 };
}

const CONNECT = 'CONNECT ';

function parseConnect(u: Uint8Array, len: number, d: Uint8Array, dLen: number): ParseResult {
  for (let i = 0; i < CONNECT.length; i++) {
    if (i >= len) return 'more';
    if (u[i] !== CONNECT.charCodeAt(i)) return 'none';
  }
  const text = Buffer.from(u.buffer, u.byteOffset, len).toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return len >= 512 ? 'none' : 'more';
  const line = text.slice(CONNECT.length, text.indexOf('\r\n'));
  const authority = line.split(' ')[0] ?? '';
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(authority);
  if (!m) return 'none';
  const port = Number(m[3]);
  if (port > 65535) return 'none';
  const reply = Buffer.from(d.buffer, d.byteOffset, dLen).toString('latin1').indexOf('\r\n\r\n');
  return { protocol: 'http-connect', target: { host: m[1] ?? m[2], port }, upBytes: headEnd + 4, downBytes: reply < 0 ? 0 : reply + 4 };
}
