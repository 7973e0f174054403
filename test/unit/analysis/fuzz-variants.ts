import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../../analysis/capture/reader.js';
import { fixtureCapture } from '../../support/capture-layout.js';
import { seededRandom } from '../../../testbed/link/emulator.js';
import { CaptureFuzzer } from '../../support/capture-fuzz.js';
import { pcapFile, pcapngFile, type CaptureRecord } from '../../support/pcap-writer.js';
import { MptcpScenario } from './mptcp-scenario.js';

/** The variants of the fuzz test (fuzz.test.ts, fuzz-runner.ts) and what is reported of each. */

export interface FuzzReport {
  index: number;
  base: string;
  file: string;
  damages: string[];
  strict: boolean;
  /** ok: exit 0; error: a UserError, exit `exitCode`; crash: any other exception (a stack trace, not a one-line error) */
  outcome: 'ok' | 'error' | 'crash';
  message: string | null;
  exitCode: number | null;
  /** the error is a CaptureError that knows the byte offset */
  offset: number | null;
  /** --out holds exactly what it held before the run (failures) */
  intact: boolean;
  /** files left in --out that are not the three results (partial files) */
  leftovers: string[];
  /** warnings that do not start with "FILE: byte offset N: " */
  badWarnings: string[];
  packets: number | null;
  ms: number;
}

/** Variant i of a run: its base capture, damages and strictness. */
export function fuzzVariant(seed: number, index: number, bases: FuzzBase[]) {
  const base = bases[index % bases.length];
  const { bytes, damages } = new CaptureFuzzer(base.bytes).variant(seededRandom((seed * 1_000_003 + index) >>> 0));
  return { base, bytes, damages, strict: index % 3 === 2 };
}

export interface FuzzBase {
  name: string;
  ext: string;
  bytes: Buffer;
}

/** The captures the variants start from: both MPTCP v0 samples (pcapng; one of them as pcap too) and two built ones (big endian, nanoseconds). */
export function fuzzBases(): FuzzBase[] {
  const m = new MptcpScenario(1);
  const t = 1_763_000_000;
  const s0 = m.open(t);
  m.send(s0, 'up', t + 0.05, 300);
  m.send(s0, 'down', t + 0.08, 1400);
  const s1 = m.join(t + 0.1);
  m.send(s1, 'down', t + 0.2, 1400);
  m.send(s0, 'down', t + 0.3, 1400);
  const iperf = fixtureCapture('mptcp-v0/iperf-mptcp-0-0.pcap');
  return [
    { name: 'client_2 (pcapng, Linux cooked v1)', ext: 'pcapng', bytes: fixtureCapture('mptcp-v0/client_2.pcap') },
    { name: 'iperf-mptcp-0-0 (pcapng, PPP)', ext: 'pcapng', bytes: iperf },
    { name: 'iperf-mptcp-0-0 as pcap (PPP)', ext: 'pcap', bytes: asPcap(iperf, 9) },
    { name: 'built (pcapng, big endian, ns)', ext: 'pcapng', bytes: pcapngFile(m.records, { linktype: 101, bigEndian: true, tsresol: 9 }) },
    { name: 'built (pcap, big endian, ns)', ext: 'pcap', bytes: pcapFile(m.records, { linktype: 101, bigEndian: true, nanoseconds: true }) },
  ];
}

/** The packets of a capture as a pcap file (microseconds, little endian). */
function asPcap(capture: Buffer, linktype: number): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'mplab-fuzz-'));
  try {
    const file = join(dir, 'capture');
    writeFileSync(file, capture);
    const records: CaptureRecord[] = [];
    readCapture(file, {
      ts: 0,
      frame(buf, offset, caplen, wirelen) {
        records.push({ ts: this.ts, data: Buffer.from(buf.subarray(offset, offset + caplen)), wirelen });
      },
    });
    return pcapFile(records, { linktype, snaplen: 256 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
