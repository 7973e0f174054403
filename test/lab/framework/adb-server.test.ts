import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { MPLAB_CLI } from '../../../common/paths.js';
import { listDevices } from '../../../framework/cli/devices.js';
import { AdbServer } from '../../../framework/devices/adb-server.js';
import { Device } from '../../../framework/devices/device.js';
import { DeviceGoneError } from '../../../framework/devices/recovery.js';
import { validateDevicesFile } from '../../../framework/config/devices-file.js';
import { skipUnless } from '../../support/prereq.js';

/** A loopback port nobody listens on (the OS picks it; we close it again at once). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(skipUnless({ commands: ['adb'] }))('the real adb server, without a phone', () => {
  const local = new AdbServer('127.0.0.1:5037');

  it('answers host queries: version, device list, features of an unknown serial', async () => {
    expect(await local.version()).toBeGreaterThanOrEqual(39);
    expect(Array.isArray(await local.list())).toBe(true);
    await expect(local.features('mplab-no-such-serial')).rejects.toThrow("device 'mplab-no-such-serial' not found");
  });

  it('never starts an adb server for an address other than the local default', async () => {
    const port = await closedPort();
    const other = new AdbServer(`127.0.0.1:${port}`);
    await expect(other.list(3000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const ps = await execa('ps', ['-eo', 'args']);
    expect(ps.stdout).not.toContain(`tcp:${port}`);
  });

  it('devices list shows the phones of an adb server that does not answer as unreachable', async () => {
    const port = await closedPort();
    const dir = await mkdtemp(join(tmpdir(), 'mplab-unreachable-'));
    try {
      const file = join(dir, 'devices.json');
      await writeFile(file, JSON.stringify({ devices: [{ id: 'far1', adbServer: `127.0.0.1:${port}`, root: false, kernel: 'none' }] }));
      const rows = (await listDevices(file)).filter((r) => r.adbServer !== '127.0.0.1:5037');
      expect(rows).toEqual([{ serial: 'far1', state: expect.stringMatching(/^adb server unreachable \(.*ECONNREFUSED/), adbServer: `127.0.0.1:${port}`, known: true, label: 'far1' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a TCP phone that is not there fails recovery within its time bound, with each step logged', async () => {
    const port = await closedPort();
    const config = validateDevicesFile([{ id: `127.0.0.1:${port}`, label: 'ghost', root: false, kernel: 'none' }]).devices[0];
    const steps: string[] = [];
    const logger = { warn: (o: { step?: string }) => o.step && steps.push(o.step), debug: () => undefined, info: () => undefined, child: () => logger };
    const device = new Device(config, { recovery: { offlineWaitMs: 6_000, pollMs: 500 }, logger: logger as never });
    const started = Date.now();
    const err = await device.run(['true']).catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(DeviceGoneError);
    expect((err as Error).message).toMatch(new RegExp(`phone 127.0.0.1:${port}: not attached to the adb server at 127.0.0.1:5037 after 6 s of waiting \\(\\d+ reconnect attempts\\)`));
    expect(steps).toContain('phone not attached to the adb server');
    expect(steps).toContain(`adb connect 127.0.0.1:${port}`);
    expect(took).toBeGreaterThanOrEqual(6_000);
    expect(took).toBeLessThan(20_000);
  });

  it('mplab device on a phone that stays gone exits with status 4 and says what was tried', async () => {
    const port = await closedPort();
    const dir = await mkdtemp(join(tmpdir(), 'mplab-ghost-'));
    try {
      const file = join(dir, 'devices.json');
      await writeFile(file, JSON.stringify({ devices: [{ id: `127.0.0.1:${port}`, label: 'ghost', root: false, kernel: 'none' }] }));
      const r = await execa(process.execPath, [MPLAB_CLI, 'device', 'ghost', 'status', '--devices', file, '--wait', '3'], {
        reject: false,
        env: { MPLAB_LOG_LEVEL: 'error' },
      });
      expect(r.exitCode).toBe(4);
      expect(r.stderr).toMatch(new RegExp(`^mplab: phone 127.0.0.1:${port}: not attached to the adb server at 127.0.0.1:5037 after 3 s of waiting \\(\\d+ reconnect attempts\\)$`));
      expect(r.stdout).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
