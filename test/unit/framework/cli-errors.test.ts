import { describe, expect, it } from 'vitest';
import { UserError } from '../../../common/errors.js';
import { EXIT, toUserError } from '../../../framework/cli/devices.js';
import { AdbFailError, AdbkitFailError } from '../../../framework/devices/adb-server.js';
import { AppResetError } from '../../../framework/devices/app.js';
import { PhoneCaptureError } from '../../../framework/devices/capture.js';
import { NotRootError } from '../../../framework/devices/device.js';
import { MptcpModeError } from '../../../framework/devices/mptcp-commands.js';
import { NetChangeError } from '../../../framework/devices/network.js';
import { DeviceGoneError } from '../../../framework/devices/recovery.js';
import { ShellCutError, ShellExitError, ShellTimeoutError } from '../../../framework/devices/shell.js';

function exitOf(err: unknown): number | 'internal' {
  const mapped = toUserError(err);
  return mapped instanceof UserError ? mapped.exitCode : 'internal';
}

describe('device errors as CLI exit statuses', () => {
  it('maps each device-layer error to the exit status of its kind: gone 4, cannot 5, failed 1, usage 2; other errors stay internal', () => {
    const result = { stdout: Buffer.alloc(0), stderr: Buffer.from('boom'), exitCode: 2, protocol: 'v2' as const, durationMs: 1 };
    expect(exitOf(new DeviceGoneError('x', 'gone'))).toBe(EXIT.gone);
    expect(exitOf(new ShellCutError('ls', Buffer.alloc(0)))).toBe(EXIT.gone);
    expect(exitOf(new AdbFailError('host:transport:x', 'device offline'))).toBe(EXIT.gone);
    expect(exitOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(EXIT.gone);
    expect(exitOf(new NotRootError('x', 'no'))).toBe(EXIT.cannot);
    expect(exitOf(new MptcpModeError('no'))).toBe(EXIT.cannot);
    expect(exitOf(new MptcpModeError('mode mptcp did not take effect', 'failed'))).toBe(EXIT.failed);
    expect(exitOf(new NetChangeError('needs root', 'cannot'))).toBe(EXIT.cannot);
    expect(exitOf(new NetChangeError('did not take effect'))).toBe(EXIT.failed);
    expect(exitOf(new PhoneCaptureError('devices.json says not to capture', 'cannot'))).toBe(EXIT.cannot);
    expect(exitOf(new PhoneCaptureError('tcpdump exited at once'))).toBe(EXIT.failed);
    expect(exitOf(new PhoneCaptureError('capture name "../x": expected ...', 'usage'))).toBe(2);
    expect(exitOf(new MptcpModeError('--scheduler "a;b": expected ...', 'usage'))).toBe(2);
    expect(exitOf(new ShellExitError('false', result))).toBe(EXIT.failed);
    expect(exitOf(new ShellTimeoutError('sleep 9', 1000, Buffer.alloc(0)))).toBe(EXIT.failed);
    expect(exitOf(new AdbkitFailError('No such file or directory'))).toBe(EXIT.failed);
    expect(exitOf(Object.assign(new Error("ENOENT, no such file or directory '/x'"), { code: 'ENOENT' }))).toBe(EXIT.failed);
    expect(exitOf(new UserError('as is', 3))).toBe(3);
    expect(exitOf(new TypeError('a bug'))).toBe('internal');
  });

  it('keeps the name of each device-layer error class (logs and stacks show it)', () => {
    const errors = [new NotRootError('x', 'no'), new MptcpModeError('no'), new NetChangeError('no'), new PhoneCaptureError('no'), new AppResetError('no')];
    expect(errors.map((e) => e.name)).toEqual(['NotRootError', 'MptcpModeError', 'NetChangeError', 'PhoneCaptureError', 'AppResetError']);
  });
});
