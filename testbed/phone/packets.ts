/**
 * Packet ids of the virtual phone: shell protocol v2 streams use ids 0-5 (common/shell-packets.ts);
 * the phone's Android commands (native/phone_command.c) use the same framing to talk to the daemon, with ids of their own
 * from 16 on.
 */

import { ShellPacket, ShellPacketDecoder, type ShellPacketData } from '../../common/shell-packets.js';

export const PacketId = {
  ...ShellPacket,
  /** Command to daemon: its working directory and argv, each ended by a NUL byte (native/phone_command.c). */
  request: 16,
  /** Daemon to command: start forwarding your stdin. */
  wantStdin: 17,
  /** Daemon to command: write a file as yourself (path length u32 little-endian, path, data). */
  writeFile: 18,
  /** Command to daemon: outcome of writeFile, the errno's name ("EACCES"), empty for success. */
  writeFileResult: 19,
} as const;

/** A request's words: the working directory, then argv (NUL-terminated strings); undefined when malformed. */
export function decodeRequest(data: Buffer): { cwd: string; argv: string[] } | undefined {
  if (data.length === 0 || data[data.length - 1] !== 0) return undefined;
  const words = data.subarray(0, data.length - 1).toString('utf8').split('\0');
  if (words.length < 2 || !words[1]) return undefined;
  return { cwd: words[0], argv: words.slice(1) };
}

/** writeFile's payload: path length, path, data. */
export function encodeWriteFile(phonePath: string, data: Buffer | string): Buffer {
  const pathBytes = Buffer.from(phonePath, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(pathBytes.length, 0);
  return Buffer.concat([length, pathBytes, Buffer.from(data)]);
}

/** Exit status as adbd reports it: the exit code, or 128 + signal for a killed process. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null, signals: Record<string, number>): number {
  if (code !== null) return code & 0xff;
  if (signal && signals[signal] !== undefined) return 0x80 | signals[signal];
  return 1;
}

/**
 * Calls `onPacket` for each packet that arrives on `source` (a stream split anywhere). A malformed
 * stream, or an `onPacket` that destroyed `source`, ends the reading: the rest is not looked at.
 */
export function onShellPackets(source: NodeJS.EventEmitter & { destroyed: boolean; destroy(): void }, onPacket: (packet: ShellPacketData) => void): void {
  const decoder = new ShellPacketDecoder();
  source.on('data', (chunk: Buffer) => {
    let packets: ShellPacketData[];
    try {
      packets = decoder.push(chunk);
    } catch {
      source.destroy();
      return;
    }
    for (const packet of packets) {
      if (source.destroyed) return;
      onPacket(packet);
    }
  });
}
