import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pullTarget, syncPull } from '../../../framework/devices/sync-pull.js';
import { serveSync } from '../../../testbed/phone/device/sync-server.js';

/**
 * The controller's pull against the virtual phone's sync service, joined by in-memory streams.
 * `cutAfter` ends the phone's answer after that many bytes, as a connection that drops.
 */
function phone(cutAfter = Infinity): Duplex {
  const requests = new PassThrough();
  const answers = new PassThrough();
  const toController = new PassThrough();
  let sent = 0;
  answers.on('data', (chunk: Buffer) => {
    if (sent >= cutAfter) return;
    const part = chunk.subarray(0, Math.max(0, cutAfter - sent));
    sent += part.length;
    toController.write(part);
    if (sent >= cutAfter) toController.end();
  });
  answers.on('end', () => toController.end());
  void serveSync(requests, answers).catch(() => undefined);
  return Duplex.from({ readable: toController, writable: requests });
}

describe('pull over adb sync (framework/devices/sync-pull.ts)', () => {
  let dir: string;
  let remote: string;
  let local: string;
  const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mplabt-pull-'));
    await mkdir(path.join(dir, 'phone'));
    await mkdir(path.join(dir, 'host'));
    remote = path.join(dir, 'phone', 'file.bin');
    local = path.join(dir, 'host', 'copy.bin');
    await writeFile(remote, data);
    await writeFile(local, 'earlier');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const leftovers = async (): Promise<string[]> => (await readdir(path.join(dir, 'host'))).filter((f) => f !== 'copy.bin');

  for (const statV2 of [true, false]) {
    it(`copies the file byte for byte and replaces LOCAL (${statV2 ? 'STA2' : 'legacy STAT'})`, async () => {
      expect(await syncPull(phone(), remote, local, { statV2 })).toBe(data.length);
      expect((await readFile(local)).equals(data)).toBe(true);
      expect(await leftovers()).toEqual([]);
    });

    it(`leaves LOCAL as it was when the remote is missing or a directory (${statV2 ? 'STA2' : 'legacy STAT'})`, async () => {
      const missing = path.join(dir, 'phone', 'none');
      await expect(syncPull(phone(), missing, local, { statV2 })).rejects.toMatchObject({ code: 'ENOENT', message: `pull ${missing}: no such file on the phone` });
      await expect(syncPull(phone(), path.join(dir, 'phone'), local, { statV2 })).rejects.toMatchObject({ code: 'EISDIR' });
      expect(await readFile(local, 'utf8')).toBe('earlier');
      expect(await leftovers()).toEqual([]);
    });
  }

  it('leaves LOCAL as it was when the connection drops halfway, and says so as a cut connection', async () => {
    // STA2's 72 bytes, then part of the first DATA chunk
    await expect(syncPull(phone(72 + 8 + 1000), remote, local, { statV2: true })).rejects.toMatchObject({ code: 'ECONNRESET', message: `pull ${remote}: the connection to the phone closed before the file was complete` });
    expect(await readFile(local, 'utf8')).toBe('earlier');
    expect(await leftovers()).toEqual([]);
  });

  it('checks LOCAL before anything is asked of the phone: its folder must exist and it must not be a folder', async () => {
    await expect(pullTarget(path.join(dir, 'nowhere', 'x'))).rejects.toMatchObject({ code: 'ENOENT', message: `${path.join(dir, 'nowhere', 'x')}: folder ${path.join(dir, 'nowhere')} does not exist` });
    await expect(pullTarget(path.join(dir, 'host'))).rejects.toMatchObject({ code: 'EISDIR' });
    expect(await pullTarget(path.relative(process.cwd(), local))).toBe(local);
  });
});
