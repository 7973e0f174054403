import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { MPLAB_CLI } from '../../../common/paths.js';
import { listDevices } from '../../../framework/cli/devices.js';
import { AdbServer } from '../../../framework/devices/adb-server.js';
import { Device } from '../../../framework/devices/device.js';
import { watchAdbServer } from '../../../framework/runner/adb-server-watch.js';
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

  it('an adb server that holds its port but answers nothing (its host gone): the watch says so within seconds, and recovery fails at once, not after the minute of waiting', async () => {
    const port = await closedPort();
    const adb = (args: string[]) => execa('adb', ['-P', String(port), ...args], { reject: false, timeout: 20_000 });
    expect((await adb(['start-server'])).exitCode).toBe(0);
    const pid = Number(/pid=(\d+)/.exec((await execa('ss', ['-Hltnp', `sport = :${port}`])).stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    // the watch a test keeps on the server while Appium waits on the phone: quiet while it answers
    const watch = watchAdbServer(new AdbServer(`127.0.0.1:${port}`), { intervalMs: 500, timeoutMs: 1_000, misses: 2 });
    await sleep(2_500);
    expect(watch.lost()).toBeNull();
    process.kill(pid, 'SIGSTOP');
    try {
      const stoppedAt = Date.now();
      await new Promise((resolve) => watch.signal.addEventListener('abort', resolve));
      // two questions of 1 s each, 0.5 s apart
      expect(Date.now() - stoppedAt).toBeLessThan(4_000);
      expect(watch.lost()).toBe(`the adb server at 127.0.0.1:${port} stopped answering (2 questions in a row: host:version: no answer within 1.0 s)`);
      watch.stop();

      const config = validateDevicesFile([{ id: '127.0.0.1:5', label: 'far', adbServer: `127.0.0.1:${port}`, root: false, kernel: 'none' }]).devices[0];
      const logger = { warn: () => undefined, debug: () => undefined, info: () => undefined, child: () => logger };
      const device = new Device(config, { logger: logger as never });
      const started = Date.now();
      const err = await device.ensureReady().catch((e: unknown) => e);
      const took = Date.now() - started;
      expect(err).toBeInstanceOf(DeviceGoneError);
      expect((err as Error).message).toBe(`phone 127.0.0.1:5: the adb server at 127.0.0.1:${port} does not answer (host:devices: no answer within 10.0 s)`);
      // one host query's timeout, where the default recovery waits 60 s for the phone
      expect(took).toBeGreaterThanOrEqual(10_000);
      expect(took).toBeLessThan(15_000);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  }, 30_000);
});
