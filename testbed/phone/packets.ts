/**
 * Packets of adb's shell protocol (shell_protocol.h): a 1-byte id, a 4-byte little-endian
 * length, then the data. Shell protocol v2 streams use ids 0-5; the phone's command wrappers use
 * the same framing to talk to the daemon, with ids of their own from 16 on.
 */

export const PacketId = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  exit: 3,
  closeStdin: 4,
  windowSizeChange: 5,
  /** Wrapper to daemon: JSON {argv, cwd}. */
  request: 16,
  /** Daemon to wrapper: start forwarding your stdin. */
  wantStdin: 17,
  /** Daemon to wrapper: write a file as yourself (JSON header length u32, JSON {path}, data). */
  writeFile: 18,
  /** Wrapper to daemon: outcome of writeFile, JSON {error?}. */
  writeFileResult: 19,
} as const;

export const PACKET_HEADER_SIZE = 5;

export interface Packet {
  id: number;
  data: Buffer;
}

export function encodePacket(id: number, data: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const header = Buffer.alloc(PACKET_HEADER_SIZE);
  header.writeUInt8(id, 0);
  header.writeUInt32LE(body.length, 1);
  return Buffer.concat([header, body]);
}

/** Reassembles packets from a byte stream split anywhere. */
export class PacketDecoder {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxData = 64 * 1024 * 1024) {}

  push(chunk: Buffer): Packet[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const packets: Packet[] = [];
    while (this.pending.length >= PACKET_HEADER_SIZE) {
      const length = this.pending.readUInt32LE(1);
      if (length > this.maxData) throw new Error(`shell protocol packet of ${length} bytes is larger than ${this.maxData}`);
      if (this.pending.length < PACKET_HEADER_SIZE + length) break;
      packets.push({ id: this.pending.readUInt8(0), data: Buffer.from(this.pending.subarray(PACKET_HEADER_SIZE, PACKET_HEADER_SIZE + length)) });
      this.pending = this.pending.subarray(PACKET_HEADER_SIZE + length);
    }
    return packets;
  }

  /** Bytes of an incomplete packet still waiting for the rest. */
  get buffered(): number {
    return this.pending.length;
  }
}

/** Exit status as adbd reports it: the exit code, or 128 + signal for a killed process. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null, signals: Record<string, number>): number {
  if (code !== null) return code & 0xff;
  if (signal && signals[signal] !== undefined) return 0x80 | signals[signal];
  return 1;
}
