import { describe, expect, it } from 'vitest';
import { parseProxyRequest } from '../../../analysis/socks.js';
import { Conversation, type CaptureRecord } from '../../support/pcap-writer.js';
import { analyzeRecords } from './run.js';

const none = Buffer.alloc(0);
const parse = (up: number[] | Buffer, down: number[] | Buffer = none) => {
  const u = Buffer.from(up);
  const d = Buffer.from(down);
  return parseProxyRequest(u, u.length, d, d.length);
};
const domain = (name: string) => [name.length, ...Buffer.from(name)];

describe('SOCKS target from the first upstream bytes', () => {
  it('reads a SOCKS5 greeting then a request with an IPv4 address', () => {
    expect(parse([5, 1, 0, 5, 1, 0, 1, 192, 0, 2, 7, 0x1f, 0x90])).toEqual({
      protocol: 'socks5',
      target: { host: '192.0.2.7', port: 8080 },
      upBytes: 13,
      downBytes: 12,
    });
  });

  it('reads a domain name, with the reply length from the proxy bytes', () => {
    const r = parse([5, 2, 0, 2, 5, 1, 0, 3, ...domain('www.example.org'), 1, 187], [5, 0, 5, 0, 0, 4, ...Array(16).fill(0), 0, 0]);
    expect(r).toEqual({ protocol: 'socks5', target: { host: 'www.example.org', port: 443 }, upBytes: 4 + 4 + 1 + 15 + 2, downBytes: 2 + 22 });
  });

  it('reads an IPv6 address', () => {
    const ip = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    expect(parse([5, 1, 0, 5, 1, 0, 4, ...ip, 0, 80])).toMatchObject({ target: { host: '2001:db8::1', port: 80 } });
  });

  it('skips username/password authentication (RFC 1929)', () => {
    const auth = [1, 4, ...Buffer.from('user'), 6, ...Buffer.from('secret')];
    expect(parse([5, 1, 2, ...auth, 5, 1, 0, 1, 10, 0, 0, 1, 0, 22], [5, 2, 1, 0])).toMatchObject({
      target: { host: '10.0.0.1', port: 22 },
      downBytes: 2 + 2 + 10,
    });
  });

  it('waits for more bytes while the request is incomplete', () => {
    expect(parse([5])).toBe('more');
    expect(parse([5, 1, 0])).toBe('more');
    expect(parse([5, 1, 0, 5, 1, 0, 3, 20, 0x61])).toBe('more');
  });

  it('reads the ShadowSocks request: 7 bytes for IPv4, domain and IPv6 forms', () => {
    expect(parse([1, 8, 8, 4, 4, 0, 53, 0xde, 0xad])).toEqual({ protocol: 'shadowsocks', target: { host: '8.8.4.4', port: 53 }, upBytes: 7, downBytes: 0 });
    expect(parse([3, ...domain('mplab.test'), 0x01, 0xbb, 0x16, 0x03])).toMatchObject({ protocol: 'shadowsocks', target: { host: 'mplab.test', port: 443 }, upBytes: 14 });
    expect(parse([4, ...Array(15).fill(0), 1, 0, 80])).toMatchObject({ target: { host: '::1', port: 80 }, upBytes: 19 });
  });

  it('reads SOCKS4 and SOCKS4a', () => {
    expect(parse([4, 1, 0, 80, 192, 0, 2, 1, ...Buffer.from('me'), 0])).toMatchObject({ protocol: 'socks4', target: { host: '192.0.2.1', port: 80 }, upBytes: 11 });
    expect(parse([4, 1, 1, 187, 0, 0, 0, 9, 0, ...Buffer.from('example.com'), 0])).toMatchObject({ target: { host: 'example.com', port: 443 } });
  });

  it('reads an HTTP CONNECT request', () => {
    const req = Buffer.from('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    const rep = Buffer.from('HTTP/1.1 200 Connection established\r\n\r\n');
    expect(parse(req, rep)).toEqual({ protocol: 'http-connect', target: { host: 'example.com', port: 443 }, upBytes: req.length, downBytes: rep.length });
  });

  it('does not take other protocols for a proxy request', () => {
    expect(parse(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBe('none');
    expect(parse([0x16, 3, 1, 0, 0xa5])).toBe('none');
    expect(parse([5, 1, 0, 9, 9])).toBe('none');
    expect(parse([3, 3, 0x01, 0x02, 0x03, 0, 80])).toBe('none');
  });
});

describe('SOCKS target in the analysis', () => {
  it('reads the request across segments and takes the target from the initial subflow', () => {
    const recs: CaptureRecord[] = [];
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:1080');
    c.handshake(1000);
    c.send('up', 1000.1, Buffer.from([5, 1, 0]));
    c.send('down', 1000.11, Buffer.from([5, 0]));
    c.send('up', 1000.12, Buffer.from([5, 1, 0, 3, ...domain('video.example')]));
    c.send('up', 1000.13, Buffer.from([0x01, 0xbb]));
    c.send('down', 1000.14, Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
    c.send('up', 1000.2, 400);
    const out = analyzeRecords(recs);
    expect(out.connections[0]).toMatchObject({ target: { host: 'video.example', port: 443 }, proxyProtocol: 'socks5', empty: false });
    expect(out.result?.destinationPorts[0]).toMatchObject({ port: 443, connections: 1 });
  });

  it('reads the request of each connection from its own bytes only (prefix buffers are reused)', () => {
    const recs: CaptureRecord[] = [];
    const request = [5, 1, 0, 3, ...domain('aaaa.example'), 0x01, 0xbb];
    const a = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:1080');
    a.handshake(1000);
    a.send('up', 1000.1, Buffer.from([5, 1, 0]));
    a.send('down', 1000.11, Buffer.from([5, 0]));
    a.send('up', 1000.12, Buffer.from(request));
    a.send('down', 1000.13, Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
    // the first response bytes: the proxy's reply is read whole, and the prefixes go to the next connection
    a.send('down', 1000.14, 100);
    // the next connection sends the same bytes, cut in the middle of the host name
    const b = new Conversation(recs, '198.18.1.2:40001', '198.18.0.1:1080');
    b.handshake(1001);
    b.send('up', 1001.1, Buffer.from([5, 1, 0]));
    b.send('down', 1001.11, Buffer.from([5, 0]));
    b.send('up', 1001.12, Buffer.from(request.slice(0, 9)));
    const out = analyzeRecords(recs);
    expect(out.connections.map((c) => c.target)).toEqual([{ host: 'aaaa.example', port: 443 }, null]);
  });

  it('gives no target when the snapshot length cut the request', () => {
    const recs: CaptureRecord[] = [];
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:1080');
    c.handshake(1000);
    c.send('up', 1000.1, Buffer.from([5, 1, 0, 5, 1, 0, 3, ...domain('a-rather-long-host-name.example.org'), 0, 80]));
    const out = analyzeRecords(recs, { snaplen: 20 + 20 + 20 });
    expect(out.connections[0].target).toBeNull();
    expect(out.subflows[0].bytes.up).toBe(3 + 4 + 1 + 35 + 2);
  });
});
