import net from 'node:net';
import { connectMaybeMptcp, originalDestination } from '../../../common/mptcp.js';
import { Method, encodeConnect, encodeGreeting, parseReply } from '../../../proxy/socks5.js';

/**
 * The phone's system-wide proxy client, as ShadowSocks or redsocks is on a real phone: the
 * phone's firewall redirects the apps' TCP connections here (nftables `redirect`), and each one is
 * carried to the lab's SOCKS5 proxy, to the destination the app asked for (SO_ORIGINAL_DST).
 *
 * Towards the proxy it is an MPTCP-aware client: an IPPROTO_MPTCP socket while the kernel allows
 * them, a plain TCP socket when it refuses (net.mptcp.enabled=0, the phone's `tcp` mode), asked
 * anew for every connection, so a mode change applies to the next one. The SOCKS greeting and
 * the CONNECT request leave in one segment (no authentication is offered, so the proxy's choice
 * is known in advance): one round trip to the proxy instead of two. The app's bytes are held
 * until the proxy has connected; then both directions are piped, with half-closes passed on and
 * a reset on one side passed on as a reset.
 */
export interface RedirectorOptions {
  listen: { host: string; port: number };
  proxy: { host: string; port: number };
  /** Connections to the proxy time out after this long without a SOCKS reply (default 10 s). */
  handshakeTimeoutMs?: number;
  /** One event per connection when it ends (and for connections that failed). */
  onConnection?: (record: RedirectRecord) => void;
}

export interface RedirectRecord {
  client: string;
  target: string | null;
  /** The socket to the proxy was MPTCP (it may still have fallen back on the wire). */
  mptcp: boolean;
  bytes: { up: number; down: number };
  /** What went wrong, if anything: "not redirected", "SOCKS reply 5", an errno... */
  error?: string;
}

export interface Redirector {
  port: number;
  close(): Promise<void>;
}

export function startRedirector(options: RedirectorOptions): Promise<Redirector> {
  const open = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    carry(client, options, (upstream) => {
      open.add(upstream);
      upstream.on('close', () => open.delete(upstream));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.listen.host, port: options.listen.port }, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of open) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function reset(socket: net.Socket): void {
  if (!socket.destroyed) socket.resetAndDestroy();
}

function carry(client: net.Socket, options: RedirectorOptions, track: (upstream: net.Socket) => void): void {
  const record: RedirectRecord = { client: `${client.remoteAddress}:${client.remotePort}`, target: null, mptcp: false, bytes: { up: 0, down: 0 } };
  let reported = false;
  const report = (error?: string): void => {
    if (error) record.error ??= error;
    if (reported) return;
    reported = true;
    options.onConnection?.(record);
  };
  client.on('error', () => undefined);
  const target = originalDestination(client);
  if (!target) {
    // someone connected to the redirector's port directly: there is nowhere to carry it
    report('not redirected');
    reset(client);
    return;
  }
  record.target = `${target.address}:${target.port}`;
  const { socket: upstream, mptcp } = connectMaybeMptcp(options.proxy.port, options.proxy.host, { noDelay: true, allowHalfOpen: true });
  record.mptcp = mptcp;
  track(upstream);
  client.on('error', (error: NodeJS.ErrnoException) => {
    record.error ??= error.code ?? error.message;
    reset(upstream);
  });
  upstream.setTimeout(options.handshakeTimeoutMs ?? 10_000, () => upstream.destroy(new Error('no SOCKS reply in time')));
  let relaying = false;
  let reply = Buffer.alloc(0);
  let handshakeBytes = 0;

  const failed = (error: string): void => {
    report(error);
    reset(client);
    upstream.destroy();
  };
  upstream.once('connect', () => {
    upstream.write(Buffer.concat([encodeGreeting([Method.noAuth]), encodeConnect(target.address, target.port)]));
  });
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    if (!relaying) failed(error.code ?? error.message);
    else {
      record.error ??= error.code ?? error.message;
      reset(client);
    }
  });
  const onHandshake = (chunk: Buffer): void => {
    reply = Buffer.concat([reply, chunk]);
    if (reply.length < 2) return;
    if (reply[0] !== 5 || reply[1] !== Method.noAuth) return failed(`SOCKS method ${reply[1]}`);
    const parsed = parseReply(reply.subarray(2));
    if (parsed.kind === 'incomplete') return;
    if (parsed.kind === 'invalid') return failed(parsed.reason);
    if (parsed.value.code !== 0) return failed(`SOCKS reply ${parsed.value.code}`);
    upstream.off('data', onHandshake);
    upstream.setTimeout(0);
    relaying = true;
    handshakeBytes = 2 + parsed.length;
    const rest = reply.subarray(handshakeBytes);
    if (rest.length) client.write(rest);
    upstream.pipe(client);
    client.pipe(upstream);
    client.resume();
  };
  upstream.on('data', onHandshake);
  upstream.on('end', () => {
    if (!relaying) failed('the proxy closed the connection');
  });
  let closed = 0;
  const closedOne = (): void => {
    if (++closed < 2) return;
    record.bytes = { up: client.bytesRead, down: Math.max(0, upstream.bytesRead - handshakeBytes) };
    report();
  };
  client.on('close', closedOne);
  upstream.on('close', closedOne);
}
