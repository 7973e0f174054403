import { captureLayout, IDB, PCAP_FILE_HEADER, SHB, type Block, type CaptureLayout } from './capture-layout.js';

/**
 * Corrupted variants of a sound capture, from a seed: the same seed gives the same variants. Each
 * variant applies one to three damages of these kinds (truncation, when drawn, comes last):
 * - header: bit flips in a record's or block's fixed fields or trailing length;
 * - payload: bit flips in a packet's data;
 * - length: an impossible (or merely wrong) value in a length field;
 * - section: a damaged pcap file header or pcapng section header;
 * - interface: a damaged pcapng interface description;
 * - garbage: random bytes written over a run, or inserted (which shifts what follows);
 * - zeros: a run of zero bytes written over the capture;
 * - truncate: the file cut at a random offset.
 */

export interface Variant {
  bytes: Buffer;
  /** what was done, for the report of a failure */
  damages: string[];
}

const KINDS = ['header', 'payload', 'length', 'section', 'interface', 'garbage', 'zeros', 'truncate'] as const;

export class CaptureFuzzer {
  private readonly layout: CaptureLayout;
  private readonly packets: Block[];

  constructor(private readonly base: Buffer) {
    this.layout = captureLayout(base);
    this.packets = this.layout.blocks.filter((b) => b.dataLength > 0);
  }

  variant(random: () => number): Variant {
    const int = (n: number) => Math.floor(random() * n);
    let bytes = Buffer.from(this.base);
    const damages: string[] = [];
    const kinds = Array.from({ length: 1 + int(3) }, () => KINDS[int(KINDS.length)]);
    // truncation last, so that the other damages fall inside the file
    kinds.sort((a, b) => Number(a === 'truncate') - Number(b === 'truncate'));
    const { blocks, write32, format } = this.layout;
    const block = () => blocks[int(blocks.length)];
    const flip = (from: number, length: number, bits: number) => {
      for (let i = 0; i < bits && length > 0; i++) {
        const at = from + int(length);
        if (at < bytes.length) bytes[at] ^= 1 << int(8);
      }
    };
    for (const kind of kinds) {
      switch (kind) {
        case 'header': {
          const b = block();
          // the fixed fields, or (pcapng) the trailing length
          const trailer = format === 'pcapng' && random() < 0.3;
          const bits = 1 + int(3);
          if (trailer) flip(b.offset + b.length - 4, 4, bits);
          else flip(b.offset, b.fixed, bits);
          damages.push(`${bits} bits flipped in the ${trailer ? 'trailer' : 'header'} of the block at ${b.offset}`);
          break;
        }
        case 'payload': {
          if (this.packets.length === 0) break;
          const b = this.packets[int(this.packets.length)];
          const bits = 1 + int(8);
          flip(b.offset + b.fixed, b.dataLength, bits);
          damages.push(`${bits} bits flipped in the packet data of the block at ${b.offset}`);
          break;
        }
        case 'length': {
          const b = block();
          if (b.type === PCAP_FILE_HEADER) break;
          const remaining = this.base.length - b.offset;
          const values = [64 << 20, 0, 1, 7, 12, 0xffffffff, 0x80000000, b.length + 4, b.length - 4, b.length * 2, remaining + 4, int(2 ** 32)];
          const value = values[int(values.length)] >>> 0;
          // pcapng: the length or the trailing length; pcap: the captured or the original length
          const field = format === 'pcapng' ? (random() < 0.7 ? 4 : b.length - 4) : random() < 0.7 ? 8 : 12;
          if (b.offset + field + 4 <= bytes.length) write32(bytes, value, b.offset + field);
          damages.push(`${value} written at ${b.offset + field} (a length field of the block at ${b.offset})`);
          break;
        }
        case 'section': {
          const headers = blocks.filter((b) => b.type === SHB || b.type === PCAP_FILE_HEADER);
          const b = headers[int(headers.length)];
          this.damageWhole(bytes, b, random, damages, 'section header');
          break;
        }
        case 'interface': {
          const idbs = blocks.filter((b) => b.type === IDB);
          if (idbs.length === 0) break;
          this.damageWhole(bytes, idbs[int(idbs.length)], random, damages, 'interface description');
          break;
        }
        case 'garbage': {
          const at = int(bytes.length);
          const run = Buffer.from(Array.from({ length: 1 + int(300) }, () => int(256)));
          if (random() < 0.5) {
            run.copy(bytes, at);
            damages.push(`${run.length} random bytes written at ${at}`);
          } else {
            bytes = Buffer.concat([bytes.subarray(0, at), run, bytes.subarray(at)]);
            damages.push(`${run.length} random bytes inserted at ${at}`);
          }
          break;
        }
        case 'zeros': {
          const at = int(bytes.length);
          const length = 1 + int(4096);
          bytes.fill(0, at, Math.min(bytes.length, at + length));
          damages.push(`${length} zero bytes written at ${at}`);
          break;
        }
        case 'truncate': {
          const at = int(bytes.length);
          bytes = bytes.subarray(0, at);
          damages.push(`cut at ${at}`);
          break;
        }
      }
    }
    return { bytes, damages };
  }

  /** A section header or interface description damaged: its length, a field, or bits anywhere in it. */
  private damageWhole(bytes: Buffer, b: Block, random: () => number, damages: string[], what: string): void {
    const int = (n: number) => Math.floor(random() * n);
    const how = int(3);
    if (how === 0 && b.type !== PCAP_FILE_HEADER) {
      const value = [12, 16, 20, 24, 64 << 20, b.length + 4, 0][int(7)];
      this.layout.write32(bytes, value, b.offset + 4);
      damages.push(`${what} at ${b.offset}: length ${value}`);
    } else if (how === 1) {
      // a 32-bit field of it (pcap: magic, versions, snapshot length, link type; pcapng: type, byte-order magic, link type, snapshot length, options)
      const field = b.offset + 4 * int(Math.max(1, Math.floor(b.length / 4)));
      this.layout.write32(bytes, int(2 ** 32), field);
      damages.push(`${what} at ${b.offset}: random value at ${field}`);
    } else {
      const bits = 1 + int(6);
      for (let i = 0; i < bits; i++) bytes[b.offset + int(b.length)] ^= 1 << int(8);
      damages.push(`${what} at ${b.offset}: ${bits} bits flipped`);
    }
  }
}
