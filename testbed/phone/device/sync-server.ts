/**
 * The sync service (adb push, pull, ls, stat) as a program that runs on the phone, as the user
 * adbd runs as, so that it sees the phone's filesystem and its permissions exactly as the shell
 * does. It speaks SYNC.TXT's protocol on stdin/stdout; the daemon connects those to the adb
 * stream. Like adbd, any failure ends the session after a FAIL message.
 */
import { constants, promises as fs, type BigIntStats } from 'node:fs';
import path from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import {
  DENT_V1_SIZE,
  DENT_V2_SIZE,
  EMPTY_STAT,
  SYNC_DATA_MAX,
  SYNC_PATH_MAX,
  SyncId,
  encodeStatV2,
  pushedFileMode,
  syncFail,
  syncHeader,
  syncIdName,
  type StatV2,
} from '../../../common/sync-protocol.js';
import { ByteReader, writeAll } from '../../../common/byte-reader.js';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;

const STRERROR: Record<string, string> = {
  EACCES: 'Permission denied',
  EEXIST: 'File exists',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  ENOENT: 'No such file or directory',
  ENOSPC: 'No space left on device',
  ENOTDIR: 'Not a directory',
  EPERM: 'Operation not permitted',
  EROFS: 'Read-only file system',
  ETXTBSY: 'Text file busy',
  EBUSY: 'Device or resource busy',
  EINVAL: 'Invalid argument',
};

function strerror(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return STRERROR[code] ?? ((error as Error).message || code);
}

/** Linux errno of a failed fs call (libuv reports it negated). */
function errnoOf(error: unknown): number {
  const n = (error as NodeJS.ErrnoException).errno;
  return typeof n === 'number' ? Math.abs(n) : 5; // EIO
}

function toStatV2(st: BigIntStats): StatV2 {
  const seconds = (ns: bigint) => ns / 1_000_000_000n;
  return {
    error: 0,
    dev: st.dev,
    ino: st.ino,
    mode: Number(st.mode),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: st.size,
    atime: seconds(st.atimeNs),
    mtime: seconds(st.mtimeNs),
    ctime: seconds(st.ctimeNs),
  };
}

class SyncFailure extends Error {}

export async function serveSync(input: Readable, output: Writable): Promise<void> {
  const reader = new ByteReader(input);
  const send = (data: Buffer) => writeAll(output, data);
  const fail = async (message: string) => {
    await send(syncFail(message));
    throw new SyncFailure(message);
  };

  try {
    for (;;) {
      const request = await reader.read(8);
      if (!request) return;
      const requestId = request.readUInt32LE(0);
      const length = request.readUInt32LE(4);
      if (length > SYNC_PATH_MAX) await fail('path too long');
      const pathBytes = await reader.read(length);
      if (!pathBytes) return;
      const target = pathBytes.toString('utf8');
      switch (requestId) {
        case SyncId.STAT:
          await send(await statV1(target));
          break;
        case SyncId.STA2:
        case SyncId.LST2:
          await send(await statV2(requestId, target));
          break;
        case SyncId.LIST:
        case SyncId.LIS2:
          await list(target, requestId === SyncId.LIS2, send);
          break;
        case SyncId.SEND:
          await receiveFile(target, reader, send, fail);
          break;
        case SyncId.RECV:
          await sendFile(target, send, fail);
          break;
        case SyncId.QUIT:
          return;
        default:
          await fail(`unknown command ${syncIdName(requestId)}`);
      }
    }
  } catch (error) {
    if (!(error instanceof SyncFailure)) throw error;
  }
}

async function statV1(target: string): Promise<Buffer> {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(SyncId.STAT, 0);
  try {
    const st = await fs.lstat(target, { bigint: true });
    b.writeUInt32LE(Number(st.mode) >>> 0, 4);
    b.writeUInt32LE(Number(st.size & 0xffffffffn), 8);
    b.writeUInt32LE(Number((st.mtimeNs / 1_000_000_000n) & 0xffffffffn), 12);
  } catch {
    // all zeros: does not exist
  }
  return b;
}

async function statV2(requestId: number, target: string): Promise<Buffer> {
  try {
    const st = requestId === SyncId.STA2 ? await fs.stat(target, { bigint: true }) : await fs.lstat(target, { bigint: true });
    return encodeStatV2(requestId, toStatV2(st));
  } catch (error) {
    return encodeStatV2(requestId, { ...EMPTY_STAT, error: errnoOf(error) });
  }
}

async function list(dir: string, v2: boolean, send: (b: Buffer) => Promise<void>): Promise<void> {
  let names: string[] = [];
  try {
    names = ['.', '..', ...(await fs.readdir(dir))];
  } catch {
    // an unreadable directory lists as empty, as with adbd
  }
  for (const name of names) {
    const nameBytes = Buffer.from(name, 'utf8');
    let st: StatV2;
    try {
      st = toStatV2(await fs.lstat(path.posix.join(dir, name), { bigint: true }));
    } catch (error) {
      if (!v2) continue;
      st = { ...EMPTY_STAT, error: errnoOf(error) };
    }
    if (v2) {
      const head = Buffer.alloc(DENT_V2_SIZE);
      encodeStatV2(SyncId.DNT2, st).copy(head, 0);
      head.writeUInt32LE(nameBytes.length, 72);
      await send(Buffer.concat([head, nameBytes]));
    } else {
      const head = Buffer.alloc(DENT_V1_SIZE);
      head.writeUInt32LE(SyncId.DENT, 0);
      head.writeUInt32LE(st.mode >>> 0, 4);
      head.writeUInt32LE(Number(st.size & 0xffffffffn), 8);
      head.writeUInt32LE(Number(st.mtime & 0xffffffffn), 12);
      head.writeUInt32LE(nameBytes.length, 16);
      await send(Buffer.concat([head, nameBytes]));
    }
  }
  const done = Buffer.alloc(v2 ? DENT_V2_SIZE : DENT_V1_SIZE);
  done.writeUInt32LE(SyncId.DONE, 0);
  await send(done);
}

async function mkdirs(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o775 });
}

/** SEND: "path,mode", then DATA chunks and DONE(mtime). */
async function receiveFile(spec: string, reader: ByteReader, send: (b: Buffer) => Promise<void>, fail: (m: string) => Promise<never>): Promise<void> {
  const comma = spec.lastIndexOf(',');
  if (comma < 0) await fail('missing , in ID_SEND_V1');
  const target = spec.slice(0, comma);
  const mode = Number.parseInt(spec.slice(comma + 1), 10);
  if (!Number.isFinite(mode)) await fail('bad mode');

  let existing: BigIntStats | undefined;
  try {
    existing = await fs.lstat(target, { bigint: true });
  } catch {
    existing = undefined;
  }
  const existingType = existing ? Number(existing.mode) & S_IFMT : 0;
  const isLink = (mode & S_IFMT) === S_IFLNK;
  const unlink = !existing || existingType === S_IFREG || (existingType === S_IFLNK && !isLink);
  if (unlink) await fs.rm(target, { force: true }).catch(() => undefined);

  if (isLink) {
    await receiveSymlink(target, reader, send, fail);
    return;
  }

  let handle: FileHandle | undefined;
  let failure: string | undefined;
  const fileMode = pushedFileMode(mode);
  const open = (flags: number) => fs.open(target, flags, fileMode);
  try {
    try {
      handle = await open(constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        try {
          await mkdirs(path.posix.dirname(target));
        } catch (mkdirError) {
          failure = `secure_mkdirs() failed: ${strerror(mkdirError)}`;
          throw mkdirError;
        }
        handle = await open(constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
      } else if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        handle = await open(constants.O_WRONLY);
      } else {
        throw error;
      }
    }
    await handle.chmod(fileMode);
  } catch (error) {
    await handle?.close();
    await send(syncFail(failure ?? `couldn't create file: ${strerror(error)}`));
    await drainUntilDone(reader);
    if (unlink) await fs.rm(target, { force: true }).catch(() => undefined);
    throw new SyncFailure('send failed');
  }

  let mtime = 0;
  try {
    for (;;) {
      const head = await reader.read(8);
      if (!head) throw new SyncFailure('eof during send');
      const chunkId = head.readUInt32LE(0);
      const word = head.readUInt32LE(4);
      if (chunkId === SyncId.DONE) {
        mtime = word;
        break;
      }
      if (chunkId !== SyncId.DATA) {
        await send(syncFail('invalid data message'));
        throw new SyncFailure('invalid data message');
      }
      if (word > SYNC_DATA_MAX * 4) {
        await send(syncFail('oversize data message'));
        throw new SyncFailure('oversize data message');
      }
      const data = await reader.read(word);
      if (!data) throw new SyncFailure('eof during send');
      try {
        await handle.write(data);
      } catch (error) {
        await send(syncFail(`write failed: ${strerror(error)}`));
        await drainUntilDone(reader);
        throw new SyncFailure('write failed');
      }
    }
  } catch (error) {
    await handle.close();
    if (unlink) await fs.rm(target, { force: true }).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await send(syncHeader(SyncId.OKAY, 0));
  await fs.lutimes(target, mtime, mtime).catch(() => undefined);
}

async function receiveSymlink(target: string, reader: ByteReader, send: (b: Buffer) => Promise<void>, fail: (m: string) => Promise<never>): Promise<void> {
  const head = await reader.read(8);
  if (!head) throw new SyncFailure('eof');
  if (head.readUInt32LE(0) !== SyncId.DATA) await fail('invalid data message: expected ID_DATA');
  const length = head.readUInt32LE(4);
  if (length > SYNC_DATA_MAX) await fail('oversize data message');
  const data = await reader.read(length);
  if (!data) throw new SyncFailure('eof');
  const linkTarget = data.toString('utf8').replace(/\0.*$/s, '');
  try {
    await fs.rm(target, { force: true });
    try {
      await fs.symlink(linkTarget, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdirs(path.posix.dirname(target));
      await fs.symlink(linkTarget, target);
    }
  } catch (error) {
    await fail(`symlink failed: ${strerror(error)}`);
  }
  const done = await reader.read(8);
  if (!done) throw new SyncFailure('eof');
  if (done.readUInt32LE(0) !== SyncId.DONE) await fail('invalid data message: expected ID_DONE');
  const mtime = done.readUInt32LE(4);
  await send(syncHeader(SyncId.OKAY, 0));
  await fs.lutimes(target, mtime, mtime).catch(() => undefined);
}

/** After a failed SEND the client still sends its data: read and drop it up to DONE. */
async function drainUntilDone(reader: ByteReader): Promise<void> {
  for (;;) {
    const head = await reader.read(8);
    if (!head) return;
    const chunkId = head.readUInt32LE(0);
    if (chunkId === SyncId.DONE || chunkId !== SyncId.DATA) return;
    const length = head.readUInt32LE(4);
    if (length > SYNC_DATA_MAX * 4) return;
    if (!(await reader.read(length))) return;
  }
}

/** RECV: DATA chunks of at most 64 KiB, then DONE. */
async function sendFile(target: string, send: (b: Buffer) => Promise<void>, fail: (m: string) => Promise<never>): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await fs.open(target, constants.O_RDONLY);
  } catch (error) {
    return fail(`open failed: ${strerror(error)}`);
  }
  try {
    const buffer = Buffer.alloc(SYNC_DATA_MAX);
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, buffer.length, null));
      } catch (error) {
        return fail(`read failed: ${strerror(error)}`);
      }
      if (bytesRead === 0) break;
      await send(Buffer.concat([syncHeader(SyncId.DATA, bytesRead), buffer.subarray(0, bytesRead)]));
    }
  } finally {
    await handle.close();
  }
  await send(syncHeader(SyncId.DONE, 0));
}
