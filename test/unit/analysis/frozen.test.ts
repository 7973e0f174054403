import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFiles, type AnalyzeOptions } from '../../../analysis/analyze.js';
import { MemoryOutput } from '../../../analysis/output.js';
import { PackReader, PackWriter } from '../../../analysis/packed.js';
import { fixtureCapture } from '../../support/capture-layout.js';
import { tempDir } from '../../support/tmp.js';
import { fuzzBases, fuzzVariant } from './fuzz-variants.js';
import { MptcpScenario } from './mptcp-scenario.js';
import { analyzeRecords } from './run.js';

/**
 * The compact form of closed connections (analysis/frozen.ts) keeps everything: a connection frozen
 * after every one of its packets, open or closed, and thawed by the next, gives the same records as
 * one never frozen.
 */
function analyzeTwice(file: string, options: AnalyzeOptions = {}) {
  const plain = new MemoryOutput();
  const frozen = new MemoryOutput();
  analyzeFiles([file], plain, { progress: false, ...options });
  analyzeFiles([file], frozen, { progress: false, ...options, freezeEveryPacket: true });
  return { plain, frozen };
}

describe('compact form of connections', () => {
  it('packs doubles (repeated or not), small and large integers, -0, NaN, infinities and lists exactly', () => {
    const t = 1_763_000_000.123456;
    const values = [0, -0, 1, -1, 63, 64, -64, -65, 2 ** 27, 2 ** 28, 2 ** 29, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 32 - 1, 2 ** 40 + 3, -(2 ** 40) - 3, 2 ** 50, 2 ** 53, 0.5];
    // doubles that repeat, one, two, four and five (no longer remembered) doubles back
    values.push(t, t, -0, t, 0.25, t + 1, t + 2, 0.25, t + 3, t + 4, t + 5, t + 6, 0.25, NaN, NaN, Infinity, -Infinity, -Infinity, Infinity);
    const w = new PackWriter();
    w.reset();
    for (const v of values) w.num(v);
    w.list(null);
    w.list([3, 0.25, -7], 1);
    w.bool(true);
    const r = new PackReader();
    r.start(w.take());
    for (const v of values) expect(Object.is(r.num(), v)).toBe(true);
    expect(r.list()).toBeNull();
    expect(r.list()).toEqual([0.25, -7]);
    expect(r.bool()).toBe(true);
    expect(r.done).toBe(true);
  });

  it('packs integers of every size up to 2^50 exactly, around each 7-bit and 31-bit boundary', () => {
    const values: number[] = [];
    for (let bits = 1; bits <= 50; bits++) {
      const p = 2 ** bits;
      values.push(p - 1, p, p + 1, -(p - 1), -p, -(p + 1));
    }
    // and 5,000 drawn at random, half of them 32-bit (sequence numbers, addresses, tokens)
    let seed = 12345;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 5000; i++) {
      const magnitude = i % 2 === 0 ? Math.floor(random() * 2 ** 32) : Math.floor(random() * 2 ** 20) * 2 ** 29 + Math.floor(random() * 2 ** 29);
      values.push(random() < 0.5 ? -magnitude : magnitude);
    }
    const w = new PackWriter();
    w.reset();
    for (const v of values) w.num(v);
    const r = new PackReader();
    r.start(w.take());
    for (const v of values) expect(Object.is(r.num(), v), String(v)).toBe(true);
    expect(r.done).toBe(true);
  });

  for (const name of ['client_2', 'server_2', 'iperf-mptcp-0-0']) {
    it(`${name}: a connection frozen after each packet gives the same records`, () => {
      const file = join(tempDir(), `${name}.pcap`);
      writeFileSync(file, fixtureCapture(`mptcp-v0/${name}.pcap`));
      for (const options of [{}, { graceSeconds: 0.5, idleSeconds: 3 }]) {
        const { plain, frozen } = analyzeTwice(file, options);
        expect(plain.connections.length).toBeGreaterThan(0);
        expect(frozen.connections).toEqual(plain.connections);
        expect(frozen.subflows).toEqual(plain.subflows);
        expect(frozen.result).toEqual(plain.result);
      }
    });
  }

  it('damaged captures (the fuzz test variants) give the same records frozen or not', () => {
    const bases = fuzzBases();
    for (let i = 0; i < 20; i++) {
      const { base, bytes } = fuzzVariant(7, i, bases);
      const file = join(tempDir(), `v${i}.${base.ext}`);
      writeFileSync(file, bytes);
      // a variant that cannot be read fails the same way both times
      const outcome = (options: AnalyzeOptions) => {
        const out = new MemoryOutput();
        try {
          analyzeFiles([file], out, { progress: false, ...options });
        } catch (err) {
          return String(err);
        }
        return out;
      };
      expect(outcome({ freezeEveryPacket: true })).toEqual(outcome({}));
    }
  });

  it('MPTCP connections with joins, reinjections and a port used again keep their records', () => {
    const T = 1_763_000_000;
    const m = new MptcpScenario(1);
    const s0 = m.open(T, '198.18.1.2:40000');
    m.send(s0, 'up', T + 0.05, 300);
    const s1 = m.join(T + 0.1, '198.18.2.2:40001');
    m.send(s1, 'down', T + 0.2, 1400);
    m.send(s0, 'down', T + 0.3, 1400);
    const again = new MptcpScenario(1, 2);
    const a0 = again.open(T + 5, '198.18.1.2:40000');
    again.send(a0, 'down', T + 5.1, 700);
    const records = [...m.records, ...again.records].sort((x, y) => x.ts - y.ts);
    const plain = analyzeRecords(records);
    const frozen = analyzeRecords(records, { freezeEveryPacket: true });
    expect(plain.connections.length).toBeGreaterThan(0);
    expect(frozen.connections).toEqual(plain.connections);
    expect(frozen.subflows).toEqual(plain.subflows);
  });
});
