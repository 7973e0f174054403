import { readFileSync } from 'node:fs';
import { UserError } from '../common/errors.js';
import type { ProxyTarget } from './socks.js';

/**
 * The proxy's connection log (`mplab proxy start --log FILE`, one JSON object per line), joined
 * to connections on the client "ip:port" of the initial subflow and the start time: ports are
 * reused in long traces, so the entry whose start is nearest the connection's first packet,
 * within a tolerance, wins, and each entry is used once.
 */
export interface ProxyLogEntry {
  event: 'connection' | 'refused';
  id: number;
  client: string;
  target: ProxyTarget | null;
  remote: string | null;
  start: number;
  end: number | null;
  bytes: { up: number; down: number } | null;
  close: string | null;
  mptcp: { subflows: number; fallback: boolean } | null;
}

export class ProxyLog {
  private readonly byClient = new Map<string, { entry: ProxyLogEntry; used: boolean }[]>();
  readonly entries: number;
  matched = 0;

  constructor(
    /** in the log's order (the native engine joins them itself: native-engine.ts) */
    readonly list: readonly ProxyLogEntry[],
    readonly tolerance: number,
  ) {
    const entries = list;
    this.entries = entries.length;
    for (const entry of entries) {
      let list = this.byClient.get(entry.client);
      if (!list) this.byClient.set(entry.client, (list = []));
      list.push({ entry, used: false });
    }
  }

  static load(file: string, tolerance: number): ProxyLog {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UserError(`--proxy-log ${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    return new ProxyLog(parseProxyLog(text, file), tolerance);
  }

  /** The entry of the connection whose initial subflow came from `client` at `start`, or null. */
  match(client: string, start: number): ProxyLogEntry | null {
    const list = this.byClient.get(client);
    if (!list) return null;
    let best: { entry: ProxyLogEntry; used: boolean } | null = null;
    let bestGap = Infinity;
    for (const candidate of list) {
      if (candidate.used) continue;
      const gap = Math.abs(candidate.entry.start - start);
      if (gap <= this.tolerance && gap < bestGap) {
        best = candidate;
        bestGap = gap;
      }
    }
    if (!best) return null;
    best.used = true;
    this.matched++;
    return best.entry;
  }
}

export function parseProxyLog(text: string, file: string): ProxyLogEntry[] {
  const entries: ProxyLogEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const where = `--proxy-log ${file}: line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UserError(`${where}: not a JSON object`);
    }
    if (typeof value !== 'object' || value === null) throw new UserError(`${where}: not a JSON object`);
    const v = value as Record<string, unknown>;
    if (v.event !== 'connection' && v.event !== 'refused') continue;
    if (typeof v.client !== 'string' || !/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):\d{1,5}$/.test(v.client)) {
      throw new UserError(`${where}: field "client" must be "ip:port" (got ${JSON.stringify(v.client)})`);
    }
    if (typeof v.start !== 'number' || !Number.isFinite(v.start)) throw new UserError(`${where}: field "start" must be epoch seconds (got ${JSON.stringify(v.start)})`);
    const target = v.target as ProxyTarget | null | undefined;
    if (target != null && (typeof target.host !== 'string' || typeof target.port !== 'number')) {
      throw new UserError(`${where}: field "target" must be {host, port} or null`);
    }
    entries.push({
      event: v.event,
      id: typeof v.id === 'number' ? v.id : i + 1,
      client: v.client,
      target: target ?? null,
      remote: typeof v.remote === 'string' ? v.remote : null,
      start: v.start,
      end: typeof v.end === 'number' ? v.end : null,
      bytes: isBytes(v.bytes) ? v.bytes : null,
      close: typeof v.close === 'string' ? v.close : null,
      mptcp: (v.mptcp as ProxyLogEntry['mptcp']) ?? null,
    });
  }
  return entries;
}

function isBytes(x: unknown): x is { up: number; down: number } {
  return typeof x === 'object' && x !== null && typeof (x as { up: unknown }).up === 'number' && typeof (x as { down: unknown }).down === 'number';
}
