import { createHash } from 'node:crypto';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { formatEndpoint } from '../address.js';
import { SocksError, socksConnect } from '../socks-client.js';
import { patternChunks } from './pattern.js';

/**
 * A client that runs inside a namespace (a lab phone's, or the benchmark's client) and takes
 * orders as JSON lines on stdin, answering each with one JSON line on stdout:
 *   {"seq":1,"op":"socks","id":"a","proxy":{...},"target":{...}}  ->  {"seq":1,"ok":true,...}
 * See `AgentRequest` for the operations. Started by proxy/testkit/remote.ts.
 */
export type AgentRequest =
  | { op: 'open'; id: string; host: string; port: number; localAddress?: string }
  | {
      op: 'socks';
      id: string;
      proxy: { host: string; port: number };
      target: { host: string; port: number };
      auth?: { user: string; pass: string };
      localAddress?: string;
    }
  | { op: 'send'; id: string; hex: string }
  | { op: 'end'; id: string }
  /** what arrived so far; waits up to timeoutMs for at least `min` bytes or the end */
  | { op: 'recv'; id: string; min?: number; timeoutMs: number }
  | { op: 'close'; id: string; reset?: boolean }
  /** "SOURCE n" to the test origin, read to the end */
  | { op: 'download'; id: string; bytes: number; digest?: boolean }
  /**
   * n pattern bytes to the test origin and its answer: "SINK", the bytes, FIN, then the answer
   * "<n> <sha256>" (halfClose, the default), or "SINK n", the bytes, the answer "<n>"
   */
  | { op: 'upload'; id: string; bytes: number; halfClose?: boolean }
  /** on an "ECHO" connection: `count` round trips of `size` bytes, one at a time */
  | { op: 'pingpong'; id: string; count: number; size: number };

export type ConnectionState = 'open' | 'ended' | 'reset' | 'closed';

interface Conn {
  socket: net.Socket;
  received: Buffer[];
  state: ConnectionState;
  error?: string;
  changed: () => void;
}

const conns = new Map<string, Conn>();

function track(id: string, socket: net.Socket): Conn {
  const conn: Conn = { socket, received: [], state: 'open', changed: () => {} };
  socket.on('data', (chunk: Buffer) => {
    conn.received.push(chunk);
    conn.changed();
  });
  socket.on('end', () => {
    if (conn.state === 'open') conn.state = 'ended';
    conn.changed();
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    conn.state = err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : 'closed';
    conn.error = err.code ?? err.message;
    conn.changed();
  });
  socket.on('close', () => {
    if (conn.state === 'open') conn.state = 'closed';
    conn.changed();
  });
  conns.set(id, conn);
  socket.resume();
  return conn;
}

function get(id: string): Conn {
  const conn = conns.get(id);
  if (!conn) throw new Error(`no connection ${id}`);
  return conn;
}

function local(socket: net.Socket): string {
  return formatEndpoint(socket.localAddress ?? '0.0.0.0', socket.localPort ?? 0);
}

function waitFor(conn: Conn, done: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (done()) return resolve();
    const timer = setTimeout(finish, timeoutMs);
    function finish(): void {
      clearTimeout(timer);
      conn.changed = () => {};
      resolve();
    }
    conn.changed = () => done() && finish();
  });
}

/** Takes the connection's data stream over from the buffering handlers. */
function exclusive(conn: Conn, onData: (chunk: Buffer) => void): void {
  conn.socket.removeAllListeners('data');
  const pending = Buffer.concat(conn.received);
  conn.received = [];
  if (pending.length) onData(pending);
  conn.socket.on('data', onData);
}

async function handle(req: AgentRequest): Promise<Record<string, unknown>> {
  switch (req.op) {
    case 'open': {
      const socket = net.connect({ host: req.host, port: req.port, localAddress: req.localAddress, noDelay: true, allowHalfOpen: true });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      socket.removeAllListeners('error');
      track(req.id, socket);
      return { local: local(socket) };
    }
    case 'socks': {
      try {
        const { socket, bound } = await socksConnect({ proxy: req.proxy, target: req.target, auth: req.auth, localAddress: req.localAddress });
        track(req.id, socket);
        return { local: local(socket), bound };
      } catch (err) {
        if (err instanceof SocksError) return { failed: err.message, reply: err.reply ?? null };
        throw err;
      }
    }
    case 'send': {
      const conn = get(req.id);
      await new Promise<void>((resolve) => conn.socket.write(Buffer.from(req.hex, 'hex'), () => resolve()));
      return {};
    }
    case 'end':
      get(req.id).socket.end();
      return {};
    case 'recv': {
      const conn = get(req.id);
      const size = (): number => conn.received.reduce((n, b) => n + b.length, 0);
      await waitFor(conn, () => conn.state !== 'open' || size() >= (req.min ?? 1), req.timeoutMs);
      const hex = Buffer.concat(conn.received).toString('hex');
      conn.received = [];
      return { hex, state: conn.state, error: conn.error ?? null };
    }
    case 'close': {
      const conn = get(req.id);
      if (req.reset) conn.socket.resetAndDestroy();
      else conn.socket.destroy();
      conns.delete(req.id);
      return {};
    }
    case 'download': {
      const conn = get(req.id);
      const hash = req.digest === false ? undefined : createHash('sha256');
      let count = 0;
      const started = process.hrtime.bigint();
      exclusive(conn, (chunk) => {
        count += chunk.length;
        hash?.update(chunk);
      });
      conn.socket.write(`SOURCE ${req.bytes}\n`);
      await waitFor(conn, () => conn.state !== 'open', 600_000);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return { bytes: count, sha256: hash?.digest('hex') ?? null, seconds, state: conn.state };
    }
    case 'upload': {
      const conn = get(req.id);
      const { socket } = conn;
      const started = process.hrtime.bigint();
      const halfClose = req.halfClose ?? true;
      socket.write(halfClose ? 'SINK\n' : `SINK ${req.bytes}\n`);
      for (const chunk of patternChunks(req.bytes)) {
        if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
      }
      if (halfClose) socket.end();
      await waitFor(conn, () => conn.state !== 'open', 600_000);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return { answer: Buffer.concat(conn.received).toString('latin1').trim(), seconds, state: conn.state };
    }
    case 'pingpong': {
      const conn = get(req.id);
      const { socket } = conn;
      const message = Buffer.alloc(req.size, 0x5a);
      const rtts: number[] = [];
      let got = 0;
      let wake: () => void = () => {};
      exclusive(conn, (chunk) => {
        got += chunk.length;
        if (got >= req.size) wake();
      });
      for (let i = 0; i < req.count; i++) {
        got = 0;
        const started = process.hrtime.bigint();
        const answered = new Promise<void>((resolve) => (wake = resolve));
        socket.write(message);
        await answered;
        rtts.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      return { rttsMs: rtts };
    }
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const req = JSON.parse(line) as AgentRequest & { seq: number };
  handle(req).then(
    (result) => process.stdout.write(`${JSON.stringify({ seq: req.seq, ok: true, ...result })}\n`),
    (err: NodeJS.ErrnoException) => process.stdout.write(`${JSON.stringify({ seq: req.seq, ok: false, error: err.message, code: err.code ?? null })}\n`),
  );
});
lines.on('close', () => process.exit(0));
process.stdout.write(`${JSON.stringify({ seq: 0, ok: true, ready: true })}\n`);
