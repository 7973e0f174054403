import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { Logger } from '../../common/log.js';
import { AuthType, TOKEN_SIZE, parseAdbPublicKey, type AdbPublicKey } from './adb-auth.js';
import {
  A_AUTH,
  A_CLSE,
  A_CNXN,
  A_OKAY,
  A_OPEN,
  A_STLS,
  A_SYNC,
  A_WRTE,
  MAX_PAYLOAD,
  MAX_PAYLOAD_V1,
  MessageReader,
  ProtocolError,
  VERSION_MIN,
  VERSION_SKIP_CHECKSUM,
  checksumAcceptable,
  commandName,
  encodeMessage,
  type Message,
  type ReceivedMessage,
} from './wire.js';

/**
 * One stream of an adb connection, seen from the device: a Duplex whose writable side becomes
 * WRTE messages (each waits for the host's OKAY before the next is sent, which is adb's flow
 * control and gives Node's backpressure for free) and whose readable side delivers the host's
 * WRTE payloads (acknowledged with OKAY once the consumer has taken them). Ending the writable
 * side, or destroying the stream, sends CLSE.
 */
export class AdbStream extends Duplex {
  private pendingWrite: { chunks: Buffer[]; callback: (error?: Error | null) => void } | undefined;
  private awaitingOkay = false;
  private okayOwed = false;
  private closeSent = false;
  /** True once the host closed its side (CLSE received) or the connection went away. */
  remoteClosed = false;

  constructor(
    private readonly connection: AdbConnection,
    readonly localId: number,
    readonly remoteId: number,
    readonly service: string,
  ) {
    super({ allowHalfOpen: true, highWaterMark: 256 * 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    if (this.remoteClosed) {
      callback();
      return;
    }
    const max = this.connection.maxPayload;
    const all = Buffer.concat(chunks.map((c) => c.chunk));
    const pieces: Buffer[] = [];
    for (let at = 0; at < all.length; at += max) pieces.push(all.subarray(at, at + max));
    this.pendingWrite = { chunks: pieces, callback };
    this.sendNextPiece();
  }

  private sendNextPiece(): void {
    const pending = this.pendingWrite;
    if (!pending || this.awaitingOkay) return;
    if (this.remoteClosed) {
      this.pendingWrite = undefined;
      pending.callback();
      return;
    }
    const piece = pending.chunks.shift();
    if (!piece) {
      this.pendingWrite = undefined;
      pending.callback();
      return;
    }
    this.awaitingOkay = true;
    this.connection.send({ command: A_WRTE, arg0: this.localId, arg1: this.remoteId, payload: piece });
  }

  /** The host acknowledged our last WRTE. */
  handleOkay(): void {
    this.awaitingOkay = false;
    this.sendNextPiece();
  }

  /** A WRTE from the host. */
  handleWrite(payload: Buffer): void {
    if (this.remoteClosed) return;
    if (this.push(payload)) this.connection.send({ command: A_OKAY, arg0: this.localId, arg1: this.remoteId, payload: Buffer.alloc(0) });
    else this.okayOwed = true;
  }

  override _read(): void {
    if (this.okayOwed && !this.remoteClosed) {
      this.okayOwed = false;
      this.connection.send({ command: A_OKAY, arg0: this.localId, arg1: this.remoteId, payload: Buffer.alloc(0) });
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.sendClose();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.sendClose();
    this.connection.forget(this);
    const pending = this.pendingWrite;
    this.pendingWrite = undefined;
    pending?.callback();
    callback(error);
  }

  /** The host closed the stream (CLSE) or the connection is gone. */
  handleRemoteClose(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.closeSent = true; // the recipient of a CLSE does not answer it
    this.push(null);
    this.emit('remote-close');
    this.handleOkay();
    this.destroy();
  }

  private sendClose(): void {
    if (this.closeSent) return;
    this.closeSent = true;
    this.connection.send({ command: A_CLSE, arg0: this.localId, arg1: this.remoteId, payload: Buffer.alloc(0) });
  }
}

/** How a connection authenticates its host (adb-auth.ts); without one every host is let in. */
export interface AuthPolicy {
  /** The authorized key that signed `token`, if one did. */
  verify(token: Buffer, signature: Buffer): AdbPublicKey | undefined;
  /** The host ran out of keys and offered this one (AUTH RSAPUBLICKEY): it stays unauthorized until `connection.authorize()`. */
  offered(connection: AdbConnection, key: AdbPublicKey | undefined): void;
}

/** After this many wrong signatures in a row a new token waits a second, as adbd does. */
const FREE_AUTH_ATTEMPTS = 256;

export interface ConnectionOptions {
  /** Banner sent in our CNXN: `device::ro.product.name=...;features=...`. */
  banner: () => string;
  /** Called for each OPEN; the handler owns the stream from then on. Throwing refuses the OPEN. */
  openService: (service: string, stream: AdbStream) => void;
  /** Whether a service name is known (unknown services are refused with CLSE, as adbd does). */
  knowsService: (service: string) => boolean;
  /** RSA authentication of the host, as a phone with ro.adb.secure=1; absent: the host's CNXN is answered at once. */
  auth?: AuthPolicy;
  logger: Logger;
}

/**
 * The device side of one adb transport over TCP. Authenticates the host when it has an AuthPolicy
 * (AUTH TOKEN after the host's CNXN, its SIGNATURE checked, RSAPUBLICKEY leaving it unauthorized
 * until accepted), negotiates the protocol version and maxdata, and multiplexes streams. Nothing
 * but CNXN and AUTH is heeded before the host is let in.
 */
export class AdbConnection {
  private readonly reader = new MessageReader();
  private readonly streams = new Map<number, AdbStream>();
  private nextLocalId = 1;
  private connected = false;
  private closed = false;
  /** The version agreed in the host's last CNXN (checksums are checked below VERSION_SKIP_CHECKSUM). */
  private agreedVersion: number | undefined;
  /** The token the host must sign; undefined when no authentication is under way. */
  private token: Buffer | undefined;
  private failedAuth = 0;
  /** The key the host offered with AUTH RSAPUBLICKEY, while it waits to be accepted. */
  offeredKey: AdbPublicKey | undefined;
  /** Negotiated protocol version (the smaller of ours and the host's). */
  version = VERSION_MIN;
  /** The largest payload we may send (the smaller of ours and the host's). */
  maxPayload = MAX_PAYLOAD_V1;
  hostBanner = '';

  constructor(
    readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.teardown());
    socket.on('error', (error) => options.logger.debug({ err: error.message }, 'connection error'));
  }

  send(message: Message): void {
    if (this.closed) return;
    this.socket.write(encodeMessage(message, this.version < VERSION_SKIP_CHECKSUM));
  }

  /** Closes the TCP connection at once (a daemon restart or reboot as the host sees it). */
  drop(): void {
    this.socket.destroy();
    this.teardown();
  }

  forget(stream: AdbStream): void {
    if (this.streams.get(stream.localId) === stream) this.streams.delete(stream.localId);
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stream of [...this.streams.values()]) stream.handleRemoteClose();
    this.streams.clear();
  }

  private receive(chunk: Buffer): void {
    let messages: ReceivedMessage[];
    try {
      messages = this.reader.push(chunk);
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'protocol error: closing the connection');
      this.drop();
      return;
    }
    for (const message of messages) {
      if (this.closed) return;
      if (!checksumAcceptable(message, this.agreedVersion ?? VERSION_MIN)) {
        this.options.logger.warn({ command: commandName(message.command) }, 'payload checksum mismatch: closing the connection');
        this.drop();
        return;
      }
      try {
        this.handle(message);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        this.options.logger.warn({ err: error.message }, 'protocol error: closing the connection');
        this.drop();
        return;
      }
    }
  }

  private handle(message: ReceivedMessage): void {
    const { command } = message;
    if (command === A_CNXN) {
      this.handleConnect(message);
      return;
    }
    if (command === A_AUTH && this.token) {
      this.handleAuth(message);
      return;
    }
    // Messages before CNXN, or before the host is authorized, are ignored (protocol.txt, adbd).
    if (!this.connected) return;
    switch (command) {
      case A_OPEN:
        this.handleOpen(message);
        return;
      case A_OKAY:
        this.streams.get(message.arg1)?.handleOkay();
        return;
      case A_WRTE:
        this.handleWrite(message);
        return;
      case A_CLSE:
        this.streams.get(message.arg1)?.handleRemoteClose();
        return;
      case A_AUTH:
      case A_STLS:
      case A_SYNC:
        // Authentication is over once connected; we never ask for TLS; SYNC is obsolete and never valid on the wire.
        throw new ProtocolError(`unexpected ${commandName(command)}`);
      default:
        throw new ProtocolError(`unknown command ${commandName(command)}`);
    }
  }

  private handleConnect(message: ReceivedMessage): void {
    if (message.arg0 < VERSION_MIN) throw new ProtocolError(`host protocol version 0x${message.arg0.toString(16)} is too old`);
    if (message.arg1 < MAX_PAYLOAD_V1) throw new ProtocolError(`host maxdata ${message.arg1} is too small`);
    // A second CNXN restarts the session: every stream of the old one is gone.
    for (const stream of [...this.streams.values()]) stream.handleRemoteClose();
    this.streams.clear();
    this.hostBanner = message.payload.toString('utf8').replace(/\0+$/, '');
    this.agreedVersion = Math.min(message.arg0, VERSION_SKIP_CHECKSUM);
    this.maxPayload = Math.min(message.arg1, MAX_PAYLOAD);
    // until our CNXN, what we send carries a checksum
    this.version = VERSION_MIN;
    this.connected = false;
    this.offeredKey = undefined;
    if (!this.options.auth) {
      this.goOnline();
      return;
    }
    this.failedAuth = 0;
    this.sendToken();
  }

  /** Lets a host in that waited with an offered key, once that key was accepted. */
  authorize(): void {
    if (this.closed || this.connected || !this.token) return;
    this.options.logger.info({ key: this.offeredKey?.comment }, 'adb key accepted: host authorized');
    this.goOnline();
  }

  private sendToken(): void {
    if (this.closed) return;
    this.token = randomBytes(TOKEN_SIZE);
    this.send({ command: A_AUTH, arg0: AuthType.token, arg1: 0, payload: this.token });
  }

  private handleAuth(message: ReceivedMessage): void {
    const auth = this.options.auth!;
    if (message.arg0 === AuthType.signature) {
      const key = auth.verify(this.token!, message.payload);
      if (key) {
        this.options.logger.debug({ key: key.comment }, 'host authorized');
        this.goOnline();
        return;
      }
      // a wrong key: a new token for the host's next key
      this.failedAuth += 1;
      if (this.failedAuth > FREE_AUTH_ATTEMPTS) setTimeout(() => this.sendToken(), 1000).unref();
      else this.sendToken();
      return;
    }
    if (message.arg0 === AuthType.rsaPublicKey) {
      const text = message.payload.toString('utf8').replace(/\0+$/, '');
      this.offeredKey = undefined;
      try {
        this.offeredKey = parseAdbPublicKey(text);
      } catch (error) {
        this.options.logger.warn({ err: (error as Error).message }, 'the host offered a key that is not one: it stays unauthorized');
      }
      this.options.logger.warn({ key: this.offeredKey?.comment }, 'host with an unknown adb key: unauthorized until the key is accepted');
      auth.offered(this, this.offeredKey);
      return;
    }
    throw new ProtocolError(`AUTH of type ${message.arg0}`);
  }

  private goOnline(): void {
    this.token = undefined;
    const version = this.agreedVersion ?? VERSION_MIN;
    this.send({ command: A_CNXN, arg0: version, arg1: MAX_PAYLOAD, payload: Buffer.from(this.options.banner(), 'utf8') });
    this.version = version;
    this.connected = true;
    this.options.logger.debug({ host: this.hostBanner, version: version.toString(16), maxPayload: this.maxPayload }, 'host connected');
  }

  private handleOpen(message: ReceivedMessage): void {
    const remoteId = message.arg0;
    if (remoteId === 0) throw new ProtocolError('OPEN with local-id 0');
    const service = message.payload.toString('utf8').replace(/\0+$/, '');
    if (!this.options.knowsService(service)) {
      this.options.logger.debug({ service }, 'refusing unknown service');
      this.send({ command: A_CLSE, arg0: 0, arg1: remoteId, payload: Buffer.alloc(0) });
      return;
    }
    const localId = this.allocateId();
    const stream = new AdbStream(this, localId, remoteId, service);
    stream.on('error', (error) => this.options.logger.debug({ service, err: error.message }, 'stream error'));
    this.streams.set(localId, stream);
    this.send({ command: A_OKAY, arg0: localId, arg1: remoteId, payload: Buffer.alloc(0) });
    this.options.logger.debug({ service, localId, remoteId }, 'open');
    try {
      this.options.openService(service, stream);
    } catch (error) {
      this.options.logger.warn({ service, err: (error as Error).message }, 'service failed to start');
      stream.destroy();
    }
  }

  private handleWrite(message: ReceivedMessage): void {
    const stream = this.streams.get(message.arg1);
    if (!stream) return; // closed while the message was in flight
    stream.handleWrite(message.payload);
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextLocalId;
      this.nextLocalId = this.nextLocalId >= 0x7fffffff ? 1 : this.nextLocalId + 1;
      if (!this.streams.has(id)) return id;
    }
  }
}
