import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A capture of test/fixtures (kept gzipped there), uncompressed: `fixtureCapture('mptcp-v0/client_2.pcap')`. */
export function fixtureCapture(path: string): Buffer {
  return gunzipSync(readFileSync(join(FIXTURES, `${path}.gz`)));
}

export const PCAP_FILE_HEADER = -1;
export const PCAP_RECORD = -2;
export const SHB = 0x0a0d0d0a;
export const IDB = 1;
export const EPB = 6;

/** One pcapng block, or a pcap record (type PCAP_RECORD) or file header (PCAP_FILE_HEADER). */
export interface Block {
  offset: number;
  type: number;
  length: number;
  /** bytes of fixed fields from the block's start (type and length included); packet data follow */
  fixed: number;
  /** packet data: [offset + fixed, offset + fixed + dataLength) */
  dataLength: number;
}

/** Where the structures of a sound capture are, in file order, and its byte order. */
export interface CaptureLayout {
  format: 'pcap' | 'pcapng';
  le: boolean;
  blocks: Block[];
  read32(buf: Buffer, offset: number): number;
  write32(buf: Buffer, value: number, offset: number): void;
}

export function captureLayout(buf: Buffer): CaptureLayout {
  const pcapng = buf.readUInt32LE(0) === SHB;
  const le = pcapng ? buf.readUInt32LE(8) === 0x1a2b3c4d : buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
  const read32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const write32 = (b: Buffer, v: number, o: number) => void (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  const blocks: Block[] = [];
  if (pcapng) {
    for (let p = 0; p + 12 <= buf.length; ) {
      const type = read32(buf, p);
      const length = read32(buf, p + 4);
      const fixed = type === EPB ? 28 : type === SHB ? 24 : type === IDB ? 16 : 8;
      blocks.push({ offset: p, type, length, fixed, dataLength: type === EPB ? read32(buf, p + 20) : 0 });
      p += length;
    }
  } else {
    blocks.push({ offset: 0, type: PCAP_FILE_HEADER, length: 24, fixed: 24, dataLength: 0 });
    for (let p = 24; p + 16 <= buf.length; ) {
      const caplen = read32(buf, p + 8);
      blocks.push({ offset: p, type: PCAP_RECORD, length: 16 + caplen, fixed: 16, dataLength: caplen });
      p += 16 + caplen;
    }
  }
  return { format: pcapng ? 'pcapng' : 'pcap', le, blocks, read32, write32 };
}
