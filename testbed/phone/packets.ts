/**
 * Packet ids of the virtual phone: shell protocol v2 streams use ids 0-5 (common/shell-packets.ts);
 * the phone's command wrappers use the same framing to talk to the daemon, with ids of their own
 * from 16 on.
 */
import { ShellPacket, ShellPacketDecoder, type ShellPacketData } from '../../common/shell-packets.js';

export const PacketId = {
  ...ShellPacket,
  /** Wrapper to daemon: JSON {argv, cwd}. */
  request: 16,
  /** Daemon to wrapper: start forwarding your stdin. */
  wantStdin: 17,
  /** Daemon to wrapper: write a file as yourself (JSON header length u32, JSON {path}, data). */
  writeFile: 18,
  /** Wrapper to daemon: outcome of writeFile, JSON {error?}. */
  writeFileResult: 19,
} as const;

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
