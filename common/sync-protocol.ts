/**
 * The sync service's messages (AOSP SYNC.TXT, file_sync_protocol.h): an 8-byte request or
 * response of a 4-letter id and a little-endian 32-bit word, often followed by data. The virtual
 * phone's sync service answers them; the controller's pull (framework/devices/sync-pull.ts) asks.
 */

function id(name: string): number {
  return Buffer.from(name, 'latin1').readUInt32LE(0);
}

export const SyncId = {
  STAT: id('STAT'),
  STA2: id('STA2'),
  LST2: id('LST2'),
  LIST: id('LIST'),
  LIS2: id('LIS2'),
  DENT: id('DENT'),
  DNT2: id('DNT2'),
  SEND: id('SEND'),
  RECV: id('RECV'),
  DONE: id('DONE'),
  DATA: id('DATA'),
  OKAY: id('OKAY'),
  FAIL: id('FAIL'),
  QUIT: id('QUIT'),
} as const;

export function syncIdName(value: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0, 0);
  const text = b.toString('latin1');
  return /^[A-Z0-9]{4}$/.test(text) ? text : `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

/** Longest path a request may carry. */
export const SYNC_PATH_MAX = 1024;
/** Largest DATA chunk. */
export const SYNC_DATA_MAX = 64 * 1024;
/** sync_stat_v2 and sync_dent_v2 without the name. */
export const STAT_V2_SIZE = 72;
export const DENT_V2_SIZE = 76;
export const DENT_V1_SIZE = 20;

export function syncHeader(syncId: number, word: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(syncId >>> 0, 0);
  b.writeUInt32LE(word >>> 0, 4);
  return b;
}

/** A request: id, path length, path. */
export function syncRequest(syncId: number, remotePath: string): Buffer {
  const p = Buffer.from(remotePath, 'utf8');
  return Buffer.concat([syncHeader(syncId, p.length), p]);
}

export function syncFail(message: string): Buffer {
  const m = Buffer.from(message, 'utf8');
  return Buffer.concat([syncHeader(SyncId.FAIL, m.length), m]);
}

export interface StatV2 {
  error: number;
  dev: bigint;
  ino: bigint;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: bigint;
  atime: bigint;
  mtime: bigint;
  ctime: bigint;
}

export const EMPTY_STAT: StatV2 = { error: 0, dev: 0n, ino: 0n, mode: 0, nlink: 0, uid: 0, gid: 0, size: 0n, atime: 0n, mtime: 0n, ctime: 0n };

/** The 72 bytes of sync_stat_v2 (also the head of sync_dent_v2). */
export function encodeStatV2(syncId: number, st: StatV2): Buffer {
  const b = Buffer.alloc(STAT_V2_SIZE);
  b.writeUInt32LE(syncId >>> 0, 0);
  b.writeUInt32LE(st.error >>> 0, 4);
  b.writeBigUInt64LE(st.dev, 8);
  b.writeBigUInt64LE(st.ino, 16);
  b.writeUInt32LE(st.mode >>> 0, 24);
  b.writeUInt32LE(st.nlink >>> 0, 28);
  b.writeUInt32LE(st.uid >>> 0, 32);
  b.writeUInt32LE(st.gid >>> 0, 36);
  b.writeBigUInt64LE(st.size, 40);
  b.writeBigInt64LE(st.atime, 48);
  b.writeBigInt64LE(st.mtime, 56);
  b.writeBigInt64LE(st.ctime, 64);
  return b;
}

export function decodeStatV2(b: Buffer): StatV2 & { id: number } {
  return {
    id: b.readUInt32LE(0),
    error: b.readUInt32LE(4),
    dev: b.readBigUInt64LE(8),
    ino: b.readBigUInt64LE(16),
    mode: b.readUInt32LE(24),
    nlink: b.readUInt32LE(28),
    uid: b.readUInt32LE(32),
    gid: b.readUInt32LE(36),
    size: b.readBigUInt64LE(40),
    atime: b.readBigInt64LE(48),
    mtime: b.readBigInt64LE(56),
    ctime: b.readBigInt64LE(64),
  };
}

/**
 * The mode a pushed file gets: the permission bits the client sent, with the owner's bits copied
 * to group and others where those lack them (what adbd does).
 */
export function pushedFileMode(mode: number): number {
  let m = mode & 0o777;
  m |= (m >> 3) & 0o070;
  m |= (m >> 3) & 0o007;
  return m;
}
