import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateDevicesFile } from '../../../framework/config/devices-file.js';
import { Device } from '../../../framework/devices/device.js';
import { removeOwnTestNamespaces } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { createVirtualPhone, type VirtualPhoneFixture } from '../../support/virtual-phone.js';

/**
 * The virtual phone's adb authentication against real adb servers: the local one (this user's
 * key, authorized by default) and a second server on another port whose HOME is a fresh folder,
 * so that it makes and signs with a key of its own, as another user of the lab host would.
 */

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(skipUnless({ root: true, commands: ['adb', 'ip', 'unshare'] }))('adb RSA authentication of the virtual phone', () => {
  let phone: VirtualPhoneFixture;
  let home: string;
  let port: number;
  const other = (...args: string[]) => execa('adb', ['-P', String(port), ...args], { reject: false, timeout: 30_000, env: { HOME: home } });

  beforeAll(async () => {
    phone = await createVirtualPhone({ name: 'secure' });
    home = await mkdtemp(path.join(tmpdir(), 'mplabt-adbhome-'));
    port = await freePort();
    const started = await other('start-server');
    expect(started.exitCode).toBe(0);
  });
  afterAll(async () => {
    if (home) await other('kill-server');
    await phone?.teardown();
    if (home) await rm(home, { recursive: true, force: true });
    await removeOwnTestNamespaces();
  });

  it('lets in the adb server of the user who started it, and the framework through it', async () => {
    expect((await phone.adb('get-state')).stdout.trim()).toBe('device');
    const { devices, problems } = validateDevicesFile([{ id: phone.serial, root: true, kernel: 'upstream' }]);
    expect(problems).toEqual([]);
    expect((await new Device(devices[0]).run(['id', '-u'])).trim()).toBe('2000');
  });

  it('shows a host with another key the phone as unauthorized and opens no shell for it', async () => {
    const connect = await other('connect', phone.serial);
    expect(connect.stdout).toBe(`failed to authenticate to ${phone.serial}`);
    let state = '';
    for (let i = 0; i < 50 && state !== 'unauthorized'; i++) {
      state = (await other('devices')).stdout.split('\n').find((l) => l.startsWith(`${phone.serial}\t`))?.split('\t')[1] ?? '';
      if (state !== 'unauthorized') await sleep(100);
    }
    expect(state).toBe('unauthorized');
    const shell = await other('-s', phone.serial, 'shell', 'touch /data/local/tmp/intruder; echo in');
    expect(shell.exitCode).toBe(1);
    expect(shell.stderr).toMatch(/^error: device unauthorized\./);
    expect(await readFile(phone.hostPath('/data/local/tmp/intruder')).catch(() => null)).toBeNull();
    // the local server is not disturbed by it
    expect((await phone.shell('echo still')).stdout).toBe('still');
  });

  it('lets that host in once its key is accepted, and keeps the key in the phone\'s adb_keys', async () => {
    const key = (await readFile(path.join(home, '.android', 'adbkey.pub'), 'utf8')).trim();
    phone.phone!.authorizeKey(key);
    let state = '';
    for (let i = 0; i < 50 && state !== 'device'; i++) {
      state = (await other('-s', phone.serial, 'get-state')).stdout.trim();
      if (state !== 'device') await sleep(100);
    }
    expect(state).toBe('device');
    expect((await other('-s', phone.serial, 'shell', 'echo in')).stdout).toBe('in');
    expect((await readFile(phone.hostPath('/data/misc/adb/adb_keys'), 'utf8')).trim()).toBe(key);
  });

  it('a phone daemon started with --adb-key FILE lets that key in as well as this user\'s', async () => {
    const second = await createVirtualPhone({ name: 'shared', process: true, adbKeyFiles: [path.join(home, '.android', 'adbkey.pub')] });
    try {
      expect((await second.shell('echo mine')).stdout).toBe('mine');
      expect((await other('connect', second.serial)).stdout).toBe(`connected to ${second.serial}`);
      let state = '';
      for (let i = 0; i < 50 && state !== 'device'; i++) {
        state = (await other('-s', second.serial, 'get-state')).stdout.trim();
        if (state !== 'device') await sleep(100);
      }
      expect((await other('-s', second.serial, 'shell', 'echo theirs')).stdout).toBe('theirs');
    } finally {
      await other('disconnect', second.serial);
      await second.teardown();
    }
  });
});
