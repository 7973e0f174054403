/**
 * A small SOCKS-speaking traffic server for the analyzer's lab tests and benchmark, run inside a
 * network namespace: `node --import tsx test/support/traffic-server.ts <host> <port> [proxy-log]`.
 * It listens on an MPTCP socket (plain TCP clients fall back), reads a SOCKS5 greeting and request
 * (or the ShadowSocks address form), answers like a SOCKS5 proxy, then serves one command line:
 * "D <n>\n" sends n bytes and closes, "U <n>\n" reads n bytes and closes. Each connection is logged
 * in the proxy connection-log format (client ip:port, target, start), so that --proxy-log can be
 * tested on real captures. Prints "listening" once ready.
 */
import { appendFileSync } from 'node:fs';
import net from 'node:net';
import { listenMptcp, mptcpInfo } from '../../common/mptcp.js';
import { formatEndpoint } from '../../proxy/address.js';
import { Cmd, type ConnectRequest, type Parsed, parseGreeting, parseRequest, SOCKS_VERSION } from '../../proxy/socks5.js';

const [host = '0.0.0.0', portText = '1080', logFile] = process.argv.slice(2);
let nextId = 1;
const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

/** What a SOCKS5 request has before the address (VER CMD RSV): the ShadowSocks form is the rest alone. */
const REQUEST_HEAD = Buffer.from([SOCKS_VERSION, Cmd.connect, 0]);

/** Parses the proxy request at the start of `b` with the proxy's parsers; returns its target and length, or null if incomplete. */
function request(b: Buffer): { host: string; port: number; length: number; socks5: boolean } | 'bad' | null {
  const socks5 = b[0] === SOCKS_VERSION;
  let parsed: Parsed<ConnectRequest>;
  let offset: number;
  if (socks5) {
    const greeting = parseGreeting(b);
    if (greeting.kind !== 'done') return greeting.kind === 'incomplete' ? null : 'bad';
    offset = greeting.length;
    parsed = parseRequest(b.subarray(offset));
  } else {
    offset = -REQUEST_HEAD.length;
    parsed = parseRequest(Buffer.concat([REQUEST_HEAD, b]));
  }
  if (parsed.kind !== 'done') return parsed.kind === 'incomplete' ? null : 'bad';
  return { host: parsed.value.host, port: parsed.value.port, length: offset + parsed.length, socks5 };
}

const server = net.createServer((socket) => {
  const start = Date.now() / 1000;
  const client = formatEndpoint(socket.remoteAddress ?? '', socket.remotePort ?? 0);
  const id = nextId++;
  let buf = Buffer.alloc(0);
  let state: 'greeting' | 'command' | 'upload' | 'done' = 'greeting';
  let toRead = 0;
  let target: { host: string; port: number } | null = null;
  let up = 0;
  let down = 0;
  const mptcp = mptcpInfo(socket);
  const log = (close: string) => {
    if (!logFile) return;
    const line = { event: 'connection', id, client, listen: `${host}:${portText}`, target, remote: null, start, end: Date.now() / 1000, bytes: { up, down }, close, mptcp: mptcp ? { subflows: mptcp.subflows + 1, fallback: mptcp.fallback } : null };
    appendFileSync(logFile, `${JSON.stringify(line)}\n`);
  };
  socket.on('error', () => {});
  socket.on('close', () => log(state === 'greeting' ? 'socks-error' : 'client-end'));
  socket.on('data', (data: Buffer) => {
    buf = Buffer.concat([buf, data]);
    if (state === 'greeting') {
      const r = request(buf);
      if (r === null) return;
      if (r === 'bad') {
        socket.destroy();
        return;
      }
      target = { host: r.host, port: r.port };
      if (r.socks5) socket.write(Buffer.from([5, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
      buf = buf.subarray(r.length);
      state = 'command';
    }
    if (state === 'command') {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) return;
      const [cmd, n] = buf.subarray(0, nl).toString().split(' ');
      buf = buf.subarray(nl + 1);
      const size = Number(n);
      if (cmd === 'D') {
        state = 'done';
        let left = size;
        const pump = (): void => {
          while (left > 0) {
            const k = Math.min(left, CHUNK.length);
            left -= k;
            down += k;
            if (!socket.write(CHUNK.subarray(0, k))) {
              socket.once('drain', pump);
              return;
            }
          }
          socket.end();
        };
        pump();
      } else if (cmd === 'U') {
        state = 'upload';
        toRead = size;
      } else socket.destroy();
    }
    if (state === 'upload') {
      up += buf.length;
      toRead -= buf.length;
      buf = Buffer.alloc(0);
      if (toRead <= 0) {
        state = 'done';
        socket.end();
      }
    }
  });
});

await listenMptcp(server, host, Number(portText));
process.stdout.write('listening\n');
