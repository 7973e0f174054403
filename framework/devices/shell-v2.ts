import { ShellPacket, ShellPacketDecoder } from '../../common/shell-packets.js';

export interface ShellV2Events {
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
  exit(code: number): void;
}

/** Incremental decoder for the client: feed it chunks as they arrive, it calls back per complete packet. */
export class ShellV2Decoder {
  private readonly packets = new ShellPacketDecoder();

  constructor(private readonly on: ShellV2Events) {}

  push(chunk: Buffer): void {
    for (const { id, data } of this.packets.push(chunk)) {
      if (id === ShellPacket.stdout) this.on.stdout(data);
      else if (id === ShellPacket.stderr) this.on.stderr(data);
      else if (id === ShellPacket.exit) this.on.exit(data.length > 0 ? data.readUInt8(0) : 255);
      // other ids (window size, stdin echoes) carry nothing for a non-interactive client
    }
  }

  /** Bytes of an incomplete packet still waiting for the rest. */
  get buffered(): number {
    return this.packets.buffered;
  }
}
