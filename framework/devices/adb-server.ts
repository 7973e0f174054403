import type { Duplex } from 'node:stream';
import adbkit from '@devicefarmer/adbkit';
import type { Client, DeviceClient, Parser as ParserClass } from '@devicefarmer/adbkit';
import AdbConnection from '@devicefarmer/adbkit/dist/src/adb/connection.js';
import AdbParser from '@devicefarmer/adbkit/dist/src/adb/parser.js';
import { HOST_PORT, splitHostPort } from '../config/validate.js';
import { TimeoutError, withTimeout as withDeadline } from '../../common/timeout.js';

/**
 * One adb server (host:port), reached through adbkit. adbkit covers listing, sync (push/pull),
 * reboot and boot waits; what it lacks (shell protocol v2, transport features,
 * reconnect-offline, timeouts on host requests) is spoken here over adbkit's own connection:
 * a request is a 4-digit hex length and the service name; the answer is OKAY or FAIL, then for
 * host queries a 4-digit hex length and the payload (AOSP adb SERVICES.TXT, OVERVIEW.TXT).
 * Never asks the server to quit: other phones and other users share it.
 */
export class AdbFailError extends Error {
  constructor(
    readonly service: string,
    readonly reason: string,
  ) {
    super(`adb server refused ${service.replace(/^(shell[^:]*:).*/s, '$1...')}: ${reason}`);
    this.name = 'AdbFailError';
  }
}

export class AdbTimeoutError extends TimeoutError {
  constructor(what: string, timeoutMs: number) {
    super(what, timeoutMs);
    this.name = 'AdbTimeoutError';
  }
}

export interface AdbDeviceEntry {
  serial: string;
  /** device, offline, unauthorized, recovery, bootloader, sideload, authorizing, connecting, ... */
  state: string;
}

type AdbFactory = { createClient(options: { host: string; port: number }): Client };
// adbkit is CommonJS: Node's ESM loader hands over module.exports as the default import, other
// loaders (vitest) its `default` export, which is the factory itself.
const Adb: AdbFactory = (() => {
  const mod = adbkit as unknown as Record<string, unknown> & Partial<AdbFactory>;
  if (typeof mod.createClient === 'function') return mod as AdbFactory;
  return (mod.Adb ?? (mod.default as Record<string, unknown>)?.Adb ?? mod.default) as AdbFactory;
})();

export const DEFAULT_HOST_TIMEOUT_MS = 10_000;

export class AdbServer {
  readonly client: Client;
  readonly host: string;
  readonly port: number;

  constructor(readonly address: string) {
    const { host, port } = splitHostPort(address);
    this.host = host;
    this.port = port;
    this.client = Adb.createClient({ host, port });
    if (!this.mayStartServer()) {
      // adbkit answers a refused connection by running `adb -P PORT start-server` on this host,
      // which for any other address than the local default would start a stray server
      const client = this.client;
      client.connection = () => {
        const conn = new (connectionClass())(client.options);
        (conn as unknown as { triedStarting: boolean }).triedStarting = true;
        conn.on('error', (err: Error) => client.emit('error', err));
        return conn.connect();
      };
    }
  }

  /** Only the local default server may be started on demand (as the adb command itself does). */
  mayStartServer(): boolean {
    return (this.host === '127.0.0.1' || this.host === 'localhost') && this.port === 5037;
  }

  device(serial: string): DeviceClient {
    return this.client.getDevice(serial);
  }

  /** `host:devices`: every transport the server knows, with its state. */
  async list(timeoutMs = DEFAULT_HOST_TIMEOUT_MS): Promise<AdbDeviceEntry[]> {
    return parseDeviceList(await this.query('host:devices', timeoutMs));
  }

  async state(serial: string, timeoutMs = DEFAULT_HOST_TIMEOUT_MS): Promise<string | null> {
    const entry = (await this.list(timeoutMs)).find((d) => d.serial === serial);
    return entry ? entry.state : null;
  }

  /** Transport features of a device (shell_v2, cmd, stat_v2, ...), as the device announced them. */
  async features(serial: string, timeoutMs = DEFAULT_HOST_TIMEOUT_MS): Promise<Set<string>> {
    const text = await this.query(`host-serial:${serial}:features`, timeoutMs);
    return new Set(text.split(',').map((f) => f.trim()).filter(Boolean));
  }

  /** `adb connect host:port`. Returns the server's answer ("connected to ...", "already connected to ..."). */
  async connect(hostPort: string, timeoutMs = 15_000): Promise<string> {
    const answer = await this.query(`host:connect:${hostPort}`, timeoutMs);
    if (/unable|failed|cannot|error/i.test(answer)) throw new AdbFailError(`host:connect:${hostPort}`, answer);
    return answer;
  }

  /** `adb disconnect host:port`: drops that TCP transport only. */
  async disconnect(hostPort: string, timeoutMs = DEFAULT_HOST_TIMEOUT_MS): Promise<string> {
    return this.query(`host:disconnect:${hostPort}`, timeoutMs);
  }

  /** `adb reconnect offline`: the server drops and reopens its offline and unauthorized transports. */
  async reconnectOffline(timeoutMs = DEFAULT_HOST_TIMEOUT_MS): Promise<string> {
    return this.query('host:reconnect-offline', timeoutMs);
  }

  async version(timeoutMs = DEFAULT_HOST_TIMEOUT_MS): Promise<number> {
    return parseInt(await this.query('host:version', timeoutMs), 16);
  }

  /** A host query: OKAY, then a length-prefixed answer. */
  async query(service: string, timeoutMs = DEFAULT_HOST_TIMEOUT_MS): Promise<string> {
    const { parser, end } = await this.request(service, timeoutMs);
    try {
      const value = await withTimeout(parser.readValue(), timeoutMs, service, end);
      return value.toString('utf8');
    } finally {
      end();
    }
  }

  /**
   * Opens a device service (`shell,v2,raw:...`, `shell:...`, `sync:`, `reboot:`) on one device
   * and returns the raw stream. The caller owns it and must end or destroy it.
   */
  async openService(serial: string, service: string, timeoutMs = DEFAULT_HOST_TIMEOUT_MS): Promise<Duplex> {
    const conn = await withTimeout(this.client.connection(), timeoutMs, `connecting to the adb server at ${this.address}`);
    const socket = conn.socket;
    const destroy = (): void => {
      socket.destroy();
    };
    try {
      await this.exchange(conn, `host:transport:${serial}`, timeoutMs, destroy);
      await this.exchange(conn, service, timeoutMs, destroy);
      return conn.parser.raw();
    } catch (err) {
      destroy();
      throw err;
    }
  }

  private async request(service: string, timeoutMs: number) {
    const conn = await withTimeout(this.client.connection(), timeoutMs, `connecting to the adb server at ${this.address}`);
    const end = (): void => {
      conn.socket.destroy();
    };
    try {
      await this.exchange(conn, service, timeoutMs, end);
    } catch (err) {
      end();
      throw err;
    }
    return { parser: conn.parser, end };
  }

  private async exchange(conn: Awaited<ReturnType<Client['connection']>>, service: string, timeoutMs: number, abort: () => void): Promise<void> {
    conn.write(encodeRequest(service));
    const reply = await withTimeout(conn.parser.readAscii(4), timeoutMs, service, abort);
    if (reply === 'OKAY') return;
    if (reply === 'FAIL') {
      const reason = await withTimeout(conn.parser.readValue(), timeoutMs, service, abort);
      throw new AdbFailError(service, reason.toString('utf8'));
    }
    throw new Error(`adb server at ${this.address} answered ${JSON.stringify(reply)} to ${service} (expected OKAY or FAIL)`);
  }
}

// adbkit's own errors (its sync and host commands): FAIL from the server or device, and a stream that ended too early
const Parser: typeof ParserClass = (() => {
  const mod = AdbParser as unknown as { default?: typeof ParserClass } & typeof ParserClass;
  return mod.default ?? mod;
})();
export const AdbkitFailError = Parser.FailError;
export const AdbkitPrematureEOFError = Parser.PrematureEOFError;

type ConnectionClass = new (options: Client['options']) => Awaited<ReturnType<Client['connection']>>;
function connectionClass(): ConnectionClass {
  const mod = AdbConnection as unknown as { default?: ConnectionClass } & ConnectionClass;
  return mod.default ?? mod;
}

export function encodeRequest(service: string): Buffer {
  const body = Buffer.from(service, 'utf8');
  if (body.length > 0xffff) throw new Error(`adb request too long (${body.length} bytes)`);
  return Buffer.concat([Buffer.from(body.length.toString(16).padStart(4, '0'), 'ascii'), body]);
}

/** `host:devices` answer: "serial\tstate" lines. */
export function parseDeviceList(text: string): AdbDeviceEntry[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [serial, state] = line.split('\t');
      return { serial: serial ?? '', state: (state ?? 'unknown').trim() };
    });
}

/** True for a serial that names a TCP transport ("host:port"), which `adb connect` can re-attach. */
export function isTcpSerial(serial: string): boolean {
  return HOST_PORT.test(serial);
}

/** withTimeout whose rejection is an AdbTimeoutError (classifyFault takes it for an unresponsive phone). */
export function withTimeout<T>(promise: PromiseLike<T>, timeoutMs: number, what: string, onTimeout?: () => void): Promise<T> {
  return withDeadline(promise, timeoutMs, what, onTimeout, (w, ms) => new AdbTimeoutError(w, ms));
}
