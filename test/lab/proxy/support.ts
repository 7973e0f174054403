import { readFile } from 'node:fs/promises';
import type { ConnectionRecord } from '../../../proxy/connection-log.js';
import type { Agent } from '../../../proxy/testkit/remote.js';
import { inNetns } from '../../../testbed/netns.js';

/** The proxy's connection log as records (an absent file is an empty log). */
export async function readLog(file: string): Promise<ConnectionRecord[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ConnectionRecord);
}

/** Waits for the log line of the connection whose client side is `client` ("ip:port"). */
export async function recordFor(file: string, client: string, timeoutMs = 5000): Promise<ConnectionRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await readLog(file)).filter((r) => r.client === client);
    if (found.length > 1) throw new Error(`${found.length} log lines for client ${client}`);
    if (found.length === 1) return found[0];
    if (Date.now() > deadline) throw new Error(`no log line for client ${client} in ${file} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The kernel's absolute SNMP/MPTCP counters inside a namespace (nstat without touching its history). */
export async function nstat(netns: string): Promise<Map<string, number>> {
  const stdout = String((await inNetns(netns, 'nstat', ['-asz'])).stdout);
  const counters = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name && /^\d+$/.test(value ?? '')) counters.set(name, Number(value));
  }
  return counters;
}

export interface Exchange {
  local: string;
  /** every byte the proxy sent back, as hex */
  hex: string;
  /** how the proxy left the connection: "ended" (FIN), "reset", or "open" when it did not close within the wait */
  state: string;
}

/**
 * Opens a raw TCP connection from the agent's namespace to the proxy, sends `chunks` (hex, one
 * write each, `pauseMs` apart), optionally half-closes, and collects what comes back until the proxy
 * closes or `waitMs` passes. Then closes the agent's side.
 */
export async function exchange(
  agent: Agent,
  id: string,
  proxy: { host: string; port: number; localAddress?: string },
  chunks: string[],
  opts: { end?: boolean; waitMs?: number; pauseMs?: number } = {},
): Promise<Exchange> {
  const { local } = await agent.call<{ local: string }>({ op: 'open', id, host: proxy.host, port: proxy.port, localAddress: proxy.localAddress });
  for (const chunk of chunks) {
    await agent.call({ op: 'send', id, hex: chunk.replace(/\s+/g, '') }).catch(() => {});
    if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
  }
  if (opts.end) await agent.call({ op: 'end', id }).catch(() => {});
  const got = await agent.call<{ hex: string; state: string }>({ op: 'recv', id, min: 1e9, timeoutMs: opts.waitMs ?? 4000 });
  await agent.call({ op: 'close', id });
  return { local, hex: got.hex, state: got.state };
}
