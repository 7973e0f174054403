import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { ByteReader } from '../../common/byte-reader.js';
import { STAT_V2_SIZE, SYNC_DATA_MAX, SyncId, decodeStatV2, syncHeader, syncIdName, syncRequest } from '../../common/sync-protocol.js';
import { PhoneOpError } from './errors.js';

/**
 * adb sync's pull (AOSP adb SYNC.TXT) over a `sync:` stream the adb server opened: STAT (STA2 on a
 * phone with stat_v2), then RECV and DATA chunks until DONE or FAIL, into a temporary file next to
 * LOCAL that is renamed over it only once the whole file arrived. Spoken here rather than through
 * adbkit because adbkit's pull cannot be cancelled (its connection, and the phone's sync service
 * with it, stay open when the local file fails) and reports a FAIL only after it ended the stream,
 * so an unreadable file looked like an empty one.
 */

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/** errno values the phone sends in STA2, by name (Linux numbering, as Android's). */
const ERRNO: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 13: 'EACCES', 20: 'ENOTDIR', 36: 'ENAMETOOLONG', 40: 'ELOOP' };

function errnoError(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
 * The absolute path LOCAL stands for, after checking that a file can be made there: its folder
 * exists and it is not itself a folder. Nothing is asked of the phone before this passes.
 */
export async function pullTarget(local: string): Promise<string> {
  const target = resolve(local);
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw errnoError(`${local}: is a directory; give the path of the file to write`, 'EISDIR');
  const folder = await stat(dirname(target)).catch(() => undefined);
  if (!folder?.isDirectory()) throw errnoError(`${local}: folder ${dirname(target)} does not exist`, 'ENOENT');
  return target;
}

/**
 * Pulls `remote` into `target` (from pullTarget) over `stream`, which the caller destroys
 * afterwards whatever happened. On any failure the temporary file is removed and `target` is as
 * it was. Returns the file's size.
 */
export async function syncPull(stream: Duplex, remote: string, target: string, opts: { statV2: boolean }): Promise<number> {
  const partial = join(dirname(target), `.${basename(target)}.mplab-pull-${randomBytes(4).toString('hex')}`);
  const file = await open(partial, 'wx', 0o644);
  let complete = false;
  try {
    const reader = new ByteReader(stream);
    const expected = await remoteSize(stream, reader, remote, opts.statV2);
    stream.write(syncRequest(SyncId.RECV, remote));
    let received = 0;
    for (;;) {
      const header = await mustRead(reader, 8, remote);
      const id = header.readUInt32LE(0);
      const length = header.readUInt32LE(4);
      if (id === SyncId.DONE) break;
      if (id === SyncId.FAIL) throw new PhoneOpError(`pull ${remote}: the phone says: ${(await mustRead(reader, length, remote)).toString('utf8')}`);
      if (length > SYNC_DATA_MAX) throw new PhoneOpError(`pull ${remote}: a DATA chunk of ${length} bytes (at most ${SYNC_DATA_MAX})`);
      if (id !== SyncId.DATA) throw new PhoneOpError(`pull ${remote}: unexpected sync message ${syncIdName(id)}`);
      const data = await mustRead(reader, length, remote);
      await file.write(data);
      received += data.length;
    }
    stream.write(syncHeader(SyncId.QUIT, 0));
    if (received % expected.modulo !== expected.size) throw new PhoneOpError(`pull ${remote}: received ${received} bytes of ${expected.size}`);
    await file.close();
    await rename(partial, target);
    complete = true;
    return received;
  } finally {
    if (!complete) {
      await file.close().catch(() => undefined);
      await rm(partial, { force: true });
    }
  }
}

/**
 * The remote file's size, throwing unless it is a regular file. The legacy STAT reply carries 32
 * bits of size, so `modulo` says what the received byte count is compared with.
 */
async function remoteSize(stream: Duplex, reader: ByteReader, remote: string, statV2: boolean): Promise<{ size: number; modulo: number }> {
  stream.write(syncRequest(statV2 ? SyncId.STA2 : SyncId.STAT, remote));
  const head = await mustRead(reader, 4, remote);
  const id = head.readUInt32LE(0);
  if (id === SyncId.FAIL) throw new PhoneOpError(`pull ${remote}: the phone says: ${await failMessage(reader, remote)}`);
  let mode: number;
  let size: number;
  if (id === SyncId.STA2 && statV2) {
    const st = decodeStatV2(Buffer.concat([head, await mustRead(reader, STAT_V2_SIZE - 4, remote)]));
    if (st.error === 2) throw noSuchFile(remote);
    if (st.error) throw errnoError(`pull ${remote}: cannot stat it on the phone (${ERRNO[st.error] ?? `errno ${st.error}`})`, ERRNO[st.error] ?? 'EIO');
    mode = st.mode;
    size = Number(st.size);
  } else if (id === SyncId.STAT && !statV2) {
    const reply = await mustRead(reader, 12, remote);
    mode = reply.readUInt32LE(0);
    size = reply.readUInt32LE(4);
  } else {
    throw new PhoneOpError(`pull ${remote}: unexpected sync message ${syncIdName(id)}`);
  }
  // the legacy STAT answers a missing file with mode 0
  if (mode === 0) throw noSuchFile(remote);
  if ((mode & S_IFMT) === S_IFDIR) throw errnoError(`pull ${remote}: is a directory on the phone, not a file`, 'EISDIR');
  if ((mode & S_IFMT) !== S_IFREG) throw new PhoneOpError(`pull ${remote}: not a regular file on the phone (mode ${mode.toString(8)})`);
  return { size, modulo: statV2 ? Number.MAX_SAFE_INTEGER : 2 ** 32 };
}

function noSuchFile(remote: string): Error {
  return errnoError(`pull ${remote}: no such file on the phone`, 'ENOENT');
}

async function failMessage(reader: ByteReader, remote: string): Promise<string> {
  const length = (await mustRead(reader, 4, remote)).readUInt32LE(0);
  return (await mustRead(reader, length, remote)).toString('utf8');
}

async function mustRead(reader: ByteReader, n: number, remote: string): Promise<Buffer> {
  const bytes = await reader.read(n);
  // a connection cut before DONE: classified as a cut connection (recovery, then the pull again)
  if (!bytes) throw errnoError(`pull ${remote}: the connection to the phone closed before the file was complete`, 'ECONNRESET');
  return bytes;
}
