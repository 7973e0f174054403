/**
 * adb shell protocol v2 (adbd's shell_protocol.h): after `shell,v2,raw:<command>` both sides
 * exchange packets of [id: u8][length: u32 little-endian][data]. The device sends stdout (1),
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

const HEADER = 5;

export function encodeShellPacket(id: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(HEADER);
  header.writeUInt8(id, 0);
  header.writeUInt32LE(data.length, 1);
  return Buffer.concat([header, data]);
}

export interface ShellV2Events {
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
  exit(code: number): void;
}

/** Incremental decoder: feed it chunks as they arrive, it calls back per complete packet. */
export class ShellV2Decoder {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly on: ShellV2Events) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= HEADER) {
      const length = this.pending.readUInt32LE(1);
      if (this.pending.length < HEADER + length) break;
      const id = this.pending.readUInt8(0);
      const data = this.pending.subarray(HEADER, HEADER + length);
      this.pending = this.pending.subarray(HEADER + length);
      if (id === ShellPacket.stdout) this.on.stdout(data);
      else if (id === ShellPacket.stderr) this.on.stderr(data);
      else if (id === ShellPacket.exit) this.on.exit(data.length > 0 ? data.readUInt8(0) : 255);
      // other ids (window size, stdin echoes) carry nothing for a non-interactive client
    }
  }

  /** Bytes of an incomplete packet still waiting for the rest. */
  get buffered(): number {
    return this.pending.length;
  }
}
