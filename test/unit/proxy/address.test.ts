import { describe, expect, it } from 'vitest';
import { expandIpv6, formatEndpoint, isLoopbackOrUnspecified, normalizeIp, parseEndpoint, sameIp } from '../../../proxy/address.js';
import { parseAllowList } from '../../../proxy/allow.js';

describe('addresses', () => {
  it('turns IPv4-mapped IPv6 into IPv4 and formats endpoints in the shared format', () => {
    expect(normalizeIp('::ffff:198.18.1.2')).toBe('198.18.1.2');
    expect(normalizeIp('::FFFF:198.18.1.2')).toBe('198.18.1.2');
    expect(normalizeIp('2001:2::1')).toBe('2001:2::1');
    expect(formatEndpoint('::ffff:198.18.1.2', 40122)).toBe('198.18.1.2:40122');
    expect(formatEndpoint('2001:2::1', 443)).toBe('[2001:2::1]:443');
  });

  it('parses listen addresses and says what is wrong', () => {
    expect(parseEndpoint('198.18.0.1:1080')).toEqual({ host: '198.18.0.1', port: 1080 });
    expect(parseEndpoint('[::]:1080')).toEqual({ host: '::', port: 1080 });
    expect(parseEndpoint('198.18.0.1')).toMatch(/expected IP:PORT/);
    expect(parseEndpoint('example.org:1080')).toMatch(/not an IPv4 address/);
    expect(parseEndpoint('[198.18.0.1]:1080')).toMatch(/not an IPv6 address/);
    expect(parseEndpoint('198.18.0.1:70000')).toMatch(/port must be/);
  });

  it('compares IPv6 addresses however they are written', () => {
    expect(expandIpv6('2001:2::1')).toBe('2001:0002:0000:0000:0000:0000:0000:0001');
    expect(expandIpv6('::ffff:1.2.3.4')).toBe('0000:0000:0000:0000:0000:ffff:0102:0304');
    expect(sameIp('2001:2:0:0::1', '2001:2::1')).toBe(true);
    expect(sameIp('::ffff:198.18.0.1', '198.18.0.1')).toBe(true);
    expect(sameIp('198.18.0.1', '198.18.0.2')).toBe(false);
  });

  it('knows loopback and unspecified addresses', () => {
    for (const ip of ['127.0.0.1', '127.9.9.9', '0.0.0.0', '::1', '0:0::1', '::', '::ffff:127.0.0.1']) expect(isLoopbackOrUnspecified(ip)).toBe(true);
    for (const ip of ['198.18.0.1', '2001:2::1', '::2']) expect(isLoopbackOrUnspecified(ip)).toBe(false);
  });
});

describe('allow lists', () => {
  it('matches IPv4 and IPv6 prefixes, bare addresses and IPv4-mapped clients', () => {
    const list = parseAllowList('198.18.0.0/15, 2001:2::/48,203.0.113.7');
    if (typeof list === 'string') throw new Error(list);
    expect(list.cidrs).toEqual(['198.18.0.0/15', '2001:2::/48', '203.0.113.7/32']);
    expect(list.allows('198.19.255.1')).toBe(true);
    expect(list.allows('::ffff:198.18.1.2')).toBe(true);
    expect(list.allows('198.20.0.1')).toBe(false);
    expect(list.allows('2001:2:0:1::2')).toBe(true);
    expect(list.allows('2001:3::1')).toBe(false);
    expect(list.allows('203.0.113.7')).toBe(true);
    expect(list.allows('203.0.113.8')).toBe(false);
    expect(list.allows('not-an-ip')).toBe(false);
  });

  it('names the bad entry', () => {
    expect(parseAllowList('198.18.0.0/15,198.18.0.0/33')).toMatch(/"198.18.0.0\/33": prefix must be 0-32/);
    expect(parseAllowList('example.org/8')).toMatch(/"example.org\/8"/);
    expect(parseAllowList('1.2.3.4/8/9')).toMatch(/expected an IPv4 or IPv6 address/);
    expect(parseAllowList(' , ')).toMatch(/at least one CIDR/);
  });
});
