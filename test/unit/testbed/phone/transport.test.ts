import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { log } from '../../../../common/log.js';
import { AdbKeyring, AuthType, parseAdbPublicKey } from '../../../../testbed/phone/adb-auth.js';
import { AdbConnection, type AdbStream, type AuthPolicy } from '../../../../testbed/phone/transport.js';
import {
  A_AUTH,
  A_CLSE,
  A_CNXN,
  A_OKAY,
  A_OPEN,
  A_WRTE,
  MAX_PAYLOAD,
  MessageReader,
  VERSION_MIN,
  VERSION_SKIP_CHECKSUM,
  commandName,
  encodeMessage,
  type ReceivedMessage,
} from '../../../../testbed/phone/wire.js';
import { makeTestAdbKey } from '../../../support/adb-key.js';

/** A host end talking raw adb messages to an AdbConnection over loopback TCP. */
class Host {
  private readonly reader = new MessageReader();
  private readonly queue: ReceivedMessage[] = [];
  private waiter: (() => void) | undefined;
  closed = false;
  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.queue.push(...this.reader.push(chunk));
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }
  send(command: number, arg0: number, arg1: number, payload: Buffer | string = '', checksum = true): void {
    this.socket.write(encodeMessage({ command, arg0, arg1, payload: Buffer.from(payload) }, checksum));
  }
  async next(timeoutMs = 2000): Promise<ReceivedMessage> {
    const deadline = Date.now() + timeoutMs;
    while (!this.queue.length) {
      if (this.closed) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('timeout');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.queue.shift()!;
  }
  /** Whether nothing arrives within ms. */
  async quiet(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.queue.length === 0;
  }
}

const logger = log('test');
logger.level = 'silent';
const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function connect(services: Record<string, (stream: AdbStream) => void>, auth?: AuthPolicy, onConnection?: (c: AdbConnection) => void): Promise<Host> {
  const server = net.createServer((socket) => {
    const connection = new AdbConnection(socket, {
      banner: () => 'device::ro.product.name=p;ro.product.model=m;ro.product.device=d;features=shell_v2',
      knowsService: (s) => s in services,
      openService: (s, stream) => services[s](stream),
      auth,
      logger,
    });
    onConnection?.(connection);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const host = new Host(socket);
  return host;
}

describe('adb transport, device side', () => {
  it('answers CNXN at once with the version, maxdata and banner, and ignores messages before it', async () => {
    const host = await connect({});
    host.send(A_OPEN, 1, 0, 'shell:x');
    expect(await host.quiet(100)).toBe(true);
    host.send(A_CNXN, VERSION_SKIP_CHECKSUM, 256 * 1024, 'host::features=shell_v2');
    const cnxn = await host.next();
    expect(commandName(cnxn.command)).toBe('CNXN');
    expect(cnxn.arg0).toBe(VERSION_SKIP_CHECKSUM);
    expect(cnxn.arg1).toBe(MAX_PAYLOAD);
    expect(cnxn.payload.toString()).toMatch(/^device::ro\.product\.name=p;.*features=shell_v2$/);
    host.socket.destroy();
  });

  it('refuses an unknown service with CLSE(0, id) and opens a known one with OKAY', async () => {
    const host = await connect({ 'echo:': (stream) => stream.pipe(stream) });
    host.send(A_CNXN, VERSION_SKIP_CHECKSUM, 4096, 'host::');
    await host.next();
    host.send(A_OPEN, 5, 0, 'nope:');
    const refused = await host.next();
    expect([commandName(refused.command), refused.arg0, refused.arg1]).toEqual(['CLSE', 0, 5]);
    host.send(A_OPEN, 6, 0, 'echo:');
    const okay = await host.next();
    expect([commandName(okay.command), okay.arg1]).toEqual(['OKAY', 6]);
    expect(okay.arg0).not.toBe(0);
    host.socket.destroy();
  });

  it('acknowledges each WRTE and sends the next WRTE only after the host\'s OKAY, in pieces of the host\'s maxdata', async () => {
    let deviceStream: AdbStream | undefined;
    const host = await connect({ 'sink:': (stream) => (deviceStream = stream) });
    host.send(A_CNXN, VERSION_SKIP_CHECKSUM, 4096, 'host::');
    await host.next();
    host.send(A_OPEN, 9, 0, 'sink:');
    const local = (await host.next()).arg0;
    host.send(A_WRTE, 9, local, 'from host', false);
    const ack = await host.next();
    expect([commandName(ack.command), ack.arg0, ack.arg1]).toEqual(['OKAY', local, 9]);
    const received: Buffer[] = [];
    deviceStream!.on('data', (d: Buffer) => received.push(d));
    deviceStream!.write(Buffer.alloc(10_000, 1));
    const first = await host.next();
    expect([commandName(first.command), first.payload.length]).toEqual(['WRTE', 4096]);
    expect(await host.quiet(100)).toBe(true); // flow control: nothing more until OKAY
    host.send(A_OKAY, 9, local);
    expect((await host.next()).payload.length).toBe(4096);
    host.send(A_OKAY, 9, local);
    expect((await host.next()).payload.length).toBe(10_000 - 8192);
    host.send(A_OKAY, 9, local);
    deviceStream!.end();
    const close = await host.next();
    expect([commandName(close.command), close.arg0, close.arg1]).toEqual(['CLSE', local, 9]);
    expect(Buffer.concat(received).toString()).toBe('from host');
    host.socket.destroy();
  });

  it('tells the service when the host closes the stream, and does not answer the CLSE', async () => {
    let closed = false;
    const host = await connect({ 'wait:': (stream) => stream.on('remote-close', () => (closed = true)) });
    host.send(A_CNXN, VERSION_SKIP_CHECKSUM, 4096, 'host::');
    await host.next();
    host.send(A_OPEN, 3, 0, 'wait:');
    const local = (await host.next()).arg0;
    host.send(A_CLSE, 3, local);
    expect(await host.quiet(100)).toBe(true);
    expect(closed).toBe(true);
    host.socket.destroy();
  });

  it('checks checksums with an old host and closes the connection on a mismatch', async () => {
    const host = await connect({ 'echo:': (stream) => stream.pipe(stream) });
    host.send(A_CNXN, VERSION_MIN, 4096, 'host::');
    const cnxn = await host.next();
    expect(cnxn.arg0).toBe(VERSION_MIN);
    expect(cnxn.checksum).not.toBe(0);
    host.send(A_OPEN, 2, 0, 'echo:', false);
    await expect(host.next()).rejects.toThrow(/closed/);
  });

  it('closes the connection on a bad magic', async () => {
    const host = await connect({});
    const bad = encodeMessage({ command: A_CNXN, arg0: VERSION_SKIP_CHECKSUM, arg1: 4096, payload: Buffer.alloc(0) }, true);
    bad.writeUInt32LE(1, 20);
    host.socket.write(bad);
    await expect(host.next()).rejects.toThrow(/closed/);
  });
});

describe('adb transport, device side, with RSA authentication (ro.adb.secure=1)', () => {
  const owner = makeTestAdbKey('owner@lab');
  const stranger = makeTestAdbKey('stranger@elsewhere');
  const ring = new AdbKeyring([parseAdbPublicKey(owner.publicLine)], '/nonexistent/mplab/adb_keys');
  const policy = (offered: AuthPolicy['offered'] = () => undefined): AuthPolicy => ({ verify: (token, signature) => ring.verify(token, signature), offered });

  it('answers CNXN with AUTH TOKEN, ignores OPEN until authorized, gives a new token for a wrong key and CNXN for the right one', async () => {
    const opened: string[] = [];
    const host = await connect({ 'shell:id': (stream) => (opened.push('shell:id'), stream.end('uid=0')) }, policy());
    host.send(A_CNXN, VERSION_SKIP_CHECKSUM, 256 * 1024, 'host::features=shell_v2');
    const first = await host.next();
    expect([commandName(first.command), first.arg0, first.payload.length]).toEqual(['AUTH', AuthType.token, 20]);
    host.send(A_OPEN, 1, 0, 'shell:id');
    expect(await host.quiet(100)).toBe(true);
    host.send(A_AUTH, AuthType.signature, 0, stranger.sign(first.payload));
    const second = await host.next();
    expect([commandName(second.command), second.arg0]).toEqual(['AUTH', AuthType.token]);
    expect(second.payload.equals(first.payload)).toBe(false);
    // a signature of the old token is not accepted either
    host.send(A_AUTH, AuthType.signature, 0, owner.sign(first.payload));
    const third = await host.next();
    expect(commandName(third.command)).toBe('AUTH');
    host.send(A_AUTH, AuthType.signature, 0, owner.sign(third.payload));
    const cnxn = await host.next();
    expect([commandName(cnxn.command), cnxn.arg0]).toEqual(['CNXN', VERSION_SKIP_CHECKSUM]);
    expect(cnxn.payload.toString()).toMatch(/^device::/);
    expect(opened).toEqual([]);
    host.send(A_OPEN, 2, 0, 'shell:id');
    expect(commandName((await host.next()).command)).toBe('OKAY');
    expect((await host.next()).payload.toString()).toBe('uid=0');
    host.socket.destroy();
  });

  it('leaves a host that offers an unknown key (RSAPUBLICKEY) unauthorized until the key is accepted', async () => {
    let connection: AdbConnection | undefined;
    let offered: string | undefined;
    const host = await connect({ 'shell:id': (stream) => stream.end('uid=0') }, policy((c, key) => (offered = key?.comment)), (c) => (connection = c));
    host.send(A_CNXN, VERSION_SKIP_CHECKSUM, 4096, 'host::');
    const token = await host.next();
    host.send(A_AUTH, AuthType.signature, 0, stranger.sign(token.payload));
    await host.next();
    host.send(A_AUTH, AuthType.rsaPublicKey, 0, `${stranger.publicLine}\0`);
    host.send(A_OPEN, 1, 0, 'shell:id');
    expect(await host.quiet(200)).toBe(true);
    expect(offered).toBe('stranger@elsewhere');
    expect(connection!.offeredKey?.comment).toBe('stranger@elsewhere');
    connection!.authorize();
    expect(commandName((await host.next()).command)).toBe('CNXN');
    host.send(A_OPEN, 2, 0, 'shell:id');
    expect(commandName((await host.next()).command)).toBe('OKAY');
    host.socket.destroy();
  });
});
