import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { timingSafeEqual } from 'node:crypto';
import { log, type Logger } from '../common/log.js';
import { IPPROTO_MPTCP, listenMptcp, mptcpInfo, socketProtocol } from '../common/mptcp.js';
import { type Endpoint, formatEndpoint, isLoopbackOrUnspecified, normalizeIp, sameIp } from './address.js';
import type { AllowList } from './allow.js';
import type { CloseReason, ConnectionLog, ConnectionRecord } from './connection-log.js';
import { ResolveError, type Resolver } from './resolve.js';
import {
  type ConnectRequest,
  type Credentials,
  type Parsed,
  type ReplyCode,
  Method,
  Reply,
  encodeAuthStatus,
  encodeMethodChoice,
  encodeReply,
  parseCredentials,
  parseGreeting,
  parseRequest,
} from './socks5.js';

/**
 * The SOCKS5 proxy: clients reach it over MPTCP (or plain TCP, which the MPTCP listener accepts as
 * a fallback), it reaches targets over plain TCP and relays with stream pipes (backpressure, no
 * per-chunk work of its own). Every accepted connection, served or not, ends as one record in the
 * connection log.
 */
export interface ProxyConfig {
  listen: Endpoint;
  allow: AllowList;
  auth?: Credentials;
  log?: ConnectionLog;
  resolve: Resolver;
  /** open client connections, in any phase; more are closed at once with close "limit" */
  maxConnections: number;
  /** no byte in either direction for this long closes the connection (0: never) */
  idleTimeoutMs: number;
  /** greeting, authentication and request must all have arrived this long after accept (a deadline, not an inactivity timer) */
  handshakeTimeoutMs: number;
  connectTimeoutMs: number;
  /** listen on an IPPROTO_MPTCP socket (default) or a plain TCP one */
  mptcp: boolean;
}

export const DEFAULTS = {
  maxConnections: 2048,
  idleTimeoutMs: 3600_000,
  handshakeTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
} as const;

/** How often live connections' MPTCP subflow counts are sampled (the log keeps the most seen). */
const MPTCP_SAMPLE_MS = 1000;
/** After an error reply, how long the proxy keeps reading (and discarding) so the reply is not lost to a reset. */
const LINGER_MS = 2000;

export class SocksProxy {
  private readonly server: net.Server;
  private readonly sessions = new Set<Session>();
  private readonly logger: Logger;
  private nextId = 1;
  private sampler: NodeJS.Timeout | undefined;
  private address: Endpoint | undefined;
  private stopping: Promise<void> | undefined;

  constructor(readonly config: ProxyConfig) {
    this.logger = log('proxy', { listen: formatEndpoint(config.listen.host, config.listen.port) });
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => this.logger.warn({ err }, 'accept failed'));
  }

  /** Starts listening; returns the bound address (the actual port when 0 was asked for). */
  async start(): Promise<Endpoint> {
    const { host, port } = this.config.listen;
    if (this.config.mptcp) {
      await listenMptcp(this.server, host, port);
    } else {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen({ host, port, ipv6Only: false }, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
    }
    const bound = this.server.address() as net.AddressInfo;
    this.address = { host: normalizeIp(bound.address), port: bound.port };
    this.sampler = setInterval(() => this.sessions.forEach((s) => s.sampleMptcp()), MPTCP_SAMPLE_MS);
    this.sampler.unref();
    this.logger.info({ mptcp: this.config.mptcp && socketProtocol(this.server) === IPPROTO_MPTCP, allow: this.config.allow.cidrs }, 'listening');
    return this.address;
  }

  /** Stops accepting, closes every open connection (logged with close "shutdown") and the log. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.sampler);
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      const remaining = [...this.sessions];
      await Promise.all(remaining.map((s) => s.shutdown()));
      await closed;
      this.config.log?.close();
      this.logger.info({ closed: remaining.length }, 'stopped');
    })();
    return this.stopping;
  }

  private accept(socket: net.Socket): void {
    const id = this.nextId++;
    if (socket.remoteAddress === undefined || socket.remotePort === undefined) {
      // the client was gone before Node saw the connection: nothing to serve or to name
      socket.destroy();
      return;
    }
    const session = new Session(this, id, socket);
    if (this.stopping) return session.refuse('shutdown', 'connection', 'proxy shutting down');
    if (!this.config.allow.allows(socket.remoteAddress)) return session.refuse('not-allowed', 'refused', 'client outside --allow');
    if (this.sessions.size >= this.config.maxConnections) {
      return session.refuse('limit', 'connection', `${this.sessions.size} connections open, the most allowed (--max-connections)`);
    }
    this.sessions.add(session);
    session.begin();
  }

  /** @internal */
  ended(session: Session, record: ConnectionRecord, detail: string | undefined): void {
    this.sessions.delete(session);
    try {
      this.config.log?.write(record);
    } catch (err) {
      // a full disk must not take the proxy down; the line is in the process log instead
      this.logger.error({ err, record }, 'cannot write the connection log');
    }
    if (detail) this.logger.info({ id: record.id, client: record.client, close: record.close, target: record.target }, detail);
    else this.logger.debug({ id: record.id, close: record.close, bytes: record.bytes }, 'connection ended');
  }

  /** @internal A target the proxy must not connect to: loopback, unspecified, or its own listening socket. */
  forbiddenTarget(ip: string, port: number): boolean {
    if (isLoopbackOrUnspecified(ip)) return true;
    if (port !== this.address?.port) return false;
    const own = Object.values(networkInterfaces())
      .flat()
      .map((nic) => nic?.address)
      .filter((a): a is string => Boolean(a));
    return own.some((a) => sameIp(a, ip));
  }
}

type Phase = 'greeting' | 'auth' | 'request' | 'connecting' | 'relay' | 'closing';

class Session {
  private readonly start = Date.now() / 1000;
  private readonly client: string;
  private readonly listen: string;
  private readonly isMptcp: boolean;
  private phase: Phase = 'greeting';
  private buffer: Buffer = Buffer.alloc(0);
  private target: net.Socket | undefined;
  private request: ConnectRequest | undefined;
  private remote: string | null = null;
  private reason: CloseReason | undefined;
  private detail: string | undefined;
  /** bytes of greeting, authentication and request: what the client sent that was not relayed */
  private handshakeBytes = 0;
  private mostSubflows = 0;
  private fallback = false;
  private finished = false;
  private finBeforeRelay = false;
  /** the handshake's deadline, counted from accept; cleared once the request is complete */
  private handshakeTimer: NodeJS.Timeout | undefined;
  private readonly onData = (chunk: Buffer): void => this.handshakeData(chunk);

  constructor(
    private readonly proxy: SocksProxy,
    private readonly id: number,
    private readonly socket: net.Socket,
  ) {
    this.client = formatEndpoint(socket.remoteAddress!, socket.remotePort!);
    this.listen = formatEndpoint(socket.localAddress ?? '0.0.0.0', socket.localPort ?? 0);
    this.isMptcp = socketProtocol(socket) === IPPROTO_MPTCP;
    this.sampleMptcp();
  }

  sampleMptcp(): void {
    if (!this.isMptcp) return;
    const info = mptcpInfo(this.socket);
    if (!info) return;
    this.mostSubflows = Math.max(this.mostSubflows, info.subflows);
    this.fallback = info.fallback;
  }

  /** Closes a connection that will not be served (outside --allow, over the limit, shutting down). */
  refuse(reason: CloseReason, event: ConnectionRecord['event'], detail: string): void {
    this.reason = reason;
    this.detail = detail;
    this.socket.on('error', () => {});
    this.socket.destroy();
    this.finish(event);
  }

  begin(): void {
    const { socket } = this;
    const { handshakeTimeoutMs } = this.proxy.config;
    // a deadline, not an inactivity timer: a client trickling one byte at a time must not hold a slot
    this.handshakeTimer = setTimeout(() => this.abort('idle-timeout', `no complete request within ${handshakeTimeoutMs} ms of accept`), handshakeTimeoutMs);
    // the idle timer is armed when the relay starts
    socket.on('timeout', () => this.abort('idle-timeout', undefined));
    socket.on('data', this.onData);
    socket.on('end', () => this.clientEnded());
    socket.on('error', (err: NodeJS.ErrnoException) => this.abort('client-reset', this.phase === 'relay' ? undefined : `client error ${err.code ?? err.message}`));
    socket.on('close', () => this.maybeFinish());
  }

  shutdown(): Promise<void> {
    return new Promise((resolve) => {
      if (this.finished) return resolve();
      this.socket.once('close', () => setImmediate(resolve));
      this.abort('shutdown', undefined);
    });
  }

  private handshakeData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (this.phase === 'greeting' || this.phase === 'auth' || this.phase === 'request') {
      if (!this.step()) break;
    }
    // every message has a bounded size (greeting 257, credentials 513, request 262 bytes), so an
    // incomplete one never holds more than that: there is no unbounded buffering to guard against
  }

  /** Parses one message of the current phase; true when it moved on to the next phase, false when more bytes are needed or the session ended. */
  private step(): boolean {
    const { config } = this.proxy;
    if (this.phase === 'greeting') {
      const parsed = this.take(parseGreeting(this.buffer));
      if (!parsed) return false;
      const wanted = config.auth ? Method.userPass : Method.noAuth;
      if (!parsed.methods.includes(wanted)) {
        this.reject(config.auth ? 'auth-failed' : 'socks-error', `greeting: methods [${parsed.methods.join(',')}] lack ${wanted}`, encodeMethodChoice(Method.noAcceptable));
        return false;
      }
      this.socket.write(encodeMethodChoice(wanted));
      this.phase = config.auth ? 'auth' : 'request';
      return true;
    }
    if (this.phase === 'auth') {
      const parsed = this.take(parseCredentials(this.buffer));
      if (!parsed) return false;
      if (!credentialsMatch(parsed, config.auth!)) {
        this.reject('auth-failed', `username/password rejected for user ${JSON.stringify(parsed.user)}`, encodeAuthStatus(false));
        return false;
      }
      this.socket.write(encodeAuthStatus(true));
      this.phase = 'request';
      return true;
    }
    const parsed = this.take(parseRequest(this.buffer));
    if (!parsed) return false;
    this.request = parsed;
    this.phase = 'connecting';
    // the connect timeout bounds this phase; the idle timeout starts with the relay
    this.clearHandshakeTimer();
    // anything the client sent ahead of the reply goes to the target once connected
    this.socket.off('data', this.onData);
    this.socket.pause();
    if (this.buffer.length) this.socket.unshift(this.buffer);
    this.buffer = Buffer.alloc(0);
    void this.connect(parsed);
    return true;
  }

  /** The parsed message (consumed from the buffer), or undefined when incomplete or invalid (then rejected). */
  private take<T>(parsed: Parsed<T>): T | undefined {
    if (parsed.kind === 'incomplete') return undefined;
    if (parsed.kind === 'invalid') {
      this.reject('socks-error', parsed.reason, parsed.reply === undefined ? undefined : encodeReply(parsed.reply));
      return undefined;
    }
    this.buffer = this.buffer.subarray(parsed.length);
    this.handshakeBytes += parsed.length;
    return parsed.value;
  }

  private async connect(request: ConnectRequest): Promise<void> {
    const { config } = this.proxy;
    const deadline = Date.now() + config.connectTimeoutMs;
    let addresses: string[];
    try {
      addresses = await withDeadline(config.resolve(request.host), config.connectTimeoutMs, () => new ResolveError(request.host, 'ETIMEDOUT'));
    } catch (err) {
      const code = err instanceof ResolveError ? err.code : String(err);
      return this.reject('target-unreachable', `cannot resolve ${request.host}: ${code}`, encodeReply(Reply.hostUnreachable));
    }
    if (this.phase !== 'connecting') return;
    const forbidden = addresses.find((a) => this.proxy.forbiddenTarget(a, request.port));
    if (forbidden) {
      return this.reject('not-allowed', `target ${formatEndpoint(forbidden, request.port)} is the proxy's own host`, encodeReply(Reply.notAllowed));
    }
    let lastError: NodeJS.ErrnoException | undefined;
    for (const address of addresses) {
      const left = deadline - Date.now();
      if (left <= 0 || this.phase !== 'connecting') break;
      try {
        this.target = await connectTcp(address, request.port, left);
        break;
      } catch (err) {
        lastError = err as NodeJS.ErrnoException;
      }
    }
    if (this.phase !== 'connecting') {
      this.target?.destroy();
      this.target = undefined;
      return;
    }
    if (!this.target) {
      const [reason, reply] = connectFailure(lastError?.code);
      return this.reject(reason, `connect to ${formatEndpoint(request.host, request.port)} failed: ${lastError?.code ?? 'timeout'}`, encodeReply(reply));
    }
    this.relay(this.target);
  }

  private relay(target: net.Socket): void {
    const { socket } = this;
    this.phase = 'relay';
    this.remote = formatEndpoint(target.remoteAddress ?? '0.0.0.0', target.remotePort ?? 0);
    socket.write(encodeReply(Reply.succeeded, { host: normalizeIp(target.localAddress ?? '0.0.0.0'), port: target.localPort ?? 0 }));
    this.sampleMptcp();
    socket.setTimeout(this.proxy.config.idleTimeoutMs);
    if (this.finBeforeRelay) this.reason ??= 'client-end';
    target.on('end', () => {
      this.reason ??= 'target-end';
      this.sampleMptcp();
    });
    target.on('error', () => this.abort('target-reset', undefined));
    target.on('close', () => this.maybeFinish());
    socket.pipe(target);
    target.pipe(socket);
  }

  private clientEnded(): void {
    if (this.phase === 'relay') {
      this.reason ??= 'client-end';
      this.sampleMptcp();
    } else if (this.phase === 'connecting') {
      // a complete request followed by FIN (e.g. `printf ... | socat`): serve it; the pipe passes
      // the FIN on once connected
      this.finBeforeRelay = true;
    } else if (this.phase === 'closing') {
      this.socket.destroy();
    } else {
      // a FIN before the request was complete
      this.reject('socks-error', `client closed during ${this.phase} (truncated)`, this.phase === 'request' ? encodeReply(Reply.generalFailure) : undefined);
    }
  }

  /** Ends the session at once: both sockets destroyed (resets propagate as resets). */
  private abort(reason: CloseReason, detail: string | undefined): void {
    if (this.finished) return;
    if (reason === 'shutdown' || !this.reason) this.reason = reason;
    this.detail ??= detail;
    this.sampleMptcp();
    this.phase = 'closing';
    const reset = reason === 'client-reset' || reason === 'target-reset';
    for (const s of [this.socket, this.target]) {
      if (!s || s.destroyed) continue;
      if (reset && typeof s.resetAndDestroy === 'function' && !s.connecting) s.resetAndDestroy();
      else s.destroy();
    }
    this.maybeFinish();
  }

  /** Sends a SOCKS error reply (if any), closes the client's side and discards what it still sends for a moment. */
  private reject(reason: CloseReason, detail: string, reply: Buffer | undefined): void {
    if (this.phase === 'closing' || this.finished) return;
    this.reason ??= reason;
    this.detail = detail;
    this.phase = 'closing';
    const { socket } = this;
    socket.off('data', this.onData);
    socket.on('data', () => {});
    socket.resume();
    this.clearHandshakeTimer();
    if (reply) socket.end(reply);
    else socket.end();
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => clearTimeout(linger));
  }

  private clearHandshakeTimer(): void {
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  private maybeFinish(): void {
    if (this.finished) return;
    if (!this.socket.destroyed || (this.target && !this.target.destroyed)) return;
    this.finish('connection');
  }

  private finish(event: ConnectionRecord['event']): void {
    this.finished = true;
    this.clearHandshakeTimer();
    const relayed = this.target !== undefined && this.remote !== null;
    const record: ConnectionRecord = {
      event,
      id: this.id,
      client: this.client,
      listen: this.listen,
      target: this.request ? { host: this.request.host, port: this.request.port } : null,
      remote: this.remote,
      start: this.start,
      end: Date.now() / 1000,
      // what the proxy received from each side for the other (the client's SOCKS messages excluded)
      bytes: {
        up: relayed ? this.socket.bytesRead - this.handshakeBytes : 0,
        down: relayed ? this.target!.bytesRead : 0,
      },
      close: this.reason ?? 'client-end',
      mptcp: this.isMptcp ? { subflows: this.mostSubflows + 1, fallback: this.fallback } : null,
    };
    this.proxy.ended(this, record, this.detail);
  }
}

function credentialsMatch(given: Credentials, expected: Credentials): boolean {
  const a = Buffer.from(`${given.user}\0${given.pass}`);
  const b = Buffer.from(`${expected.user}\0${expected.pass}`);
  // compare in constant time; lengths differing is the only thing that leaks
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The close reason and RFC 1928 reply for a failed connect(2), the same for IPv4 and IPv6 targets.
 * Measured on Linux: no route gives ENETUNREACH; a target of a family the proxy has no address in
 * (IPv6 disabled, as in the lab's namespaces) EADDRNOTAVAIL; a blackhole route EINVAL; an
 * `unreachable` route or a neighbour that never answers EHOSTUNREACH; a `prohibit` route EACCES.
 */
export function connectFailure(code: string | undefined): [CloseReason, ReplyCode] {
  switch (code) {
    case 'ECONNREFUSED':
      return ['target-refused', Reply.connectionRefused];
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
    case 'EAFNOSUPPORT':
    case 'EINVAL':
      return ['target-unreachable', Reply.networkUnreachable];
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
    case 'ETIMEDOUT':
    case undefined:
      return ['target-unreachable', Reply.hostUnreachable];
    case 'EACCES':
    case 'EPERM':
      return ['target-unreachable', Reply.notAllowed];
    default:
      return ['target-unreachable', Reply.generalFailure];
  }
}

/** The promise's value, or the error `late()` makes if it takes longer than `ms`. */
function withDeadline<T>(promise: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(late()), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A plain TCP connection to ip:port, or an error (code ETIMEDOUT after `timeoutMs`). */
function connectTcp(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`connect to ${formatEndpoint(host, port)} timed out`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
