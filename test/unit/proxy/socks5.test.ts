import { describe, expect, it } from 'vitest';
import {
  Reply,
  encodeConnect,
  encodeCredentials,
  encodeGreeting,
  encodeReply,
  parseCredentials,
  parseGreeting,
  parseReply,
  parseRequest,
} from '../../../proxy/socks5.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('SOCKS5 greeting', () => {
  it('waits for the whole method list, then reports its length', () => {
    expect(parseGreeting(hex('05'))).toEqual({ kind: 'incomplete' });
    expect(parseGreeting(hex('05 02 00'))).toEqual({ kind: 'incomplete' });
    expect(parseGreeting(hex('05 02 00 02 ff'))).toEqual({ kind: 'done', value: { methods: [0, 2] }, length: 4 });
  });

  it('rejects another version at byte 0 and an empty method list', () => {
    expect(parseGreeting(hex('04 01 00'))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/version 4 \(byte 0\)/) });
    expect(parseGreeting(hex('05 00'))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/no authentication methods/) });
  });
});

describe('RFC 1929 credentials', () => {
  it('round-trips through the client encoder', () => {
    const wire = encodeCredentials({ user: 'phone1', pass: 's3cr:et' });
    expect(parseCredentials(wire.subarray(0, wire.length - 1))).toEqual({ kind: 'incomplete' });
    expect(parseCredentials(wire)).toEqual({ kind: 'done', value: { user: 'phone1', pass: 's3cr:et' }, length: wire.length });
  });

  it('rejects a wrong sub-negotiation version', () => {
    expect(parseCredentials(hex('05 01 61 01 62'))).toMatchObject({ kind: 'invalid' });
  });
});

describe('SOCKS5 CONNECT request', () => {
  it('parses IPv4, IPv6 and domain targets written by the client encoder', () => {
    for (const [host, port] of [
      ['198.19.0.2', 8080],
      ['2001:2:0:2::2', 443],
      ['origin.mplab.test', 80],
    ] as const) {
      const wire = encodeConnect(host, port);
      expect(parseRequest(wire.subarray(0, wire.length - 1))).toEqual({ kind: 'incomplete' });
      expect(parseRequest(wire)).toMatchObject({ kind: 'done', value: { host, port, command: 1 }, length: wire.length });
    }
  });

  it('canonicalises IPv6 targets and lower-cases names, dropping a final dot', () => {
    expect(parseRequest(hex('05 01 00 04 20010002000000020000000000000002 0050'))).toMatchObject({ value: { host: '2001:2:0:2::2' } });
    const name = Buffer.from('Origin.MPLAB.test.');
    expect(parseRequest(Buffer.concat([hex('05 01 00 03'), Buffer.from([name.length]), name, hex('0050')]))).toMatchObject({
      value: { host: 'origin.mplab.test', port: 80 },
    });
  });

  it('treats an address literal sent as a domain name as that address', () => {
    const name = Buffer.from('198.19.0.2');
    expect(parseRequest(Buffer.concat([hex('05 01 00 03'), Buffer.from([name.length]), name, hex('1f90')]))).toMatchObject({
      value: { host: '198.19.0.2', port: 8080, addressType: 3 },
    });
  });

  it('answers unsupported commands and address types with their reply codes as soon as it knows', () => {
    expect(parseRequest(hex('05 02'))).toMatchObject({ kind: 'invalid', reply: Reply.commandNotSupported });
    expect(parseRequest(hex('05 03 00 01 00000000 0000'))).toMatchObject({ kind: 'invalid', reply: Reply.commandNotSupported });
    expect(parseRequest(hex('05 01 00 09'))).toMatchObject({ kind: 'invalid', reply: Reply.addressTypeNotSupported, reason: expect.stringMatching(/byte 3/) });
    expect(parseRequest(hex('04 01 00 01'))).toMatchObject({ kind: 'invalid', reply: Reply.generalFailure });
  });

  it('rejects names DNS cannot carry (over-long labels or names, odd bytes) and port 0', () => {
    const request = (name: Buffer): Buffer => Buffer.concat([hex('05 01 00 03'), Buffer.from([name.length]), name, hex('0050')]);
    expect(parseRequest(request(Buffer.alloc(64, 'a')))).toMatchObject({ kind: 'invalid', reply: Reply.generalFailure });
    expect(parseRequest(request(Buffer.from(`${'a'.repeat(60)}.`.repeat(4) + 'abcdefghijk')))).toMatchObject({ kind: 'invalid' });
    expect(parseRequest(request(Buffer.from('a b')))).toMatchObject({ kind: 'invalid' });
    expect(parseRequest(request(Buffer.from('a\0b')))).toMatchObject({ kind: 'invalid' });
    expect(parseRequest(request(Buffer.alloc(0)))).toMatchObject({ kind: 'invalid' });
    expect(parseRequest(hex('05 01 00 01 c6130002 0000'))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/port 0/) });
    expect(parseRequest(request(Buffer.from(`${'a'.repeat(63)}.example`)))).toMatchObject({ kind: 'done' });
  });
});

describe('SOCKS5 replies', () => {
  it('encodes IPv4 and IPv6 bound addresses that the client parser reads back', () => {
    expect(encodeReply(Reply.succeeded, { host: '198.19.0.1', port: 40000 })).toEqual(hex('05 00 00 01 c6130001 9c40'));
    expect(encodeReply(Reply.connectionRefused)).toEqual(hex('05 05 00 01 00000000 0000'));
    const v6 = encodeReply(Reply.succeeded, { host: '2001:2:0:2::1', port: 443 });
    expect(parseReply(v6)).toEqual({ kind: 'done', value: { code: 0, bound: { host: '2001:2:0:2::1', port: 443 } }, length: 22 });
  });

  it('encodes a greeting', () => {
    expect(encodeGreeting([0, 2])).toEqual(hex('05 02 00 02'));
  });
});
