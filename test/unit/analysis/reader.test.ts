import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { MPLAB_CLI } from '../../../common/paths.js';
import { tempDir, tempFile } from '../../support/tmp.js';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../../analysis/analyze.js';
import { readCapture, type CorruptRecord, type FrameSink } from '../../../analysis/capture/reader.js';
import { DirectoryOutput, MemoryOutput } from '../../../analysis/output.js';
import { Conversation, LINKTYPE, frame, pcapFile, pcapngFile, tcpPacket, type CaptureRecord, type Link } from '../../support/pcap-writer.js';

class Collect implements FrameSink {
  ts = 0;
  frames: { ts: number; caplen: number; wirelen: number; linktype: number; first: number }[] = [];
  frame(buf: Buffer, offset: number, caplen: number, wirelen: number, linktype: number): void {
    this.frames.push({ ts: this.ts, caplen, wirelen, linktype, first: buf[offset] });
  }
}

function records(n: number, size = 60, t0 = 1_700_000_000): CaptureRecord[] {
  return Array.from({ length: n }, (_, i) => ({ ts: t0 + i * 0.001 + 0.000123, data: Buffer.alloc(size, i & 0xff) }));
}

describe('pcap reader', () => {
  for (const variant of [
    { nanoseconds: false, bigEndian: false },
    { nanoseconds: true, bigEndian: false },
    { nanoseconds: false, bigEndian: true },
    { nanoseconds: true, bigEndian: true },
  ]) {
    it(`reads every record with its timestamp (${variant.nanoseconds ? 'ns' : 'µs'}, ${variant.bigEndian ? 'big' : 'little'} endian)`, () => {
      const file = tempFile('a.pcap', pcapFile(records(1000), { linktype: 1, ...variant }));
      const sink = new Collect();
      // a small chunk forces records across chunk boundaries
      const result = readCapture(file, sink, { chunkSize: 4096 });
      expect(result).toMatchObject({ format: 'pcap', records: 1000, corruptRecords: 0, cutOff: false, linkTypes: [1] });
      expect(sink.frames).toHaveLength(1000);
      expect(sink.frames[999].first).toBe(999 & 0xff);
      expect(sink.frames[999].ts).toBeCloseTo(1_700_000_000 + 0.999123, 6);
    });
  }

  it('keeps the original length of records cut by the snapshot length', () => {
    const file = tempFile('s.pcap', pcapFile([{ ts: 1, data: Buffer.alloc(1500) }], { linktype: 1, snaplen: 128 }));
    const sink = new Collect();
    readCapture(file, sink);
    expect(sink.frames[0]).toMatchObject({ caplen: 128, wirelen: 1500 });
  });

  it('counts a last record cut off by the end of the file and keeps the others', () => {
    const bytes = pcapFile(records(10), { linktype: 1 });
    const file = tempFile('cut.pcap', bytes.subarray(0, bytes.length - 20));
    const sink = new Collect();
    const result = readCapture(file, sink);
    expect(result.records).toBe(9);
    expect(result.cutOff).toBe(true);
  });

  it('skips a corrupt record in the middle, reports its byte offset and counts it', () => {
    const bytes = pcapFile(records(100), { linktype: 1 });
    // record 50 starts at 24 + 50 * (16 + 60); give it an impossible captured length
    const bad = 24 + 50 * 76;
    bytes.writeUInt32LE(0x7fffffff, bad + 8);
    const file = tempFile('corrupt.pcap', bytes);
    const sink = new Collect();
    const reports: CorruptRecord[] = [];
    const result = readCapture(file, sink, { onCorrupt: (r) => reports.push(r), chunkSize: 1024 });
    expect(result.corruptRecords).toBe(1);
    expect(reports).toEqual([{ file, offset: bad, reason: 'corrupt pcap record header', resumedAt: bad + 76 }]);
    expect(result.records).toBe(99);
  });

  it('skips garbage between records', () => {
    const a = pcapFile(records(20), { linktype: 1 });
    const b = pcapFile(records(20, 60, 1_700_000_100), { linktype: 1 }).subarray(24);
    const garbage = Buffer.alloc(333, 0xee);
    const file = tempFile('garbage.pcap', Buffer.concat([a, garbage, b]));
    const reports: CorruptRecord[] = [];
    const result = readCapture(file, new Collect(), { onCorrupt: (r) => reports.push(r) });
    expect(result.records).toBe(40);
    expect(reports).toHaveLength(1);
    expect(reports[0].offset).toBe(a.length);
    expect(reports[0].resumedAt).toBe(a.length + 333);
  });
});

describe('pcapng reader', () => {
  for (const variant of [
    { bigEndian: false, tsresol: 6 },
    { bigEndian: true, tsresol: 6 },
    { bigEndian: false, tsresol: 9 },
  ]) {
    it(`reads enhanced packet blocks (${variant.bigEndian ? 'big' : 'little'} endian, 10^-${variant.tsresol} s)`, () => {
      const file = tempFile('a.pcapng', pcapngFile(records(500), { linktype: 113, ...variant }));
      const sink = new Collect();
      const result = readCapture(file, sink, { chunkSize: 2048 });
      expect(result).toMatchObject({ format: 'pcapng', records: 500, corruptRecords: 0, linkTypes: [113] });
      expect(sink.frames[499].ts).toBeCloseTo(1_700_000_000 + 0.499123, 6);
      expect(sink.frames[499].linktype).toBe(113);
    });
  }

  it('skips a block whose lengths disagree and resumes at the next packet', () => {
    const bytes = pcapngFile(records(30), { linktype: 1 });
    // SHB 28 bytes, IDB 20, then EPBs of 12 + 20 + 60 = 92 bytes; break the 10th one's trailer
    const bad = 28 + 20 + 10 * 92;
    bytes.writeUInt32LE(1234, bad + 88);
    const reports: CorruptRecord[] = [];
    const result = readCapture(tempFile('bad.pcapng', bytes), new Collect(), { onCorrupt: (r) => reports.push(r) });
    expect(result.records).toBe(29);
    expect(result.corruptRecords).toBe(1);
    expect(reports[0]).toMatchObject({ offset: bad, resumedAt: bad + 92 });
  });
});

describe('bad input', () => {
  it('rejects a file that is not a capture, naming the file and the offset', () => {
    const file = tempFile('notes.txt', Buffer.from('hello, this is not a capture file\n'));
    expect(() => readCapture(file, new Collect())).toThrow(`${file}: byte offset 0: not a pcap or pcapng capture: unknown magic number 0x68656c6c`);
  });

  it('rejects an empty file', () => {
    const file = tempFile('empty.pcap', Buffer.alloc(0));
    expect(() => readCapture(file, new Collect())).toThrow(/empty\.pcap: byte offset 0: not a pcap or pcapng capture: only 0 bytes/);
  });

  it('rejects an unknown link type with the offset of the field', () => {
    const file = tempFile('usb.pcap', pcapFile(records(1), { linktype: 189 }));
    expect(() => readCapture(file, new Collect())).toThrow(/usb\.pcap: byte offset 20: link type 189 is not supported/);
    const ng = tempFile('usb.pcapng', pcapngFile(records(1), { linktype: 189 }));
    expect(() => readCapture(ng, new Collect())).toThrow(/usb\.pcapng: byte offset 36: link type 189 of interface 0 is not supported/);
  });

  it('rejects a missing file, a directory and an unreadable file', () => {
    expect(() => readCapture('/nonexistent/x.pcap', new Collect())).toThrow('/nonexistent/x.pcap: cannot open: ENOENT');
    const dir = tempDir();
    expect(() => readCapture(dir, new Collect())).toThrow(`${dir}: is a directory, not a capture file`);
  });

  it('rejects a file it may not read (as root: run as nobody, since root reads every file)', async () => {
    const dir = tempDir();
    // nobody must reach the file and write the output next to it
    chmodSync(dirname(dir), 0o711);
    chmodSync(dir, 0o777);
    const file = join(dir, 'locked.pcap');
    writeFileSync(file, pcapFile(records(1), { linktype: 1 }));
    chmodSync(file, 0);
    const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const [cmd, ...args] = [...asNobody, process.execPath, MPLAB_CLI, 'analyze', file, '--out', join(dir, 'out'), '--no-progress'];
    const r = await execa(cmd, args, { reject: false });
    expect([r.exitCode, String(r.stderr)]).toEqual([1, `mplab: ${file}: cannot open: EACCES`]);
  });

  it('analyzeFiles checks every file before writing anything', () => {
    const good = tempFile('good.pcap', pcapFile(records(1), { linktype: 1 }));
    const bad = tempFile('bad.pcap', Buffer.from('garbage!'));
    const out = new MemoryOutput();
    expect(() => analyzeFiles([good, bad], out, { progress: false })).toThrow(/bad\.pcap: byte offset 0: not a pcap/);
    expect(out.result).toBeNull();
  });

  it('a failed run into a directory leaves the earlier result there whole, and no partial files', () => {
    const dir = tempDir();
    const good = tempFile('good.pcap', pcapFile(records(50), { linktype: 1 }));
    const first = analyzeFiles([good], new DirectoryOutput(dir), { progress: false });
    const before = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    expect(Object.keys(before).sort()).toEqual(['connections.jsonl', 'subflows.jsonl', 'summary.json']);
    expect(JSON.parse(before['summary.json'])).toEqual(JSON.parse(JSON.stringify(first)));
    // not a capture: refused before reading
    const garbage = tempFile('bad.pcap', Buffer.from('garbage!'));
    expect(() => analyzeFiles([good, garbage], new DirectoryOutput(dir), { progress: false })).toThrow(/bad\.pcap: byte offset 0: not a pcap/);
    // a corrupt record halfway through (after 20 of 40 one-second connections, t = 100..119), with
    // --strict: closed connections are written at the sweeps, every 10 s of trace time, so the sweep
    // at t = 110 wrote the first 10 and the one at t = 120 never came
    const conversation: CaptureRecord[] = [];
    for (let i = 0; i < 40; i++) {
      const c = new Conversation(conversation, `198.18.1.2:${40000 + i}`, '198.18.0.1:1080', undefined, 'ethernet');
      c.handshake(100 + i);
      c.send('down', 100 + i + 0.1, 500);
      c.fin('up', 100 + i + 0.2).fin('down', 100 + i + 0.3).ack('up', 100 + i + 0.4);
    }
    const bytes = pcapFile(conversation, { linktype: 1 });
    const bad = 24 + conversation.slice(0, conversation.length / 2).reduce((n, r) => n + 16 + r.data.length, 0);
    bytes.writeUInt32LE(0x7fffffff, bad + 8);
    const halfway = tempFile('halfway.pcap', bytes);
    const strict = { progress: false, strict: true, graceSeconds: 0 };
    const keeping = new (class extends MemoryOutput {
      override abort(): void {}
    })();
    expect(() => analyzeFiles([halfway], keeping, strict)).toThrow(/corrupt pcap record header/);
    expect(keeping.connections.map((c) => c.client)).toEqual(Array.from({ length: 10 }, (_, i) => `198.18.1.2:${40000 + i}`));
    expect(() => analyzeFiles([halfway], new DirectoryOutput(dir), strict)).toThrow(/byte offset \d+: corrupt pcap record header \(--strict\)/);
    const after = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    expect(after).toEqual(before);
  });
});

describe('link layers', () => {
  const links: Link[] = ['ethernet', 'ethernet-vlan', 'sll', 'sll2', 'raw', 'ppp'];
  for (const link of links) {
    for (const family of ['IPv4', 'IPv6'] as const) {
      it(`decodes TCP over ${family} in ${link} frames`, () => {
        const [client, server] = family === 'IPv4' ? ['198.18.1.2:40000', '198.18.0.1:1080'] : ['[2001:db8::2]:40000', '[2001:db8:0:1::1]:1080'];
        const recs: CaptureRecord[] = [];
        const c = new Conversation(recs, client, server, undefined, link);
        c.handshake(100);
        c.send('up', 100.02, 300);
        c.send('down', 100.03, 1200);
        const out = new MemoryOutput();
        const file = tempFile('l.pcap', pcapFile(recs, { linktype: LINKTYPE[link] }));
        analyzeFiles([file], out, { progress: false });
        expect(out.result?.packets).toEqual({ read: 5, tcp: 5, notTcp: 0, truncated: 0, malformed: 0 });
        expect(out.subflows).toHaveLength(1);
        expect(out.subflows[0]).toMatchObject({ client, server, bytes: { up: 300, down: 1200 }, packets: { up: 3, down: 2 } });
      });
    }
  }

  it('decodes raw IPv4 (228) and raw IPv6 (229) link types', () => {
    for (const [linktype, client, server] of [
      [228, '198.18.1.2:40000', '198.18.0.1:80'],
      [229, '[2001:db8::2]:40000', '[2001:db8::1]:80'],
    ] as const) {
      const pkt = tcpPacket({ src: client, dst: server, seq: 1, flags: 'S' });
      const out = new MemoryOutput();
      analyzeFiles([tempFile('r.pcap', pcapFile([{ ts: 1, data: pkt }], { linktype }))], out, { progress: false });
      expect(out.subflows[0].client).toBe(client);
    }
  });

  it('decodes BSD loopback (NULL, host byte order) and OpenBSD loopback (network byte order) frames', () => {
    const v4 = tcpPacket({ src: '198.18.1.2:40000', dst: '198.18.0.1:80', seq: 1, flags: 'S' });
    const v6 = tcpPacket({ src: '[2001:db8::2]:40000', dst: '[2001:db8::1]:80', seq: 1, flags: 'S' });
    const le = (family: number) => Buffer.from([family, 0, 0, 0]);
    const be = (family: number) => Buffer.from([0, 0, 0, family]);
    for (const [linktype, head] of [
      [0, le],
      [108, be],
    ] as const) {
      const out = new MemoryOutput();
      const file = tempFile('lo.pcap', pcapFile([{ ts: 1, data: Buffer.concat([head(2), v4]) }, { ts: 2, data: Buffer.concat([head(30), v6]) }], { linktype }));
      analyzeFiles([file], out, { progress: false });
      expect(out.subflows.map((s) => s.client)).toEqual(['198.18.1.2:40000', '[2001:db8::2]:40000']);
    }
  });

  it('takes payload lengths from the IP header when the capture is truncated, and counts headers cut off', () => {
    const recs: CaptureRecord[] = [];
    const c = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:1080', undefined, 'ethernet');
    c.handshake(100);
    c.send('down', 100.1, 1400);
    recs.push({ ts: 100.2, data: frame('ethernet', tcpPacket({ src: '198.18.0.1:1080', dst: '198.18.1.2:40000', seq: 1, flags: 'A' })).subarray(0, 30) });
    const out = new MemoryOutput();
    analyzeFiles([tempFile('t.pcap', pcapFile(recs, { linktype: 1, snaplen: 96 }))], out, { progress: false });
    expect(out.subflows[0].bytes.down).toBe(1400);
    expect(out.result?.packets.truncated).toBe(1);
  });
});
