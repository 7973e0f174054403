import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../../analysis/analyze.js';
import { readCapture, type CorruptRecord, type FrameSink } from '../../../analysis/capture/reader.js';
import { DirectoryOutput, MemoryOutput } from '../../../analysis/output.js';
import { MPLAB_CLI } from '../../../common/paths.js';
import { captureLayout, EPB, fixtureCapture, IDB, type CaptureLayout } from '../../support/capture-layout.js';
import { Conversation, frame, pcapFile, pcapngFile, tcpPacket, type CaptureRecord } from '../../support/pcap-writer.js';
import { earlierResult } from '../../support/analysis-out.js';
import { dirContents } from '../../support/dir-contents.js';
import { tempDir, tempFile } from '../../support/tmp.js';

/**
 * Damaged captures: what is corruption (counted, reported with its offset, skipped; exit 1 with
 * --strict), what is a last record cut off, and what makes a file unreadable (exit 1, the earlier
 * result left in --out). The pcapng cases start from the MPTCP v0 sample client_2 (pcapng, 2884
 * packets).
 */

class Collect implements FrameSink {
  ts = 0;
  frames: { ts: number; caplen: number; linktype: number }[] = [];
  frame(_buf: Buffer, _offset: number, caplen: number, _wirelen: number, linktype: number): void {
    this.frames.push({ ts: this.ts, caplen, linktype });
  }
}

function read(file: string) {
  const reports: CorruptRecord[] = [];
  const cutOffAt: number[] = [];
  const result = readCapture(file, new Collect(), { onCorrupt: (r) => reports.push(r), onCutOff: (o) => cutOffAt.push(o) });
  return { result, reports, cutOffAt };
}

async function cli(file: string, out: string, ...args: string[]) {
  const r = await execa(process.execPath, [MPLAB_CLI, 'analyze', file, '--out', out, '--no-progress', ...args], { reject: false, env: { MPLAB_LOG_FORMAT: 'json' } });
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}



let sample: Buffer;
let layout: CaptureLayout;
let epbs: CaptureLayout['blocks'];
beforeAll(() => {
  sample = fixtureCapture('mptcp-v0/client_2.pcap');
  layout = captureLayout(sample);
  epbs = layout.blocks.filter((b) => b.type === EPB);
  expect([layout.format, epbs.length]).toEqual(['pcapng', 2884]);
});

function variant(change: (b: Buffer) => void, end?: number): Buffer {
  const b = Buffer.from(sample.subarray(0, end));
  change(b);
  return b;
}

describe('pcapng: a block length that runs past the end of the file', () => {
  for (const [where, index] of [
    ['near the start', 2],
    ['in the middle', 1442],
  ] as const) {
    it(`is corruption when sound blocks follow (${where}): skipped, counted, reading resumes after it`, () => {
      const block = epbs[index];
      const file = tempFile('long.pcapng', variant((b) => layout.write32(b, 64 << 20, block.offset + 4)));
      const { result, reports, cutOffAt } = read(file);
      expect(result).toMatchObject({ records: 2883, corruptRecords: 1, cutOff: false });
      expect(cutOffAt).toEqual([]);
      expect(reports).toEqual([
        { file, offset: block.offset, resumedAt: block.offset + block.length, reason: expect.stringMatching(/^enhanced packet block length 67108864 is far more than its \d+ captured bytes need$/) },
      ]);
    });
  }

  it('within the limits for a packet block, is corruption too when sound blocks follow', () => {
    // a length a packet block could have, but longer than the rest of the file
    const block = epbs[2850];
    const pastTheEnd = (sample.length - block.offset + 1024) & ~3;
    expect(pastTheEnd).toBeLessThan(32 + 64 * 1024);
    const file = tempFile('long.pcapng', variant((b) => layout.write32(b, pastTheEnd, block.offset + 4)));
    const { result, reports } = read(file);
    expect(result).toMatchObject({ records: 2883, corruptRecords: 1, cutOff: false });
    expect(reports[0]).toMatchObject({ offset: block.offset, resumedAt: block.offset + block.length, reason: expect.stringMatching(/runs past the end of the file, and sound blocks follow/) });
  });

  it('with nothing sound after it, is the last block cut off', () => {
    const last = epbs[epbs.length - 1];
    const file = tempFile('cut.pcapng', variant(() => {}, last.offset + 40));
    const { result, reports, cutOffAt } = read(file);
    expect(result).toMatchObject({ records: 2883, corruptRecords: 0, cutOff: true });
    expect([reports, cutOffAt]).toEqual([[], [last.offset]]);
  });

  it('the command: exit 0 with a warning naming the file and the offset, exit 1 with --strict, the earlier result kept', async () => {
    const block = epbs[1442];
    const file = tempFile('long.pcapng', variant((b) => layout.write32(b, 64 << 20, block.offset + 4)));
    const { dir, before } = earlierResult();
    const reason = `enhanced packet block length 67108864 is far more than its ${block.dataLength} captured bytes need`;
    const strict = await cli(file, dir, '--strict');
    expect([strict.exitCode, strict.stderr]).toEqual([1, `mplab: ${file}: byte offset ${block.offset}: ${reason} (--strict)`]);
    expect(dirContents(dir)).toEqual(before);
    const lenient = await cli(file, dir);
    expect(lenient.exitCode).toBe(0);
    expect(lenient.stdout).toMatch(/^2883 packets in .*, 1 corrupt records skipped -> /);
    expect(JSON.parse(lenient.stderr).msg).toBe(`${file}: byte offset ${block.offset}: ${reason}: skipped, resumed at byte offset ${block.offset + block.length}`);
  });
});

describe('pcapng: damaged section headers and interface descriptions', () => {
  const idb = () => layout.blocks.find((b) => b.type === IDB)!;

  it('a section header whose length is damaged: the blocks after it are read', () => {
    const file = tempFile('shb.pcapng', variant((b) => layout.write32(b, 64 << 20, 4)));
    const { result, reports } = read(file);
    expect(result).toMatchObject({ records: 2884, corruptRecords: 1 });
    expect(reports).toEqual([{ file, offset: 0, resumedAt: idb().offset, reason: 'section header block length 67108864 is over 16 MB' }]);
  });

  const damagedIdb: [string, (b: Buffer) => void, RegExp][] = [
    ['a length past the end of the file', (b) => layout.write32(b, 64 << 20, idb().offset + 4), /interface description block length 67108864 is over 16 MB/],
    [
      'a length of 12 bytes (the rest of it looks like a block of an unknown type)',
      (b) => {
        const { offset, length } = idb();
        layout.write32(b, 12, offset + 4);
        layout.write32(b, 12, offset + 8);
        layout.write32(b, 0xbad, offset + 12);
        layout.write32(b, length - 12, offset + 16);
        layout.write32(b, length - 12, offset + length - 4);
      },
      /interface description block length 12 is below its 20 bytes of fixed fields/,
    ],
    ['its type changed', (b) => layout.write32(b, 0x101, idb().offset), /packet on interface 0, which no sound interface description block declares/],
  ];
  for (const [what, damage, reason] of damagedIdb) {
    it(`an interface description with ${what}: no record is readable, an error naming the offset, the earlier result kept`, async () => {
      const file = tempFile('idb.pcapng', variant(damage));
      expect(() => read(file)).toThrow(new RegExp(`^${file}: byte offset \\d+: no record could be read: ${reason.source}.* \\(and \\d+ more corrupt records\\)$`));
      const { dir, before } = earlierResult();
      expect(() => analyzeFiles([file], new DirectoryOutput(dir), { progress: false })).toThrow(/no record could be read/);
      expect(dirContents(dir)).toEqual(before);
      const r = await cli(file, dir);
      expect(r.exitCode).toBe(1);
      expect(r.stderr.split('\n').at(-1)).toMatch(new RegExp(`^mplab: ${file}: byte offset \\d+: no record could be read: `));
      expect(dirContents(dir)).toEqual(before);
    });
  }

  it('a corrupt block before an interface description: reading resumes at the interface description', () => {
    // section header, a block whose lengths disagree, then the interface and its packets
    const recs = Array.from({ length: 20 }, (_, i) => ({ ts: 1_763_000_000 + i, data: tcpPacket({ src: '198.18.1.2:40000', dst: '198.18.0.1:80', seq: i, flags: 'A' }) }));
    const sound = pcapngFile(recs, { linktype: 101 });
    const bad = Buffer.alloc(24);
    bad.writeUInt32LE(4, 0);
    bad.writeUInt32LE(24, 4);
    bad.writeUInt32LE(28, 20);
    const file = tempFile('before-idb.pcapng', Buffer.concat([sound.subarray(0, 28), bad, sound.subarray(28)]));
    const { result, reports } = read(file);
    expect(result).toMatchObject({ records: 20, corruptRecords: 1, linkTypes: [101] });
    expect(reports).toEqual([{ file, offset: 28, resumedAt: 52, reason: 'block of type 4 lengths disagree: 24 at its start, 28 at its end' }]);
  });

  it('one of two interfaces damaged: the other keeps its number and link type, the packets of the damaged one are counted and reported once', () => {
    const packet = (i: number) => tcpPacket({ src: '198.18.1.2:40000', dst: '198.18.0.1:80', seq: i, flags: 'A' });
    const eth = pcapngFile(
      Array.from({ length: 10 }, (_, i) => ({ ts: 1_763_000_000 + i, data: frame('ethernet', packet(i)) })),
      { linktype: 1 },
    );
    const raw = pcapngFile(
      Array.from({ length: 10 }, (_, i) => ({ ts: 1_763_000_100 + i, data: packet(i) })),
      { linktype: 101 },
    );
    // one section: the Ethernet interface (0), the raw IP one (1), then the packets of each
    const [ethShb, ethIdb, ...ethPackets] = captureLayout(eth).blocks;
    const [, rawIdb, ...rawPackets] = captureLayout(raw).blocks;
    const slice = (b: Buffer, block: { offset: number; length: number }) => Buffer.from(b.subarray(block.offset, block.offset + block.length));
    const onInterface1 = rawPackets.map((block) => {
      const copy = slice(raw, block);
      copy.writeUInt32LE(1, 8);
      return copy;
    });
    const damagedIdb = slice(eth, ethIdb);
    damagedIdb.writeUInt32LE(99, damagedIdb.length - 4);
    const file = tempFile('two.pcapng', Buffer.concat([slice(eth, ethShb), damagedIdb, slice(raw, rawIdb), ...ethPackets.map((b) => slice(eth, b)), ...onInterface1]));
    const sink = new Collect();
    const reports: CorruptRecord[] = [];
    const result = readCapture(file, sink, { onCorrupt: (r) => reports.push(r) });
    expect(result).toMatchObject({ records: 10, corruptRecords: 11, linkTypes: [101] });
    expect(new Set(sink.frames.map((f) => f.linktype))).toEqual(new Set([101]));
    expect(reports.map((r) => r.reason)).toEqual([
      'interface description block lengths disagree: 20 at its start, 99 at its end',
      'packet on interface 0, which no sound interface description block declares (it is missing or damaged): its packets in this section are skipped',
    ]);
  });
});

describe('headers cut short', () => {
  it('a pcapng cut inside its section header is an error, as a pcap cut inside its file header (exit 1 both)', async () => {
    const pcap = pcapFile([{ ts: 1, data: Buffer.alloc(60) }], { linktype: 1 });
    for (const [name, bytes, message] of [
      ['a.pcapng', sample.subarray(0, 8), 'byte offset 8: pcapng section header cut off: 8 of at least 28 bytes'],
      ['b.pcapng', sample.subarray(0, 100), 'byte offset 100: pcapng section header cut off: 100 of 128 bytes'],
      ['c.pcap', pcap.subarray(0, 20), 'byte offset 20: pcap file header cut off: 20 of 24 bytes'],
    ] as const) {
      const file = tempFile(name, Buffer.from(bytes));
      expect(() => readCapture(file, new Collect())).toThrow(`${file}: ${message}`);
      const r = await cli(file, join(tempDir(), 'out'));
      expect([r.exitCode, r.stderr]).toEqual([1, `mplab: ${file}: ${message}`]);
    }
  });
});

describe('pcap', () => {
  const records = (n: number) => Array.from({ length: n }, (_, i) => ({ ts: 1_763_000_000 + i * 0.001, data: Buffer.alloc(60, i) }));

  it('a record length that runs past the end of the file is corruption when sound records follow', () => {
    const bytes = pcapFile(records(100), { linktype: 1 });
    const bad = 24 + 50 * 76;
    // plausible (below the snapshot length), but longer than the rest of the file
    bytes.writeUInt32LE(bytes.length, bad + 8);
    bytes.writeUInt32LE(bytes.length, bad + 12);
    const file = tempFile('long.pcap', bytes);
    const { result, reports } = read(file);
    expect(result).toMatchObject({ records: 99, corruptRecords: 1, cutOff: false });
    expect(reports).toEqual([{ file, offset: bad, resumedAt: bad + 76, reason: `captured length ${bytes.length} runs past the end of the file, and records follow` }]);
  });

  it('link type 0xffffffff is reported as such, not as its low bits', () => {
    const bytes = pcapFile(records(1), { linktype: 1 });
    bytes.writeUInt32LE(0xffffffff, 20);
    const file = tempFile('ff.pcap', bytes);
    expect(() => readCapture(file, new Collect())).toThrow(`${file}: byte offset 20: link type 0xffffffff is not supported`);
  });

  it('an FCS length in the link-type field (P bit, length in 16-bit words in the top 4 bits) is cut off the frames', () => {
    const bytes = pcapFile(records(3), { linktype: 1 });
    bytes.writeUInt32LE(0x24000001, 20);
    const sink = new Collect();
    expect(readCapture(tempFile('fcs.pcap', bytes), sink)).toMatchObject({ records: 3, linkTypes: [1] });
    expect(sink.frames.map((f) => f.caplen)).toEqual([56, 56, 56]);
  });
});

describe('timestamps that run backwards', () => {
  it('a file\'s earliest and latest timestamps, whatever their order', () => {
    let x = 12345;
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const order of ['shuffled', 'rising', 'falling'] as const) {
      const times = Array.from({ length: 500 }, () => 1_763_000_000 + Math.round(next() * 1e6) / 1e3);
      if (order === 'rising') times.sort((a, b) => a - b);
      if (order === 'falling') times.sort((a, b) => b - a);
      const recs = times.map((ts) => ({ ts, data: Buffer.alloc(40) }));
      for (const bytes of [pcapFile(recs, { linktype: 101 }), pcapngFile(recs, { linktype: 101 })]) {
        const result = readCapture(tempFile('t', bytes), new Collect());
        expect([order, result.minTs, result.maxTs]).toEqual([order, expect.closeTo(Math.min(...times), 6), expect.closeTo(Math.max(...times), 6)]);
      }
    }
  });


  it('timeSpan runs from the earliest to the latest timestamp; a file\'s start and end stay its first and last', () => {
    const t = 1_763_000_000;
    const recs: CaptureRecord[] = [];
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:1080');
    c.handshake(t + 50);
    c.send('up', t + 90, 100);
    c.send('down', t + 10, 100);
    for (const [name, bytes] of [
      ['b.pcap', pcapFile(recs, { linktype: 101 })],
      ['b.pcapng', pcapngFile(recs, { linktype: 101 })],
    ] as const) {
      const out = new MemoryOutput();
      analyzeFiles([tempFile(name, bytes)], out, { progress: false });
      expect(out.result?.timeSpan).toEqual({ start: t + 10, end: t + 90, seconds: 80 });
      expect(out.result?.files[0]).toMatchObject({ start: t + 50, end: t + 10 });
    }
  });
});
