import { readFile } from 'node:fs/promises';
import type { ConnectionRecord } from '../../../proxy/connection-log.js';
import type { Agent } from '../../../proxy/testkit/remote.js';

/**
 * The proxy's connection log as records (an absent file is an empty log). Only whole lines: the
 * proxy may be writing one as it is read (a read caught one cut short, "Unterminated string in JSON").
 */
export async function readLog(file: string): Promise<ConnectionRecord[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ConnectionRecord);
}

/** Waits for the one log line that matches (lines are written when connections end). */
export async function recordWhere(file: string, match: (r: ConnectionRecord) => boolean, timeoutMs = 5000, what = 'the connection'): Promise<ConnectionRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await readLog(file)).filter(match);
    if (found.length > 1) throw new Error(`${found.length} log lines for ${what}`);
    if (found.length === 1) return found[0];
    if (Date.now() > deadline) throw new Error(`no log line for ${what} in ${file} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A connection the agent opened: its client side ("ip:port") and when it began connecting. */
export interface Opened {
  local: string;
  at: number;
}

/**
 * Waits for the log line of a connection the agent opened. Client ports are reused (the proxy may
 * hold the TIME_WAIT), so the line is the one with that client that started after `at`.
 */
export function recordFor(file: string, conn: Opened, timeoutMs = 5000): Promise<ConnectionRecord> {
  return recordWhere(file, (r) => r.client === conn.local && r.start >= conn.at, timeoutMs, `client ${conn.local} since ${conn.at}`);
}

export interface Exchange extends Opened {
  /** every byte the proxy sent back, as hex */
  hex: string;
  /** how the proxy left the connection: "ended" (FIN), "reset", or "open" when it did not close within the wait */
  state: string;
}

/**
 * Opens a raw TCP connection from the agent's namespace to the proxy, sends `chunks` (hex, one
 * write each, `pauseMs` apart; or all with the FIN while connecting with `atOnce`), optionally
 * half-closes right after the last one, and collects what comes back until the proxy
 * closes or `waitMs` passes. Then closes the agent's side.
 */
export async function exchange(
  agent: Agent,
  id: string,
  proxy: { host: string; port: number; localAddress?: string },
  chunks: string[],
  opts: { end?: boolean; waitMs?: number; pauseMs?: number; atOnce?: boolean } = {},
): Promise<Exchange> {
  const hex = chunks.map((chunk) => chunk.replace(/\s+/g, ''));
  if (opts.atOnce) {
    // everything and the FIN queued while connecting: the proxy finds it all at its first read
    const opened = await agent.call<Opened>({ op: 'open', id, host: proxy.host, port: proxy.port, localAddress: proxy.localAddress, hex: hex.join(''), end: true });
    const got = await agent.call<{ hex: string; state: string }>({ op: 'recv', id, min: 1e9, timeoutMs: opts.waitMs ?? 4000 });
    await agent.call({ op: 'close', id });
    return { local: opened.local, at: opened.at, hex: got.hex, state: got.state };
  }
  const opened = await agent.call<Opened>({ op: 'open', id, host: proxy.host, port: proxy.port, localAddress: proxy.localAddress });
  // with `end`, the last chunk and the FIN go back to back
  const last = opts.end ? hex.pop() : undefined;
  for (const chunk of hex) {
    await agent.call({ op: 'send', id, hex: chunk }).catch(() => {});
    if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
  }
  if (opts.end) await agent.call({ op: 'end', id, hex: last }).catch(() => {});
  const got = await agent.call<{ hex: string; state: string }>({ op: 'recv', id, min: 1e9, timeoutMs: opts.waitMs ?? 4000 });
  await agent.call({ op: 'close', id });
  return { local: opened.local, at: opened.at, hex: got.hex, state: got.state };
}

/**
 * Waits until a process's output (read again each time) contains `text`, and returns it: a log
 * line comes through the process's stderr pipe after the answer the client already has.
 */
export async function outputContains(output: () => string, text: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = output();
    if (now.includes(text) || Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 50));
  }
}
