import { EventEmitter } from 'node:events';

/**
 * The phone's log buffers (main, system, crash, events), as `logcat` reads them. The daemon,
 * the Android commands and the virtual apps write here; `logcat` dumps or follows it.
 */

export type LogPriority = 'V' | 'D' | 'I' | 'W' | 'E' | 'F';
export type LogBufferName = 'main' | 'system' | 'crash' | 'events' | 'radio';

export interface LogEntry {
  /** Epoch milliseconds. */
  time: number;
  pid: number;
  tid: number;
  uid: number;
  priority: LogPriority;
  tag: string;
  message: string;
  buffer: LogBufferName;
  /** Increasing number, for `-T` and following. */
  seq: number;
}

export const PRIORITIES: readonly LogPriority[] = ['V', 'D', 'I', 'W', 'E', 'F'];

/** Entries kept per buffer (Android's default buffer is 256 KiB; this is about that many lines of ~100 bytes). */
const CAPACITY = 4000;

export class LogBuffers extends EventEmitter {
  private readonly buffers = new Map<LogBufferName, LogEntry[]>();
  private seq = 0;

  write(entry: Omit<LogEntry, 'time' | 'seq' | 'buffer' | 'tid' | 'uid'> & { time?: number; tid?: number; uid?: number; buffer?: LogBufferName }): LogEntry {
    const full: LogEntry = {
      time: entry.time ?? Date.now(),
      pid: entry.pid,
      tid: entry.tid ?? entry.pid,
      uid: entry.uid ?? 1000,
      priority: entry.priority,
      tag: entry.tag,
      // One entry per line, as Android's log writers split them.
      message: entry.message,
      buffer: entry.buffer ?? 'main',
      seq: ++this.seq,
    };
    const list = this.buffers.get(full.buffer) ?? [];
    list.push(full);
    if (list.length > CAPACITY) list.splice(0, list.length - CAPACITY);
    this.buffers.set(full.buffer, list);
    this.emit('entry', full);
    return full;
  }

  /** Writes a multi-line message as one entry per line (how `Log.e(tag, msg, throwable)` lands in logcat). */
  writeLines(entry: Omit<LogEntry, 'time' | 'seq' | 'buffer' | 'tid' | 'uid' | 'message'> & { lines: string[]; uid?: number; tid?: number; buffer?: LogBufferName }): void {
    const time = Date.now();
    for (const message of entry.lines) this.write({ ...entry, message, time });
  }

  /** Entries of the given buffers in order of writing. */
  entries(buffers: readonly LogBufferName[]): LogEntry[] {
    return buffers.flatMap((b) => this.buffers.get(b) ?? []).sort((a, b) => a.seq - b.seq);
  }

  clear(buffers: readonly LogBufferName[]): void {
    for (const b of buffers) this.buffers.delete(b);
  }

  /** Bytes used per buffer, roughly as `logcat -g` reports them. */
  size(buffer: LogBufferName): number {
    return (this.buffers.get(buffer) ?? []).reduce((n, e) => n + e.tag.length + e.message.length + 28, 0);
  }
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `MM-DD HH:MM:SS.mmm` in local time, as logcat prints it. */
function stamp(time: number): string {
  const d = new Date(time);
  return `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export type LogFormat = 'threadtime' | 'brief' | 'time' | 'tag' | 'process' | 'raw' | 'long';

export function formatEntry(e: LogEntry, format: LogFormat): string {
  switch (format) {
    case 'brief':
      return `${e.priority}/${e.tag.padEnd(8)}(${String(e.pid).padStart(5)}): ${e.message}`;
    case 'time':
      return `${stamp(e.time)} ${e.priority}/${e.tag.padEnd(8)}(${String(e.pid).padStart(5)}): ${e.message}`;
    case 'tag':
      return `${e.priority}/${e.tag.padEnd(8)}: ${e.message}`;
    case 'process':
      return `${e.priority}(${String(e.pid).padStart(5)}) ${e.message}  (${e.tag})`;
    case 'raw':
      return e.message;
    case 'long':
      return `[ ${stamp(e.time)} ${String(e.pid).padStart(5)}:${String(e.tid).padStart(5)} ${e.priority}/${e.tag} ]\n${e.message}\n`;
    default:
      return `${stamp(e.time)} ${String(e.pid).padStart(5)} ${String(e.tid).padStart(5)} ${e.priority} ${e.tag.padEnd(8)}: ${e.message}`;
  }
}

/** A filterspec list (`TAG:P ... *:P`) and ANDROID_LOG_TAGS: which entries pass. */
export function logFilter(specs: readonly string[]): (e: LogEntry) => boolean {
  const byTag = new Map<string, number>();
  let fallback = 0;
  for (const spec of specs) {
    const [tag, p = 'V'] = spec.split(':');
    const level = p === 'S' ? 99 : Math.max(0, PRIORITIES.indexOf(p.toUpperCase() as LogPriority));
    if (tag === '*') fallback = level;
    else byTag.set(tag, level);
  }
  return (e) => PRIORITIES.indexOf(e.priority) >= (byTag.get(e.tag) ?? fallback);
}
