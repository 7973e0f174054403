import { describe, expect, it } from 'vitest';
import { hostOf, isProbeRecord, parsePackageUid } from '../../../framework/runner/proxy-path.js';

describe('proxy path check', () => {
  it("reads the package's uid from cmd package list packages -U, matching the whole name", () => {
    const out = 'package:com.whatsapp.w4b uid:10031\npackage:com.whatsapp uid:10020\n';
    expect(parsePackageUid(out, 'com.whatsapp')).toBe(10020);
    expect(parsePackageUid(out, 'com.whatsapp.w4b')).toBe(10031);
    expect(parsePackageUid(out, 'com.what')).toBeNull();
    expect(parsePackageUid('', 'com.whatsapp')).toBeNull();
  });

  it("finds the probe's CONNECT in the proxy's log by its target, whatever the close", () => {
    const rec = (host: string, port: number, close = 'target-unreachable') => JSON.stringify({ event: 'connection', id: 3, client: '198.18.1.2:40000', listen: '198.18.0.1:1080', target: { host, port }, remote: null, start: 1, end: 2, bytes: { up: 0, down: 0 }, close, mptcp: null });
    const P = '198.18.0.1';
    expect(isProbeRecord(rec(P, 41234, 'target-refused'), P, 41234)).toBe(true);
    expect(isProbeRecord(rec(P, 41234, 'client-end'), P, 41234)).toBe(true);
    expect(isProbeRecord(rec(P, 41235), P, 41234)).toBe(false);
    expect(isProbeRecord(rec('198.19.1.30', 41234), P, 41234)).toBe(false);
    expect(isProbeRecord('{"event":"refused","target":null}', P, 41234)).toBe(false);
    expect(isProbeRecord('{"event":"conn', P, 41234)).toBe(false);
  });

  it("takes the proxy's host from host:port and [IPv6]:port", () => {
    expect(hostOf('198.18.0.1:1080')).toBe('198.18.0.1');
    expect(hostOf('proxy.lab:1080')).toBe('proxy.lab');
    expect(hostOf('[2001:db8::1]:1080')).toBe('2001:db8::1');
  });
});
