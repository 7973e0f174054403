import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shCommand, shQuote } from '../../../framework/devices/quote.js';
import { HOSTILE } from './hostile-strings.js';


describe('shQuote', () => {
  it('leaves plain words alone and quotes everything else', () => {
    expect(shQuote('com.example.app')).toBe('com.example.app');
    expect(shQuote('/data/local/tmp/x.pcap')).toBe('/data/local/tmp/x.pcap');
    expect(shQuote(42)).toBe('42');
    expect(shQuote('')).toBe("''");
    expect(shQuote("a'b")).toBe("'a'\\''b'");
    expect(shQuote('a b')).toBe("'a b'");
  });

  it('refuses NUL, which no shell argument can carry', () => {
    expect(() => shQuote('a\0b')).toThrow(/NUL/);
  });

  it('round-trips hostile strings through a real sh, each as exactly one word', () => {
    for (const value of HOSTILE) {
      const script = `printf '%s\\0' ${shCommand([value, 'end'])}`;
      const out = execFileSync('sh', ['-c', script]).toString('utf8');
      expect(out.split('\0')).toEqual([value, 'end', '']);
    }
  });

  it('survives being quoted twice (a script handed to su -c or sh -c)', () => {
    for (const value of HOSTILE) {
      const inner = `printf '%s' ${shQuote(value)}`;
      const out = execFileSync('sh', ['-c', `sh -c ${shQuote(inner)}`]).toString('utf8');
      expect(out).toBe(value);
    }
  });
});
