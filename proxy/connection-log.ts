import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The proxy's connection log: one JSON object per line, written when a connection ends. Each line
 * is handed to the kernel with one write(2) as it is produced, so a crash of the proxy loses only
 * the connections that were still open. The format is a contract with the analyzer
 * (`mplab analyze --proxy-log`); see HELPERS.md, "Proxy connection log".
 */
export type CloseReason =
  | 'client-end'
  | 'target-end'
  | 'client-reset'
  | 'target-reset'
  | 'idle-timeout'
  | 'socks-error'
  | 'not-allowed'
  | 'auth-failed'
  | 'target-refused'
  | 'target-unreachable'
  | 'limit'
  | 'shutdown';

export const CLOSE_REASONS: readonly CloseReason[] = [
  'client-end',
  'target-end',
  'client-reset',
  'target-reset',
  'idle-timeout',
  'socks-error',
  'not-allowed',
  'auth-failed',
  'target-refused',
  'target-unreachable',
  'limit',
  'shutdown',
];

export interface ConnectionRecord {
  event: 'connection' | 'refused';
  id: number;
  /** the client's address and port as the proxy saw them ("198.18.1.2:40122", "[2001:2::2]:40122") */
  client: string;
  /** the proxy's address and port the client connected to */
  listen: string;
  target: { host: string; port: number } | null;
  /** the address and port the proxy connected to for the client */
  remote: string | null;
  /** epoch seconds */
  start: number;
  end: number;
  bytes: { up: number; down: number };
  close: CloseReason;
  /** null when the client's connection is plain TCP; subflows is the most seen at once */
  mptcp: { subflows: number; fallback: boolean } | null;
}

/** Fields in the order of the documented example, so that the log reads the same everywhere. */
export function formatRecord(r: ConnectionRecord): string {
  const ordered: ConnectionRecord = {
    event: r.event,
    id: r.id,
    client: r.client,
    listen: r.listen,
    target: r.target,
    remote: r.remote,
    start: r.start,
    end: r.end,
    bytes: r.bytes,
    close: r.close,
    mptcp: r.mptcp,
  };
  return JSON.stringify(ordered);
}

export interface ConnectionLog {
  write(record: ConnectionRecord): void;
  close(): void;
}

/** Appends to `file` (created with its folder if missing). */
export function openConnectionLog(file: string): ConnectionLog {
  mkdirSync(dirname(file), { recursive: true });
  let fd: number | null = openSync(file, 'a');
  return {
    write(record) {
      if (fd !== null) writeSync(fd, `${formatRecord(record)}\n`);
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
