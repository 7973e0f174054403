import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AdbFailError, AdbTimeoutError, AdbkitPrematureEOFError, isTcpSerial, parseDeviceList } from '../../../framework/devices/adb-server.js';
import { captureStartScript, checkCaptureName, defaultCaptureName } from '../../../framework/devices/capture.js';
import { joinParts, parseBattery, parseGetprop, parseLocked, parseScreenOn, sectionStart, splitParts, splitSections } from '../../../framework/devices/parse.js';
import { classifyFault } from '../../../framework/devices/recovery.js';
import { ShellCutError, ShellTimeoutError } from '../../../framework/devices/shell.js';

describe('Android output parsers', () => {
  it('reads getprop lines, empty and multi-line values included', () => {
    expect(parseGetprop('[ro.build.version.sdk]: [34]\n[ro.product.model]: [Pixel 7]\n[empty]: []\n[multi]: [a\nb]\n')).toEqual({
      'ro.build.version.sdk': '34',
      'ro.product.model': 'Pixel 7',
      empty: '',
      multi: 'a\nb',
    });
  });

  it('reads level, temperature (tenths of a degree) and power sources from dumpsys battery; null for what is missing', () => {
    const text = 'Current Battery Service state:\n  AC powered: false\n  USB powered: true\n  Wireless powered: false\n  status: 2\n  level: 87\n  scale: 100\n  temperature: 285\n';
    expect(parseBattery(text)).toEqual({ level: 87, temperatureC: 28.5, powered: { ac: false, usb: true, wireless: false } });
    expect(parseBattery('')).toEqual({ level: null, temperatureC: null, powered: { ac: null, usb: null, wireless: null } });
  });

  it('reads screen on and keyguard from the fields of several releases; null when none is there', () => {
    expect(parseScreenOn('  mWakefulness=Awake\n')).toBe(true);
    expect(parseScreenOn('  mWakefulness=Asleep\n')).toBe(false);
    expect(parseScreenOn('Display Power: state=OFF\n')).toBe(false);
    expect(parseScreenOn('mScreenOn=true')).toBe(true);
    expect(parseScreenOn('nothing')).toBeNull();
    expect(parseLocked('    mShowingLockscreen=false mShowingDream=false mDreamingLockscreen=false')).toBe(false);
    expect(parseLocked('  KeyguardController:\n    mKeyguardShowing=true\n')).toBe(true);
    expect(parseLocked('')).toBeNull();
  });
});

describe('adb answers and faults', () => {
  it('parses the host:devices answer and tells TCP serials (host:port) from USB ones', () => {
    expect(parseDeviceList('R58M12\tdevice\n127.0.0.1:6601\toffline\nXYZ\tunauthorized\n')).toEqual([
      { serial: 'R58M12', state: 'device' },
      { serial: '127.0.0.1:6601', state: 'offline' },
      { serial: 'XYZ', state: 'unauthorized' },
    ]);
    expect([isTcpSerial('127.0.0.1:6601'), isTcpSerial('phone.lab:5555'), isTcpSerial('R58M12'), isTcpSerial('emulator-5554')]).toEqual([true, true, false, false]);
  });

  it('classifies faults for recovery', () => {
    expect(classifyFault(new AdbFailError('host:transport:x', 'device offline'))).toBe('offline');
    expect(classifyFault(new AdbFailError('host:transport:x', "device 'x' not found"))).toBe('absent');
    expect(classifyFault(new AdbFailError('host:transport:x', 'device unauthorized.\nThis adb server...'))).toBe('unauthorized');
    expect(classifyFault(new ShellCutError('ls', Buffer.alloc(0)))).toBe('cut');
    expect(classifyFault(new ShellTimeoutError('ls', 1000, Buffer.alloc(0)))).toBe('unresponsive');
    expect(classifyFault(new AdbTimeoutError('host:devices', 1000))).toBe('unresponsive');
    expect(classifyFault(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('server');
    expect(classifyFault(new AdbkitPrematureEOFError(4))).toBe('cut');
    expect(classifyFault(new Error('something else'))).toBe('other');
  });
});

describe('phone captures', () => {
  it('checks capture names and quotes every path in the start script', () => {
    expect(() => checkCaptureName('../x')).toThrow(/expected 1-64/);
    expect(() => checkCaptureName('a b')).toThrow(/expected 1-64/);
    expect(defaultCaptureName(new Date('2025-01-02T03:04:05.678Z'))).toBe('mplab-20250102T030405');
    const script = captureStartScript({ dir: '/data/local/tmp/mplab', name: 'run1', iface: 'any', snaplen: 0 });
    expect(script).toContain('nohup tcpdump -i any -s 0 -U --immediate-mode -n -Z root -w /data/local/tmp/mplab/run1.pcap > /data/local/tmp/mplab/run1.log 2>&1 < /dev/null &');
    const spaced = captureStartScript({ dir: "/data/local/tmp/my dir's", name: 'run1', iface: 'any', snaplen: 0 });
    expect(spaced).toContain(`mkdir -p '/data/local/tmp/my dir'\\''s'`);
    expect(spaced).toContain(`-w '/data/local/tmp/my dir'\\''s/run1.pcap' > '/data/local/tmp/my dir'\\''s/run1.log'`);
    expect(spaced).toContain(`echo $! > '/data/local/tmp/my dir'\\''s/run1.pid'`);
  });
});

describe('joinParts / splitParts', () => {
  it('runs several sectioned scripts in one sh call and gives each its own sections back', () => {
    const script = joinParts({
      a: `${sectionStart('x')}; echo one; ${sectionStart('y')}; echo two`,
      // the same section name in another part, and a part whose command fails half way
      b: `${sectionStart('x')}; false; echo three; exit_status_is_kept_going`,
      c: 'printf "no newline"',
    });
    const out = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const parts = splitParts(out);
    expect([...parts.keys()]).toEqual(['a', 'b', 'c']);
    expect(Object.fromEntries(splitSections(parts.get('a')!))).toEqual({ x: 'one', y: 'two' });
    expect(Object.fromEntries(splitSections(parts.get('b')!))).toEqual({ x: 'three' });
    expect(parts.get('c')).toBe('no newline');
  });
});
