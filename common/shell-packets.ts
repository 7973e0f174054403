/**
 * The framing of adb's shell protocol v2 (adbd's shell_protocol.h), spoken by both ends: the
 * device control (framework/devices) as the client, the virtual phone (testbed/phone) as the
 * device. A packet is [id: u8][length: u32 little-endian][data]. The device sends stdout (1),
 * stderr (2) and finally exit (3, one byte: the exit status); the client sends stdin (0) and
 * close-stdin (4).
 */
export const ShellPacket = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  exit: 3,
  closeStdin: 4,
  windowSizeChange: 5,
} as const;

export const SHELL_PACKET_HEADER = 5;

export interface ShellPacketData {
  id: number;
  data: Buffer;
}

export function encodeShellPacket(id: number, data: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const header = Buffer.alloc(SHELL_PACKET_HEADER);
  header.writeUInt8(id, 0);
  header.writeUInt32LE(body.length, 1);
  return Buffer.concat([header, body]);
}

/** Reassembles packets from a byte stream split anywhere. Each packet's data is a copy, free to keep after the next push. */
export class ShellPacketDecoder {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxData = 64 * 1024 * 1024) {}

  push(chunk: Buffer): ShellPacketData[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const packets: ShellPacketData[] = [];
    while (this.pending.length >= SHELL_PACKET_HEADER) {
      const length = this.pending.readUInt32LE(1);
      if (length > this.maxData) throw new Error(`shell protocol packet of ${length} bytes is larger than ${this.maxData}`);
      if (this.pending.length < SHELL_PACKET_HEADER + length) break;
      packets.push({ id: this.pending.readUInt8(0), data: Buffer.from(this.pending.subarray(SHELL_PACKET_HEADER, SHELL_PACKET_HEADER + length)) });
      this.pending = this.pending.subarray(SHELL_PACKET_HEADER + length);
    }
    return packets;
  }

  /** Bytes of an incomplete packet still waiting for the rest. */
  get buffered(): number {
    return this.pending.length;
  }
}
