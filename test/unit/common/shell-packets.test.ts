import { describe, expect, it } from 'vitest';
import { encodeShellPacket, ShellPacket, ShellPacketDecoder } from '../../../common/shell-packets.js';

// adb's shell protocol v2 framing, spoken by the device control (framework/devices) and the virtual phone (testbed/phone)
describe('shell protocol packets', () => {
  it('encodes a packet as id byte, 32-bit little-endian length, data', () => {
    expect(encodeShellPacket(ShellPacket.stdin, Buffer.from('hi'))).toEqual(Buffer.from([0, 2, 0, 0, 0, 0x68, 0x69]));
    expect([...encodeShellPacket(ShellPacket.stdin, 'ab')]).toEqual([0, 2, 0, 0, 0, 97, 98]);
    expect([...encodeShellPacket(ShellPacket.closeStdin)]).toEqual([4, 0, 0, 0, 0]);
  });

  it('reassembles packets from a stream split at any byte', () => {
    const stream = Buffer.concat([encodeShellPacket(ShellPacket.stdout, 'out'), encodeShellPacket(ShellPacket.stderr, Buffer.from([0, 255])), encodeShellPacket(ShellPacket.exit, Buffer.from([3]))]);
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

  it('hands over packet data of its own, not a view of the chunk it was read from', () => {
    const chunk = encodeShellPacket(ShellPacket.stdout, 'kept');
    const [packet] = new ShellPacketDecoder().push(chunk);
    chunk.fill(0);
    expect(packet.data.toString()).toBe('kept');
  });

  it('refuses a packet longer than its limit', () => {
    expect(() => new ShellPacketDecoder(10).push(encodeShellPacket(1, Buffer.alloc(11)))).toThrow(/larger/);
  });
});
