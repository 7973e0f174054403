import { randomFillSync } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { onLines } from '../../common/lines.js';
import { listenMptcp } from '../../common/mptcp.js';

/**
 * The lab's origin: the servers the phones' apps talk to, behind the proxy. HTTP on each of
 * `httpPorts` (plain HTTP, also on 443) and a messaging service on `messagingPort`, all on
 * MPTCP listening sockets (plain TCP clients, such as the proxy, fall back to TCP).
 *
 * HTTP endpoints (query parameters are optional):
 *   GET  /health                              "ok"
 *   GET  /bytes/N                             N random bytes (Content-Length set)
 *   POST /upload                              reads the body, answers {"bytes":N,"ms":T}
 *   GET  /video/ID/SEG?kbit=2500&seconds=4    one video segment: kbit*seconds/8 KB, chunked, as fast as the network takes it
 *   GET  /stream?kbit=320&seconds=75&frameMs=40   a paced stream: every frameMs a chunk of kbit*frameMs/8 bytes (music, live RTMP-like)
 *   GET  /live/playlist.m3u8?seconds=3&kbit=1500  a live HLS-like chunk list (the last 3 chunks, by the clock)
 *   GET  /live/SEQ.ts?seconds=3&kbit=1500     one live chunk
 *   GET  /page/ID?objects=40&size=6000        an HTML page that references `objects` small objects of about `size` bytes
 *   GET  /object/ID/I?size=6000               one object of such a page
 * Messaging (TCP, one JSON object per line, like a chat service on port 5222; also on every HTTP
 * port, for a connection whose first byte is "{", as apps run their MQTT or chat on 443):
 *   client {"type":"hello","user":"u"}                      server {"type":"welcome","user":"u"}
 *   client {"type":"message","id":7,"body":"hi"}            server {"type":"ack","id":7,"bytes":N}
 *     with "receipts":true, then {"type":"receipt","id":7,"status":"delivered"} 200 ms later and
 *     "read" 1.5 s later (the recipient's phone got it, then opened it)
 *   client {"type":"ping"}                                  server {"type":"pong"}
 *   client {"type":"subscribe","everyMs":5000,"bytes":200}  server {"type":"incoming","seq":1,"body":"..."} every everyMs
 *   the server sends {"type":"keepalive"} after 30 s without traffic.
 */
export interface OriginOptions {
  host: string;
  httpPorts: number[];
  messagingPort: number;
  /** listen on MPTCP sockets (default true) */
  mptcp?: boolean;
}

export interface Origin {
  /** the ports actually bound (useful with port 0): HTTP ports in order, then messaging */
  ports: { http: number[]; messaging: number };
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;
const MAX_BYTES = 64 * 1024 ** 3;

function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new RangeError(`${name}: expected a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

/** Writes `total` random bytes with backpressure; stops if the client leaves. */
function sendRandom(res: http.ServerResponse, total: number): void {
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, CHUNK);
      left -= n;
      // a fresh buffer per write: the previous one may still be queued
      const chunk = randomFillSync(Buffer.allocUnsafe(n));
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.on('close', () => {
    left = 0;
  });
  pump();
}

function paced(res: http.ServerResponse, bytesPerFrame: number, frameMs: number, frames: number): void {
  let sent = 0;
  const started = Date.now();
  const tick = (): void => {
    if (res.destroyed) return;
    res.write(randomFillSync(Buffer.allocUnsafe(bytesPerFrame)));
    sent += 1;
    if (sent >= frames) {
      res.end();
      return;
    }
    // schedule against the start so that timer drift does not accumulate
    setTimeout(tick, Math.max(0, started + sent * frameMs - Date.now()));
  };
  tick();
}

/** A page's object sizes vary around `size` (x0.25 to x1.75), the same for the same page and index. */
export function objectSize(id: string, index: number, size: number): number {
  let h = 2166136261;
  for (const ch of `${id}/${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  const spread = ((h >>> 0) % 1000) / 1000; // 0..1
  return Math.max(1, Math.round(size * (0.25 + 1.5 * spread)));
}

function page(id: string, objects: number, size: number): string {
  const items = Array.from({ length: objects }, (_, i) => {
    const url = `/object/${encodeURIComponent(id)}/${i}?size=${objectSize(id, i, size)}`;
    return i % 3 === 0 ? `<script src="${url}"></script>` : `<img src="${url}">`;
  });
  return `<!doctype html>\n<html><head><title>page ${id}</title></head><body>\n${items.join('\n')}\n</body></html>\n`;
}

export function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://origin');
  const parts = url.pathname.split('/').filter(Boolean);
  try {
    if (req.method === 'POST' && url.pathname === '/upload') {
      const started = Date.now();
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ bytes, ms: Date.now() - started }));
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD, POST' }).end();
      return;
    }
    if (url.pathname === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (parts[0] === 'bytes' && parts.length === 2) {
      const n = Number(parts[1]);
      if (!Number.isInteger(n) || n < 0 || n > MAX_BYTES) throw new RangeError(`/bytes/N: expected N a whole number from 0 to ${MAX_BYTES}, got ${JSON.stringify(parts[1])}`);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
      sendRandom(res, n);
      return;
    }
    if (parts[0] === 'video' && parts.length === 3) {
      const kbit = intParam(url, 'kbit', 2500, 1, 1_000_000);
      const seconds = intParam(url, 'seconds', 4, 0.1, 600);
      res.writeHead(200, { 'content-type': 'video/mp2t' });
      sendRandom(res, Math.round((kbit * 1000 * seconds) / 8));
      return;
    }
    if (url.pathname === '/stream') {
      const kbit = intParam(url, 'kbit', 320, 1, 1_000_000);
      const seconds = intParam(url, 'seconds', 75, 0.1, 86_400);
      const frameMs = intParam(url, 'frameMs', 40, 1, 10_000);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      paced(res, Math.max(1, Math.round((kbit * frameMs) / 8)), frameMs, Math.max(1, Math.round((seconds * 1000) / frameMs)));
      return;
    }
    if (parts[0] === 'live' && parts[1] === 'playlist.m3u8') {
      const seconds = intParam(url, 'seconds', 3, 0.5, 60);
      const kbit = intParam(url, 'kbit', 1500, 1, 1_000_000);
      const newest = Math.floor(Date.now() / 1000 / seconds);
      const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${Math.ceil(seconds)}`, `#EXT-X-MEDIA-SEQUENCE:${newest - 2}`];
      for (let seq = newest - 2; seq <= newest; seq++) lines.push(`#EXTINF:${seconds.toFixed(3)},`, `/live/${seq}.ts?seconds=${seconds}&kbit=${kbit}`);
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(`${lines.join('\n')}\n`);
      return;
    }
    if (parts[0] === 'live' && parts.length === 2 && parts[1].endsWith('.ts')) {
      const seconds = intParam(url, 'seconds', 3, 0.5, 60);
      const kbit = intParam(url, 'kbit', 1500, 1, 1_000_000);
      const n = Math.round((kbit * 1000 * seconds) / 8);
      res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': n });
      sendRandom(res, n);
      return;
    }
    if (parts[0] === 'page' && parts.length === 2) {
      const objects = intParam(url, 'objects', 40, 0, 1000);
      const size = intParam(url, 'size', 6000, 1, 10_000_000);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(decodeURIComponent(parts[1]), objects, size));
      return;
    }
    if (parts[0] === 'object' && parts.length === 3) {
      const size = intParam(url, 'size', 6000, 1, 100_000_000);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      sendRandom(res, size);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`no such endpoint: ${url.pathname}\n`);
  } catch (err) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
  }
}

/** When a message's recipient got it and read it, after the server acknowledged it. */
export const RECEIPT_MS = { delivered: 200, read: 1500 };

/** The messaging service: one JSON object per line each way. */
export function messagingConnection(socket: net.Socket): void {
  socket.setNoDelay(true);
  let seq = 0;
  let subscription: NodeJS.Timeout | undefined;
  const receipts = new Set<NodeJS.Timeout>();
  const send = (message: object): void => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
  };
  const idle = (): void => send({ type: 'keepalive' });
  socket.setTimeout(30_000, idle);
  onLines(socket, (line) => {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      send({ type: 'error', error: 'expected one JSON object per line' });
      return;
    }
    switch (message.type) {
      case 'hello':
        send({ type: 'welcome', user: message.user ?? null });
        break;
      case 'message': {
        const id = message.id ?? null;
        send({ type: 'ack', id, bytes: Buffer.byteLength(line) });
        if (message.receipts === true) {
          receipts.add(setTimeout(() => send({ type: 'receipt', id, status: 'delivered' }), RECEIPT_MS.delivered));
          receipts.add(setTimeout(() => send({ type: 'receipt', id, status: 'read' }), RECEIPT_MS.read));
        }
        break;
      }
      case 'ping':
        send({ type: 'pong' });
        break;
      case 'subscribe': {
        const everyMs = Math.max(50, Number(message.everyMs) || 5000);
        const bytes = Math.min(1_000_000, Math.max(0, Number(message.bytes) || 100));
        clearInterval(subscription);
        subscription = setInterval(() => send({ type: 'incoming', seq: ++seq, body: 'x'.repeat(bytes) }), everyMs);
        break;
      }
      default:
        send({ type: 'error', error: `unknown type ${JSON.stringify(message.type)}` });
    }
  });
  socket.on('close', () => {
    clearInterval(subscription);
    for (const timer of receipts) clearTimeout(timer);
  });
  socket.on('error', () => socket.destroy());
}

async function listen(server: net.Server, host: string, port: number, mptcp: boolean): Promise<void> {
  if (mptcp) return listenMptcp(server, host, port);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

export async function startOrigin(options: OriginOptions): Promise<Origin> {
  const mptcp = options.mptcp ?? true;
  const servers: net.Server[] = [];
  const chats = new Set<net.Socket>();
  const chat = (socket: net.Socket): void => {
    chats.add(socket);
    socket.on('close', () => chats.delete(socket));
    messagingConnection(socket);
  };
  const open = new Set<net.Socket>();
  for (const port of options.httpPorts) {
    const web = http.createServer(handle);
    web.keepAliveTimeout = 60_000;
    // HTTP, or messaging when the client's first byte opens a JSON object; half-open as an HTTP
    // server's connections are (a request may be followed by the client's FIN before the answer)
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.once('data', (first: Buffer) => {
        socket.pause();
        socket.unshift(first);
        if (first[0] === 0x7b) {
          socket.on('end', () => socket.end());
          chat(socket);
        } else {
          web.emit('connection', socket);
        }
        socket.resume();
      });
      socket.on('error', () => socket.destroy());
    });
    await listen(server, options.host, port, mptcp);
    servers.push(server);
  }
  const messaging = net.createServer(chat);
  await listen(messaging, options.host, options.messagingPort, mptcp);
  servers.push(messaging);
  const port = (s: net.Server): number => (s.address() as net.AddressInfo).port;
  return {
    ports: { http: servers.slice(0, -1).map(port), messaging: port(messaging) },
    close: async () => {
      for (const socket of [...chats, ...open]) socket.destroy();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
