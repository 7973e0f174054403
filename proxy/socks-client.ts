import net from 'node:net';
import { formatEndpoint } from './address.js';
import { type Credentials, Method, type Parsed, encodeConnect, encodeCredentials, encodeGreeting, parseReply } from './socks5.js';

/**
 * A small SOCKS5 client (CONNECT, optional username/password): the tests' and the benchmark's way
 * through a proxy, and a way for lab programs to reach the origin as a phone's app would.
 */
export interface SocksConnectOptions {
  proxy: { host: string; port: number };
  target: { host: string; port: number };
  auth?: Credentials;
  /** bind the client's side to this address (a lab phone's interface) */
  localAddress?: string;
  timeoutMs?: number;
}

export class SocksError extends Error {
  constructor(
    message: string,
    /** the reply code when the proxy sent one (RFC 1928 section 6), 0xff for "no acceptable method" */
    readonly reply: number | undefined,
  ) {
    super(message);
    this.name = 'SocksError';
  }
}

export interface SocksConnection {
  /** connected through the proxy and paused: attach handlers, then resume() (pipe() resumes by itself) */
  socket: net.Socket;
  /** BND.ADDR and BND.PORT of the reply: the proxy's side of its connection to the target */
  bound: { host: string; port: number };
}

export async function socksConnect(opts: SocksConnectOptions): Promise<SocksConnection> {
  const socket = net.connect({ host: opts.proxy.host, port: opts.proxy.port, localAddress: opts.localAddress, noDelay: true });
  const reader = new MessageReader(socket, opts.timeoutMs ?? 10_000);
  try {
    await reader.connected();
    socket.write(encodeGreeting([opts.auth ? Method.userPass : Method.noAuth]));
    const choice = await reader.read((b) => (b.length < 2 ? { kind: 'incomplete' } : { kind: 'done', value: b[1], length: 2 }));
    if (choice === Method.noAcceptable) throw new SocksError('the proxy accepts none of the offered authentication methods', 0xff);
    if (opts.auth) {
      socket.write(encodeCredentials(opts.auth));
      const status = await reader.read((b) => (b.length < 2 ? { kind: 'incomplete' } : { kind: 'done', value: b[1], length: 2 }));
      if (status !== 0) throw new SocksError('the proxy rejected the username/password', status);
    }
    socket.write(encodeConnect(opts.target.host, opts.target.port));
    const reply = await reader.read(parseReply);
    if (reply.code !== 0) throw new SocksError(`the proxy answered CONNECT ${formatEndpoint(opts.target.host, opts.target.port)} with reply ${reply.code}`, reply.code);
    reader.release();
    return { socket, bound: reply.bound };
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

/** Reads whole messages from a socket until released; then hands back anything read beyond them. */
class MessageReader {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private failure: Error | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly onData = (chunk: Buffer): void => {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    this.waiting?.();
  };
  private readonly onEnd = (): void => this.fail(new SocksError('the proxy closed the connection', undefined));
  private readonly onError = (err: Error): void => this.fail(err);

  constructor(
    private readonly socket: net.Socket,
    timeoutMs: number,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    this.timer = setTimeout(() => this.fail(new SocksError(`no answer from the proxy within ${timeoutMs} ms`, undefined)), timeoutMs);
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.failure) reject(this.failure);
      };
      this.socket.once('connect', () => resolve());
      this.waiting = check;
      check();
    });
  }

  async read<T>(parse: (b: Buffer) => Parsed<T>): Promise<T> {
    for (;;) {
      if (this.failure) throw this.failure;
      const parsed = parse(this.buffer);
      if (parsed.kind === 'done') {
        this.buffer = this.buffer.subarray(parsed.length);
        return parsed.value;
      }
      if (parsed.kind === 'invalid') throw new SocksError(parsed.reason, undefined);
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  release(): void {
    clearTimeout(this.timer);
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
    this.socket.pause();
    if (this.buffer.length) this.socket.unshift(this.buffer);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    clearTimeout(this.timer);
    this.waiting?.();
  }
}
