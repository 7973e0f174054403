import net from 'node:net';
import { expandIpv6 } from './address.js';

/**
 * The SOCKS5 wire format (RFC 1928) and username/password sub-negotiation (RFC 1929): parsers
 * that work on whatever bytes have arrived so far and encoders for the replies. No I/O here.
 */
export const SOCKS_VERSION = 0x05;
export const USERPASS_VERSION = 0x01;

export const Method = { noAuth: 0x00, userPass: 0x02, noAcceptable: 0xff } as const;
export const Cmd = { connect: 0x01, bind: 0x02, udpAssociate: 0x03 } as const;
export const Atyp = { ipv4: 0x01, domain: 0x03, ipv6: 0x04 } as const;

export const Reply = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;
export type ReplyCode = (typeof Reply)[keyof typeof Reply];

/**
 * The outcome of parsing the front of a buffer: more bytes needed, a message and how many bytes it
 * took, or a protocol violation with the reply it deserves (when the protocol has one).
 */
export type Parsed<T> =
  | { kind: 'incomplete' }
  | { kind: 'done'; value: T; length: number }
  | { kind: 'invalid'; reason: string; reply?: ReplyCode };

export interface Greeting {
  methods: number[];
}

export interface Credentials {
  user: string;
  pass: string;
}

export interface ConnectRequest {
  command: number;
  /** an IP literal (IPv4 or IPv6) or a domain name */
  host: string;
  port: number;
  addressType: number;
}

const incomplete = { kind: 'incomplete' } as const;

export function parseGreeting(buf: Buffer): Parsed<Greeting> {
  if (buf.length < 1) return incomplete;
  if (buf[0] !== SOCKS_VERSION) return { kind: 'invalid', reason: `greeting: version ${buf[0]} (byte 0), expected 5` };
  if (buf.length < 2) return incomplete;
  const count = buf[1];
  if (count === 0) return { kind: 'invalid', reason: 'greeting: no authentication methods offered (byte 1 is 0)' };
  if (buf.length < 2 + count) return incomplete;
  return { kind: 'done', value: { methods: [...buf.subarray(2, 2 + count)] }, length: 2 + count };
}

export function parseCredentials(buf: Buffer): Parsed<Credentials> {
  if (buf.length < 1) return incomplete;
  if (buf[0] !== USERPASS_VERSION) return { kind: 'invalid', reason: `username/password: version ${buf[0]} (byte 0), expected 1` };
  if (buf.length < 2) return incomplete;
  const userLength = buf[1];
  if (buf.length < 3 + userLength) return incomplete;
  const passLength = buf[2 + userLength];
  const length = 3 + userLength + passLength;
  if (buf.length < length) return incomplete;
  return {
    kind: 'done',
    value: { user: buf.toString('utf8', 2, 2 + userLength), pass: buf.toString('utf8', 3 + userLength, length) },
    length,
  };
}

// letters, digits, hyphens and underscores in dot-separated labels of 1-63 bytes, 253 bytes in all
const HOSTNAME = /^(?=.{1,253}\.?$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

export function parseRequest(buf: Buffer): Parsed<ConnectRequest> {
  if (buf.length < 1) return incomplete;
  if (buf[0] !== SOCKS_VERSION) return { kind: 'invalid', reason: `request: version ${buf[0]} (byte 0), expected 5`, reply: Reply.generalFailure };
  if (buf.length < 2) return incomplete;
  const command = buf[1];
  if (command !== Cmd.connect) {
    return { kind: 'invalid', reason: `request: command ${command} (byte 1) not supported, only CONNECT (1)`, reply: Reply.commandNotSupported };
  }
  if (buf.length < 4) return incomplete;
  const addressType = buf[3];
  let host: string;
  let end: number;
  if (addressType === Atyp.ipv4) {
    end = 4 + 4;
    if (buf.length < end + 2) return incomplete;
    host = [...buf.subarray(4, end)].join('.');
  } else if (addressType === Atyp.ipv6) {
    end = 4 + 16;
    if (buf.length < end + 2) return incomplete;
    host = formatIpv6(buf.subarray(4, end));
  } else if (addressType === Atyp.domain) {
    if (buf.length < 5) return incomplete;
    end = 5 + buf[4];
    if (buf.length < end + 2) return incomplete;
    const name = buf.toString('latin1', 5, end);
    // some clients send an address literal as a "domain"; treat it as the address it is
    if (net.isIP(name)) host = name;
    else if (HOSTNAME.test(name)) host = name.toLowerCase().replace(/\.$/, '');
    else return { kind: 'invalid', reason: `request: domain name ${JSON.stringify(name)} (bytes 5-${end - 1}) is not a valid host name`, reply: Reply.generalFailure };
  } else {
    return { kind: 'invalid', reason: `request: address type ${addressType} (byte 3) unknown, expected 1, 3 or 4`, reply: Reply.addressTypeNotSupported };
  }
  const port = buf.readUInt16BE(end);
  if (port === 0) return { kind: 'invalid', reason: `request: port 0 (bytes ${end}-${end + 1})`, reply: Reply.generalFailure };
  return { kind: 'done', value: { command, host, port, addressType }, length: end + 2 };
}

export function formatIpv6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // net.SocketAddress gives the canonical (compressed) spelling
  return new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

export function encodeMethodChoice(method: number): Buffer {
  return Buffer.from([SOCKS_VERSION, method]);
}

export function encodeAuthStatus(ok: boolean): Buffer {
  return Buffer.from([USERPASS_VERSION, ok ? 0x00 : 0x01]);
}

/** A reply to a request; `bound` is the proxy's own end of the outgoing connection (0.0.0.0:0 on errors). */
export function encodeReply(code: ReplyCode, bound?: { host: string; port: number }): Buffer {
  const host = bound?.host ?? '0.0.0.0';
  const port = bound?.port ?? 0;
  const v4 = net.isIPv4(host);
  const out = Buffer.alloc(4 + (v4 ? 4 : 16) + 2);
  out[0] = SOCKS_VERSION;
  out[1] = code;
  out[2] = 0x00;
  out[3] = v4 ? Atyp.ipv4 : Atyp.ipv6;
  if (v4) host.split('.').forEach((octet, i) => (out[4 + i] = Number(octet)));
  else ipv6Bytes(host).copy(out, 4);
  out.writeUInt16BE(port, out.length - 2);
  return out;
}

/** The client side: a greeting offering `methods`. */
export function encodeGreeting(methods: number[]): Buffer {
  return Buffer.from([SOCKS_VERSION, methods.length, ...methods]);
}

export function encodeCredentials({ user, pass }: Credentials): Buffer {
  const u = Buffer.from(user, 'utf8');
  const p = Buffer.from(pass, 'utf8');
  if (u.length < 1 || u.length > 255 || p.length < 1 || p.length > 255) throw new RangeError('username and password must be 1-255 bytes');
  return Buffer.concat([Buffer.from([USERPASS_VERSION, u.length]), u, Buffer.from([p.length]), p]);
}

/** The client side: a CONNECT request; IP literals go as addresses, anything else as a domain name. */
export function encodeConnect(host: string, port: number): Buffer {
  let address: Buffer;
  if (net.isIPv4(host)) address = Buffer.from([Atyp.ipv4, ...host.split('.').map(Number)]);
  else if (net.isIPv6(host)) address = Buffer.concat([Buffer.from([Atyp.ipv6]), ipv6Bytes(host)]);
  else {
    const name = Buffer.from(host, 'latin1');
    if (name.length > 255) throw new RangeError('domain name longer than 255 bytes');
    address = Buffer.concat([Buffer.from([Atyp.domain, name.length]), name]);
  }
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16BE(port);
  return Buffer.concat([Buffer.from([SOCKS_VERSION, Cmd.connect, 0x00]), address, portBytes]);
}

/** The client side: a reply's code and bound address. */
export function parseReply(buf: Buffer): Parsed<{ code: number; bound: { host: string; port: number } }> {
  if (buf.length < 4) return incomplete;
  if (buf[0] !== SOCKS_VERSION) return { kind: 'invalid', reason: `reply: version ${buf[0]}, expected 5` };
  const atyp = buf[3];
  let end: number;
  let host: string;
  if (atyp === Atyp.ipv4) {
    end = 8;
    if (buf.length < end + 2) return incomplete;
    host = [...buf.subarray(4, 8)].join('.');
  } else if (atyp === Atyp.ipv6) {
    end = 20;
    if (buf.length < end + 2) return incomplete;
    host = formatIpv6(buf.subarray(4, 20));
  } else if (atyp === Atyp.domain) {
    if (buf.length < 5) return incomplete;
    end = 5 + buf[4];
    if (buf.length < end + 2) return incomplete;
    host = buf.toString('latin1', 5, end);
  } else {
    return { kind: 'invalid', reason: `reply: address type ${atyp}` };
  }
  return { kind: 'done', value: { code: buf[1], bound: { host, port: buf.readUInt16BE(end) } }, length: end + 2 };
}

function ipv6Bytes(ip: string): Buffer {
  const out = Buffer.alloc(16);
  expandIpv6(ip)
    .split(':')
    .forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2));
  return out;
}
