/**
 * The client side of traffic-server.ts: `node --import tsx test/support/traffic-client.ts '<plan>'`
 * (under `mptcpize run` for MPTCP). The plan is a JSON object {server, concurrency, connections:
 * [{target, form, download, upload}]}; each connection sends its proxy request (SOCKS5 or the
 * ShadowSocks address form; form "none" connects and closes, "request-only" sends the request and
 * closes), then a command, and reads until the server closes. Prints one JSON line per connection:
 * {index, local, target, form, received, error}, and {progress: index} once a connection received 1 MB.
 */
import net from 'node:net';
import { formatEndpoint } from '../../proxy/address.js';
import { encodeConnect, encodeGreeting, Method } from '../../proxy/socks5.js';

export interface PlannedConnection {
  target: { host: string; port: number };
  form: 'socks5' | 'shadowsocks' | 'request-only' | 'none';
  download?: number;
  upload?: number;
  server?: string;
  /** wait this long between the proxy request and the command (lets additional subflows join) */
  delayMs?: number;
}

export interface Plan {
  server: string;
  concurrency: number;
  connections: PlannedConnection[];
}

export interface ConnectionResult {
  index: number;
  local: string | null;
  target: { host: string; port: number };
  form: PlannedConnection['form'];
  received: number;
  error: string | null;
}

/** The proxy request, then the command (and upload body). */
function requestBytes(c: PlannedConnection): [Buffer, Buffer] {
  // a SOCKS5 request is VER CMD RSV, then the address and port that the ShadowSocks form sends alone
  const request = encodeConnect(c.target.host, c.target.port);
  const command = Buffer.from(c.upload ? `U ${c.upload}\n` : `D ${c.download ?? 0}\n`);
  const body = c.upload ? Buffer.alloc(c.upload, 0x41) : Buffer.alloc(0);
  const rest = c.form === 'request-only' ? Buffer.alloc(0) : Buffer.concat([command, body]);
  if (c.form === 'shadowsocks') return [request.subarray(3), rest];
  // greeting and request in one write, as optimistic SOCKS5 clients do
  return [Buffer.concat([encodeGreeting([Method.noAuth]), request]), rest];
}

function run(plan: Plan, index: number): Promise<ConnectionResult> {
  const c = plan.connections[index];
  const [host, port] = (() => {
    const s = c.server ?? plan.server;
    const i = s.lastIndexOf(':');
    return [s.slice(0, i), Number(s.slice(i + 1))] as const;
  })();
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let received = 0;
    let local: string | null = null;
    const done = (error: string | null) => resolve({ index, local, target: c.target, form: c.form, received, error });
    socket.setTimeout(60_000, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => {
      local = formatEndpoint(socket.localAddress ?? '', socket.localPort ?? 0);
      if (c.form === 'none') {
        socket.end();
        return;
      }
      const [request, rest] = requestBytes(c);
      if (c.delayMs && rest.length > 0) {
        socket.write(request);
        setTimeout(() => socket.write(rest), c.delayMs);
        return;
      }
      socket.write(Buffer.concat([request, rest]));
      if (c.form === 'request-only') socket.end();
    });
    let reported = false;
    socket.on('data', (d: Buffer) => {
      received += d.length;
      if (!reported && received >= 1_000_000) {
        // lets a test act in the middle of a transfer (cut a link)
        reported = true;
        process.stdout.write(`${JSON.stringify({ progress: index, received })}\n`);
      }
    });
    socket.on('error', (err) => done(err.message));
    socket.on('close', () => done(null));
  });
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
let next = 0;
async function worker(): Promise<void> {
  while (next < plan.connections.length) {
    const i = next++;
    const result = await run(plan, i);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}
await Promise.all(Array.from({ length: Math.max(1, plan.concurrency) }, () => worker()));
