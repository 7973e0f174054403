import { describe, expect, it } from 'vitest';
import {
  A_CNXN,
  A_OKAY,
  A_WRTE,
  MessageReader,
  ProtocolError,
  VERSION_MIN,
  VERSION_SKIP_CHECKSUM,
  checksumAcceptable,
  commandName,
  deviceBanner,
  encodeMessage,
  payloadChecksum,
} from '../../../../testbed/phone/wire.js';

describe('adb message codec', () => {
  it('encodes the 24-byte little-endian header with magic and optional checksum', () => {
    const payload = Buffer.from('host::features=shell_v2');
    const bytes = encodeMessage({ command: A_CNXN, arg0: VERSION_SKIP_CHECKSUM, arg1: 1 << 20, payload }, true);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('CNXN');
    expect(bytes.readUInt32LE(4)).toBe(0x01000001);
    expect(bytes.readUInt32LE(8)).toBe(1048576);
    expect(bytes.readUInt32LE(12)).toBe(payload.length);
    expect(bytes.readUInt32LE(16)).toBe(payloadChecksum(payload));
    expect(bytes.readUInt32LE(20)).toBe((A_CNXN ^ 0xffffffff) >>> 0);
    expect(bytes.subarray(24).equals(payload)).toBe(true);
    expect(encodeMessage({ command: A_OKAY, arg0: 1, arg1: 2, payload: Buffer.alloc(0) }, false).readUInt32LE(16)).toBe(0);
  });

  it('computes the old checksum as the byte sum', () => {
    expect(payloadChecksum(Buffer.from([1, 2, 255]))).toBe(258);
  });

  it('reassembles messages split at any byte', () => {
    const a = encodeMessage({ command: A_WRTE, arg0: 7, arg1: 9, payload: Buffer.from('hello') }, true);
    const b = encodeMessage({ command: A_OKAY, arg0: 9, arg1: 7, payload: Buffer.alloc(0) }, true);
    const all = Buffer.concat([a, b]);
    for (let cut = 0; cut <= all.length; cut++) {
      const reader = new MessageReader();
      const got = [...reader.push(all.subarray(0, cut)), ...reader.push(all.subarray(cut))];
      expect(got.map((m) => [commandName(m.command), m.arg0, m.arg1, m.payload.toString()])).toEqual([
        ['WRTE', 7, 9, 'hello'],
        ['OKAY', 9, 7, ''],
      ]);
    }
  });

  it('rejects a bad magic and an oversized payload', () => {
    const bad = encodeMessage({ command: A_OKAY, arg0: 1, arg1: 1, payload: Buffer.alloc(0) }, false);
    bad.writeUInt32LE(0, 20);
    expect(() => new MessageReader().push(bad)).toThrow(ProtocolError);
    const reader = new MessageReader();
    reader.maxPayload = 4;
    expect(() => reader.push(encodeMessage({ command: A_WRTE, arg0: 1, arg1: 1, payload: Buffer.alloc(5) }, false))).toThrow(/exceeds/);
  });

  it('checks checksums only below the skip-checksum version', () => {
    const payload = Buffer.from('data');
    const good = { command: A_WRTE, arg0: 1, arg1: 1, payload, checksum: payloadChecksum(payload) };
    const zero = { ...good, checksum: 0 };
    expect(checksumAcceptable(good, VERSION_MIN)).toBe(true);
    expect(checksumAcceptable(zero, VERSION_MIN)).toBe(false);
    expect(checksumAcceptable(zero, VERSION_SKIP_CHECKSUM)).toBe(true);
    // a CNXN announcing the newer version may already skip it
    expect(checksumAcceptable({ ...zero, command: A_CNXN, arg0: VERSION_SKIP_CHECKSUM }, VERSION_MIN)).toBe(true);
    expect(checksumAcceptable({ ...zero, command: A_CNXN, arg0: VERSION_MIN }, VERSION_MIN)).toBe(false);
  });

  it('builds the device banner the adb server parses', () => {
    expect(deviceBanner({ name: 'p', model: 'M', device: 'd' }, ['shell_v2', 'cmd'])).toBe('device::ro.product.name=p;ro.product.model=M;ro.product.device=d;features=shell_v2,cmd');
  });
});
