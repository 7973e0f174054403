import { describe, expect, it } from 'vitest';
import { encodeShellPacket, ShellPacketDecoder } from '../../../../common/shell-packets.js';
import { PacketId, exitStatus } from '../../../../testbed/phone/packets.js';

describe('shell protocol packets', () => {
  it('round-trips packets split anywhere', () => {
    const stream = Buffer.concat([encodeShellPacket(PacketId.stdout, 'out'), encodeShellPacket(PacketId.stderr, Buffer.from([0, 255])), encodeShellPacket(PacketId.exit, Buffer.from([3]))]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new ShellPacketDecoder();
      const packets = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(packets.map((p) => [p.id, [...p.data]])).toEqual([
        [1, [...Buffer.from('out')]],
        [2, [0, 255]],
        [3, [3]],
      ]);
      expect(decoder.buffered).toBe(0);
    }
  });

  it('has the header adb uses: id byte, 32-bit little-endian length', () => {
    expect([...encodeShellPacket(PacketId.closeStdin)]).toEqual([4, 0, 0, 0, 0]);
    expect([...encodeShellPacket(PacketId.stdin, 'ab')]).toEqual([0, 2, 0, 0, 0, 97, 98]);
  });

  it('refuses an absurd length', () => {
    expect(() => new ShellPacketDecoder(10).push(encodeShellPacket(1, Buffer.alloc(11)))).toThrow(/larger/);
  });

  it('reports a signal as 128 + its number, as adbd does', () => {
    expect(exitStatus(3, null, { SIGKILL: 9 })).toBe(3);
    expect(exitStatus(null, 'SIGKILL', { SIGKILL: 9 })).toBe(137);
    expect(exitStatus(256 + 7, null, {})).toBe(7);
  });
});
