import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { MPLAB_CLI } from '../../../common/paths.js';
import { tempDir } from '../../support/tmp.js';

/**
 * Usage errors of `mplab device` exit 2 and are found before any phone is asked: the phone's adb
 * server is an address where nothing listens, so a command that went as far as the phone would
 * exit 4 (unreachable) instead.
 */
async function mplab(args: string[]) {
  const dir = tempDir();
  const devices = join(dir, 'devices.json');
  writeFileSync(devices, JSON.stringify({ devices: [{ id: 'serial1', label: 'p1', root: true, kernel: 'upstream', adbServer: '127.0.0.1:9', capture: { onPhone: true } }] }));
  const r = await execa(process.execPath, [MPLAB_CLI, ...args, '--devices', devices], { reject: false, timeout: 30_000, env: { MPLAB_DEVICES: undefined }, extendEnv: true });
  return { exit: r.exitCode, stderr: String(r.stderr).replace(devices, 'devices.json') };
}

describe('mplab device: usage errors exit 2 before the phone is contacted', () => {
  it('an unknown id', async () => {
    expect(await mplab(['device', 'nosuch', 'status'])).toEqual({ exit: 2, stderr: 'mplab: devices.json: no phone with id or label "nosuch"; known: serial1 (p1)' });
  });

  it('a malformed capture name, for start, stop and pull', async () => {
    const message = 'mplab: capture name "../x": expected 1-64 of [A-Za-z0-9._-], starting with a letter or digit';
    expect(await mplab(['device', 'p1', 'capture', 'start', '--name', '../x'])).toEqual({ exit: 2, stderr: message });
    expect(await mplab(['device', 'p1', 'capture', 'stop', '--name', '../x'])).toEqual({ exit: 2, stderr: message });
    expect(await mplab(['device', 'p1', 'capture', 'pull', '--name', '../x', '--out', tempDir()])).toEqual({ exit: 2, stderr: message });
  });

  it('a malformed scheduler or path manager name', async () => {
    expect(await mplab(['device', 'p1', 'mptcp', 'mptcp', '--scheduler', 'a;b'])).toEqual({ exit: 2, stderr: 'mplab: --scheduler "a;b": expected a kernel name such as "default" (a-z, 0-9, _)' });
    expect(await mplab(['device', 'p1', 'mptcp', 'mptcp', '--path-manager', 'Kernel'])).toEqual({ exit: 2, stderr: 'mplab: --path-manager "Kernel": expected a kernel name such as "default" (a-z, 0-9, _)' });
  });

  it('a well-formed command reaches for the phone, and fails as unreachable (4), not as usage', async () => {
    const r = await mplab(['device', 'p1', 'mptcp', 'mptcp', '--scheduler', 'default', '--wait', '1']);
    expect(r.exit).toBe(4);
  });
});
