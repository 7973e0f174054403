import { lstat, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveSync } from '../../../../testbed/phone/device/sync-server.js';
import { DENT_V1_SIZE, DENT_V2_SIZE, STAT_V2_SIZE, SyncId, decodeStatV2, pushedFileMode, syncHeader, syncIdName, syncRequest } from '../../../../common/sync-protocol.js';

/** Runs one sync session over in-memory streams: the requests in, every response byte out. */
async function session(requests: Buffer[]): Promise<Buffer> {
  const input = new PassThrough();
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (c: Buffer) => chunks.push(c));
  const done = serveSync(input, output);
  for (const r of requests) input.write(r);
  input.end();
  await done;
  return Buffer.concat(chunks);
}

function dataChunks(data: Buffer, size = 65536): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) {
    const piece = data.subarray(at, at + size);
    out.push(syncHeader(SyncId.DATA, piece.length), piece);
  }
  return out;
}

describe('sync service (runs on the phone)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mplabt-sync-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('receives a pushed file (SEND, DATA..., DONE), creating parent directories, mode and mtime', async () => {
    const data = Buffer.alloc(200_000, 7);
    const target = path.join(dir, 'a/b/file.bin');
    const out = await session([syncRequest(SyncId.SEND, `${target},${0o100644}`), ...dataChunks(data), syncHeader(SyncId.DONE, 1_700_000_000), syncHeader(SyncId.QUIT, 0)]);
    expect(syncIdName(out.readUInt32LE(0))).toBe('OKAY');
    expect((await readFile(target)).equals(data)).toBe(true);
    const st = await stat(target);
    expect(st.mode & 0o777).toBe(0o666);
    expect(Math.round(st.mtimeMs / 1000)).toBe(1_700_000_000);
  });

  it('sends a file back in DATA chunks of at most 64 KiB, then DONE', async () => {
    const data = Buffer.from(Array.from({ length: 150_000 }, (_, i) => i % 251));
    const target = path.join(dir, 'pull.bin');
    await writeFile(target, data);
    const out = await session([syncRequest(SyncId.RECV, target)]);
    const pieces: Buffer[] = [];
    let at = 0;
    for (;;) {
      const id = syncIdName(out.readUInt32LE(at));
      const len = out.readUInt32LE(at + 4);
      at += 8;
      if (id === 'DONE') break;
      expect(id).toBe('DATA');
      expect(len).toBeLessThanOrEqual(65536);
      pieces.push(out.subarray(at, at + len));
      at += len;
    }
    expect(Buffer.concat(pieces).equals(data)).toBe(true);
    expect(at).toBe(out.length);
  });

  it('answers STAT (v1) with zeros for a missing file and STA2/LST2 with the errno', async () => {
    const file = path.join(dir, 'f');
    await writeFile(file, 'xyz');
    const out = await session([syncRequest(SyncId.STAT, file), syncRequest(SyncId.STAT, path.join(dir, 'none')), syncRequest(SyncId.STA2, file), syncRequest(SyncId.LST2, path.join(dir, 'none'))]);
    expect(syncIdName(out.readUInt32LE(0))).toBe('STAT');
    expect(out.readUInt32LE(4) & 0o170000).toBe(0o100000);
    expect(out.readUInt32LE(8)).toBe(3);
    expect([out.readUInt32LE(20), out.readUInt32LE(24), out.readUInt32LE(28)]).toEqual([0, 0, 0]);
    const v2 = decodeStatV2(out.subarray(32, 32 + STAT_V2_SIZE));
    expect([syncIdName(v2.id), v2.error, v2.size]).toEqual(['STA2', 0, 3n]);
    const missing = decodeStatV2(out.subarray(32 + STAT_V2_SIZE, 32 + 2 * STAT_V2_SIZE));
    expect([syncIdName(missing.id), missing.error]).toEqual(['LST2', 2]); // ENOENT
  });

  it('lists a directory with LIST (DENT) and LIS2 (DNT2), each ended by DONE', async () => {
    await writeFile(path.join(dir, 'one'), '1');
    await writeFile(path.join(dir, 'two'), '22');
    const names = (out: Buffer, headSize: number, id: string) => {
      const found: string[] = [];
      let at = 0;
      for (;;) {
        const name = syncIdName(out.readUInt32LE(at));
        if (name === 'DONE') return { found, rest: out.subarray(at + headSize) };
        expect(name).toBe(id);
        const len = out.readUInt32LE(at + headSize - 4);
        found.push(out.subarray(at + headSize, at + headSize + len).toString());
        at += headSize + len;
      }
    };
    const out = await session([syncRequest(SyncId.LIST, dir), syncRequest(SyncId.LIS2, dir)]);
    const v1 = names(out, DENT_V1_SIZE, 'DENT');
    expect(v1.found.sort()).toEqual(['.', '..', 'one', 'two']);
    const v2 = names(v1.rest, DENT_V2_SIZE, 'DNT2');
    expect(v2.found.sort()).toEqual(['.', '..', 'one', 'two']);
  });

  it('fails a push it cannot write with adbd\'s message, drains the data and ends the session', async () => {
    const blocker = path.join(dir, 'file');
    await writeFile(blocker, 'x');
    const out = await session([syncRequest(SyncId.SEND, `${blocker}/under,420`), ...dataChunks(Buffer.alloc(10)), syncHeader(SyncId.DONE, 0), syncRequest(SyncId.STAT, blocker)]);
    expect(syncIdName(out.readUInt32LE(0))).toBe('FAIL');
    const message = out.subarray(8, 8 + out.readUInt32LE(4)).toString();
    expect(message).toMatch(/^(couldn't create file|secure_mkdirs\(\) failed): Not a directory$/);
    // nothing after the FAIL: the session is over, as with adbd
    expect(out.length).toBe(8 + out.readUInt32LE(4));
  });

  it('pushes a symlink when the mode says so', async () => {
    const link = path.join(dir, 'l');
    const target = Buffer.from('/somewhere/else\0');
    const out = await session([syncRequest(SyncId.SEND, `${link},${0o120777}`), syncHeader(SyncId.DATA, target.length), target, syncHeader(SyncId.DONE, 1_600_000_000)]);
    expect(syncIdName(out.readUInt32LE(0))).toBe('OKAY');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe('/somewhere/else');
  });

  it('refuses a path longer than 1024 bytes and an unknown request', async () => {
    const long = await session([syncHeader(SyncId.STAT, 2000)]);
    expect(long.subarray(8).toString()).toBe('path too long');
    const unknown = await session([syncRequest(0x41424344, '/')]);
    expect(unknown.subarray(8).toString()).toBe('unknown command DCBA');
  });

  it('gives pushed files the owner\'s bits for group and others too, as adbd does', () => {
    expect(pushedFileMode(0o100644).toString(8)).toBe('666');
    expect(pushedFileMode(0o100755).toString(8)).toBe('777');
    expect(pushedFileMode(0o100600).toString(8)).toBe('666');
    expect(pushedFileMode(0o100400).toString(8)).toBe('444');
  });
});
