import { describe, expect, it } from 'vitest';
import { formatIPv6 } from '../../../analysis/address.js';
import { InterfaceClassifier } from '../../../analysis/address.js';
import { Dir, clock } from '../../../analysis/model.js';
import { RangeSet } from '../../../analysis/ranges.js';
import { seededRandom } from '../../../testbed/link/emulator.js';

describe('RangeSet', () => {
  it('counts bytes sent before, split by the same and another owner', () => {
    const r = new RangeSet();
    expect(r.add(0, 100, 1)).toBe(0);
    expect(r.add(100, 200, 2)).toBe(0);
    expect(r.add(50, 150, 1)).toBe(100);
    expect([r.same, r.other]).toEqual([50, 50]);
    expect(r.add(300, 400, 1)).toBe(0);
    // fills the hole 200..300 and overlaps both sides
    expect(r.add(150, 350, 3)).toBe(100);
    expect([r.same, r.other]).toEqual([0, 100]);
    expect(r.add(0, 400, 3)).toBe(400);
  });

  it('stays one range for in-order data and for data filled in out of order', () => {
    const r = new RangeSet();
    for (let i = 0; i < 10_000; i++) r.add(i * 1000, (i + 1) * 1000, 7);
    expect(r.size).toBe(1);
    const s = new RangeSet();
    // two senders filling their own parts of the space, interleaved in time
    for (let i = 0; i < 100; i++) {
      s.add(i * 1000, i * 1000 + 500, 1);
      s.add(200_000 + i * 1000, 200_000 + i * 1000 + 1000, 2);
    }
    expect(s.size).toBe(101);
    for (let i = 0; i < 100; i++) s.add(i * 1000 + 500, i * 1000 + 1000, 1);
    expect(s.size).toBe(2);
  });

  it('agrees with a byte-by-byte reference on random adds and acknowledgments', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let round = 0; round < 50; round++) {
      const set = new RangeSet();
      const owner: (number | undefined)[] = new Array(2000);
      let horizon = 0;
      for (let op = 0; op < 200; op++) {
        if (rnd(10) === 0) {
          horizon = Math.max(horizon, rnd(2000));
          set.acknowledge(horizon);
          continue;
        }
        const a = rnd(1900);
        const b = a + 1 + rnd(100);
        const who = rnd(3);
        let same = 0;
        let other = 0;
        for (let x = a; x < b; x++) {
          if (x < horizon) other++;
          else if (owner[x] === who) same++;
          else if (owner[x] !== undefined) other++;
          else owner[x] = who;
        }
        // bytes below the horizon are no longer tracked by owner
        for (let x = 0; x < horizon; x++) owner[x] = -1;
        expect(set.add(a, b, who)).toBe(same + other);
        expect([set.same, set.other]).toEqual([same, other]);
      }
    }
  });

  it('counts acknowledged data as sent before by someone, and stays bounded', () => {
    const r = new RangeSet();
    r.add(0, 100, 1);
    r.acknowledge(100);
    expect(r.add(50, 150, 1)).toBe(50);
    expect(r.other).toBe(50);
    const big = new RangeSet();
    for (let i = 0; i < 100_000; i++) big.add(i * 10, i * 10 + 5, i % 2);
    expect(big.size).toBeLessThanOrEqual(4096);
    expect(big.add(0, 5, 0)).toBe(5);
  });
});

describe('addresses', () => {
  it('formats IPv6 as RFC 5952 says', () => {
    expect(formatIPv6(0x20010db8, 0, 0, 1)).toBe('2001:db8::1');
    expect(formatIPv6(0, 0, 0, 0)).toBe('::');
    expect(formatIPv6(0x20010db8, 0x00000001, 0x00000000, 0x00000001)).toBe('2001:db8:0:1::1');
    expect(formatIPv6(0x20010db8, 0, 0x00010000, 0x00000001)).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6(0, 0, 0xffff, 0xc6120102)).toBe('::ffff:198.18.1.2');
  });

  it('rejects a bad CIDR naming the option', () => {
    expect(() => new InterfaceClassifier(['198.18.1.0/33'], [])).toThrow('--wifi: "198.18.1.0/33" has an invalid prefix length (expected 0-32)');
    expect(() => new InterfaceClassifier([], ['wlan0'])).toThrow('--cellular: "wlan0" is not an address or CIDR');
    const c = new InterfaceClassifier(['198.18.1.0/24', '2001:db8:1::/48'], ['198.18.2.2']);
    expect(c.classify('198.18.1.77', false)).toBe('wifi');
    expect(c.classify('2001:db8:1::9', true)).toBe('wifi');
    expect(c.classify('198.18.2.2', false)).toBe('cellular');
    expect(c.classify('198.18.2.3', false)).toBeNull();
  });
});

describe('state released when a subflow closes', () => {
  it('a range set released whenever everything is acknowledged counts as one never released', () => {
    const r = seededRandom(5);
    const kept = new RangeSet();
    const released = new RangeSet();
    let released0 = 0;
    let top = 0;
    for (let i = 0; i < 20_000; i++) {
      const k = r();
      if (k < 0.6) {
        // mostly new data, sometimes a retransmission of older data
        const a = r() < 0.8 ? top : Math.floor(r() * (top + 1));
        const b = a + 1 + Math.floor(r() * 1000);
        const owner = Math.floor(r() * 3);
        top = Math.max(top, b);
        expect(released.add(a, b, owner)).toBe(kept.add(a, b, owner));
        expect([released.same, released.other]).toEqual([kept.same, kept.other]);
      } else if (k < 0.9) {
        const point = r() < 0.5 ? top : Math.floor(r() * (top + 1));
        kept.acknowledge(point);
        released.acknowledge(point);
      } else {
        const before = released.size;
        released.release();
        if (before === 0 && released.size === 0) released0++;
      }
      expect([released.size, released.horizon, released.maxEnd]).toEqual([kept.size, kept.horizon, kept.maxEnd]);
    }
    // the case in question happened
    expect(released0).toBeGreaterThan(100);
  });

  it('RTT samples after releasing an empty queue are those of a queue never released', () => {
    const r = seededRandom(6);
    const kept = new Dir();
    const released = new Dir();
    let end = 0;
    let acked = 0;
    for (let i = 0; i < 20_000; i++) {
      clock[0] = i * 0.001;
      const k = r();
      if (k < 0.5) {
        end += 1 + Math.floor(r() * 100);
        kept.sentAt(end);
        released.sentAt(end);
      } else if (k < 0.55) {
        const from = Math.floor(r() * (end + 1));
        kept.retransmittedFrom(from);
        released.retransmittedFrom(from);
      } else if (k < 0.9) {
        acked = r() < 0.5 ? end : Math.max(acked, Math.floor(r() * (end + 1)));
        kept.ackedAt(acked);
        released.ackedAt(acked);
      } else released.release();
      expect([released.inflightLen, released.rttSamples, released.rttSum, released.rttMin, released.rttMax]).toEqual([
        kept.inflightLen,
        kept.rttSamples,
        kept.rttSum,
        kept.rttMin,
        kept.rttMax,
      ]);
    }
    expect(kept.rttSamples).toBeGreaterThan(1000);
  });
});

describe('DSS mappings of a subflow direction', () => {
  it('finds the DSN of a sequence number in the 8 newest mappings, newest first', () => {
    const r = seededRandom(7);
    for (let run = 0; run < 200; run++) {
      const d = new Dir();
      const newest: [number, number, number][] = [];
      const pushes = Math.floor(r() * 20);
      for (let i = 0; i < pushes; i++) {
        // sometimes the same mapping again (ignored), sometimes overlapping older ones
        const m: [number, number, number] =
          newest.length > 0 && r() < 0.2 ? newest[newest.length - 1] : [Math.floor(r() * 5000), Math.floor(r() * 1e6), 1 + Math.floor(r() * 1500)];
        d.pushMapping(...m);
        const last = newest[newest.length - 1];
        if (!last || last[0] !== m[0] || last[1] !== m[1] || last[2] !== m[2]) newest.push(m);
        if (newest.length > 8) newest.shift();
        expect(d.mapCount).toBe(newest.length);
        for (let k = 0; k < 30; k++) {
          const rel = Math.floor(r() * 7000);
          const hit = [...newest].reverse().find(([start, , len]) => rel >= start && rel < start + len);
          expect(d.dsnOf(rel)).toBe(hit ? hit[1] + rel - hit[0] : NaN);
        }
      }
    }
  });
});
