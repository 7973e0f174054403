import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { log, type Logger } from '../../common/log.js';
import { commandLine } from '../../common/process.js';
import { assertLabName } from '../netns.js';
import type { VirtualApp } from './apps.js';
import { phonePrograms } from './bundle.js';
import { CommandServer } from './command-server.js';
import { COMMANDS } from './commands/index.js';
import { formatBuildProp } from './props.js';
import { NODE, PHONE_LIB } from './paths.js';
import { PhoneSandbox, shellEnvironment } from './sandbox.js';
import { knowsService, openService, type ServiceHost } from './services.js';
import { defaultState } from './state.js';
import { PhoneSystem } from './system.js';
import { AdbConnection } from './transport.js';
import { UIA2_INSTRUMENTATION, UIA2_SERVER_PACKAGE, Uia2Instrumentation } from './uiautomator2/instrumentation.js';
import { deviceBanner } from './wire.js';

/**
 * A virtual phone: an adb daemon on a loopback TCP port of the host (what `adb connect` attaches
 * to) whose shell, sync and Android commands act on a Linux network namespace with wlan0 and
 * rmnet0, and whose files live in one folder of the host.
 */

/** The features this daemon implements, advertised in its CNXN banner. */
export const FEATURES = ['shell_v2', 'cmd', 'stat_v2', 'ls_v2', 'fixed_push_mkdir'];

/** adb scans these ports for emulators on its own; a phone listening there would be found twice. */
const EMULATOR_PORTS = { first: 5555, last: 5585 };

export interface VirtualPhoneOptions {
  /** The phone's name (used for its serial number, android_id, logs). */
  name: string;
  /** Its network namespace (must exist; named mplab...). */
  netns: string;
  /** Its folder on the host: state.json and the phone's filesystem (root/). Created if missing. */
  dir: string;
  /** TCP port on the host's loopback; a free one when absent. Outside 5555-5585. */
  port?: number;
  /** Rooted (userdebug, su, adb root) or not. Default true. */
  root?: boolean;
  model?: string;
  product?: string;
  device?: string;
  interfaces?: { wifi?: string; cellular?: string };
  /** Extra system properties. */
  props?: Record<string, string>;
  /** Apps besides the preinstalled ones. */
  apps?: VirtualApp[];
  /** How long a reboot keeps the phone away from adb. Default 3000 ms. */
  rebootMs?: number;
  /** After the daemon is reachable again, how long until sys.boot_completed=1. Default 1500 ms after a reboot, 0 at start. */
  bootCompletedMs?: number;
  logger?: Logger;
}

export interface VirtualPhone {
  readonly name: string;
  readonly port: number;
  /** What adb calls the phone: 127.0.0.1:PORT. */
  readonly serial: string;
  readonly system: PhoneSystem;
  readonly sandbox: PhoneSandbox;
  /** Reboots as `adb reboot` does; resolves once the daemon listens again. */
  reboot(reason?: string): Promise<void>;
  /** Resolves when the current boot (or reboot) has completed. */
  booted(): Promise<void>;
  /** Stops the daemon and every process of the phone; the folder stays. */
  stop(): Promise<void>;
}

export async function startVirtualPhone(options: VirtualPhoneOptions): Promise<VirtualPhone> {
  const phone = new PhoneDaemon(options);
  await phone.start();
  return phone;
}

const FOLDERS_IN_USE = new Set<string>();

/** A live Node process (a daemon's pid may have been reused by something else since). */
function daemonAlive(pid: number): boolean {
  return commandLine(pid)?.join(' ').includes('node') ?? false;
}

class PhoneDaemon implements VirtualPhone, ServiceHost {
  readonly name: string;
  readonly system: PhoneSystem;
  readonly sandbox: PhoneSandbox;
  readonly logger: Logger;
  readonly rooted: boolean;
  readonly hostname: string;
  private readonly commands: CommandServer;
  private readonly uiautomator2: Uia2Instrumentation;
  private server: net.Server | undefined;
  private readonly connections = new Set<AdbConnection>();
  private portNumber: number;
  private rebooting: Promise<void> | undefined;
  private bootDone: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly identity: { product: string; model: string; device: string };

  constructor(private readonly options: VirtualPhoneOptions) {
    assertLabName(options.netns);
    if (!/^[A-Za-z0-9_.-]{1,40}$/.test(options.name)) throw new Error(`phone name ${JSON.stringify(options.name)}: expected 1-40 of [A-Za-z0-9_.-]`);
    if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535 || (options.port >= EMULATOR_PORTS.first && options.port <= EMULATOR_PORTS.last))) {
      throw new Error(`port ${options.port}: expected 1-65535 outside adb's emulator range ${EMULATOR_PORTS.first}-${EMULATOR_PORTS.last}`);
    }
    this.name = options.name;
    this.rooted = options.root ?? true;
    this.portNumber = options.port ?? 0;
    this.logger = options.logger ?? log('phone', { phone: options.name });
    this.identity = {
      product: options.product ?? 'mplab_vphone',
      model: options.model ?? 'Virtual Phone',
      device: options.device ?? 'vphone',
    };
    this.hostname = `localhost`;
    this.system = new PhoneSystem({
      identity: { ...this.identity, name: options.name, serialno: `MPLAB${options.name.replace(/[^A-Za-z0-9]/g, '').toUpperCase()}`, rooted: this.rooted },
      netns: options.netns,
      dir: path.resolve(options.dir),
      interfaces: { wifi: options.interfaces?.wifi ?? 'wlan0', cellular: options.interfaces?.cellular ?? 'rmnet0' },
      props: options.props,
      apps: options.apps,
      logger: this.logger,
    });
    this.sandbox = new PhoneSandbox({
      netns: options.netns,
      dir: options.dir,
      commands: Object.keys(COMMANDS),
      su: this.rooted,
      programs: phonePrograms(),
      buildProp: formatBuildProp(this.system.buildProperties()),
      logger: this.logger,
    });
    this.uiautomator2 = new Uia2Instrumentation({
      system: this.system,
      logger: this.logger,
      startProcess: (port) => {
        const uid = this.system.uidOf(UIA2_SERVER_PACKAGE) ?? 10000;
        return this.sandbox.spawn([NODE, `${PHONE_LIB}/uiautomator2.mjs`, String(port)], { uid, env: shellEnvironment(uid, this.hostname), stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
      },
    });
    this.system.instrumentations.set(UIA2_INSTRUMENTATION, this.uiautomator2);
    this.commands = new CommandServer({
      sandbox: this.sandbox,
      system: this.system,
      rooted: this.rooted,
      hostname: this.hostname,
      reboot: (reason) => this.reboot(reason).catch((error: Error) => this.logger.error({ err: error.message }, 'reboot failed')),
      logger: this.logger,
    });
  }

  get port(): number {
    return this.portNumber;
  }

  get serial(): string {
    return `127.0.0.1:${this.portNumber}`;
  }

  adbdRoot(): boolean {
    return this.system.adbdRoot;
  }

  setAdbdRoot(root: boolean): void {
    this.system.adbdRoot = root;
  }

  private banner(): string {
    return deviceBanner({ name: this.identity.product, model: this.identity.model, device: this.identity.device }, FEATURES);
  }

  async start(): Promise<void> {
    if (!existsSync(`/run/netns/${this.options.netns}`)) throw new Error(`network namespace ${this.options.netns} does not exist (no /run/netns/${this.options.netns})`);
    await this.claimFolder();
    await this.sandbox.prepare();
    await this.system.ensureDataDirs(this.sandbox.root);
    await this.bootSystem(this.options.bootCompletedMs ?? 0);
    this.logger.info({ port: this.portNumber, netns: this.options.netns, dir: this.options.dir, root: this.rooted }, 'virtual phone listening');
  }

  /** Loads the phone's state, brings the namespace to it, then lets adb in. */
  private async bootSystem(bootCompletedMs: number): Promise<void> {
    this.system.bootCompleted = false;
    await this.system.boot(defaultState({ name: this.name, model: this.identity.model }));
    await this.sandbox.start();
    await this.commands.start();
    await this.listen();
    let markBooted: () => void = () => undefined;
    this.bootDone = new Promise<void>((resolve) => (markBooted = resolve));
    const complete = () => {
      this.system.bootCompleted = true;
      markBooted();
    };
    if (bootCompletedMs > 0) setTimeout(complete, bootCompletedMs).unref();
    else complete();
  }

  private async listen(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: this.portNumber, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.portNumber = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  private accept(socket: net.Socket): void {
    const connection: AdbConnection = new AdbConnection(socket, {
      banner: () => this.banner(),
      knowsService,
      openService: (service, stream) => openService(this, service, stream),
      logger: this.logger.child({ peer: `${socket.remoteAddress}:${socket.remotePort}` }),
    });
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }

  restartAdbd(): void {
    this.logger.info('adbd restarting: dropping adb connections');
    for (const connection of this.connections) connection.drop();
    this.connections.clear();
  }

  private async closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.restartAdbd();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  booted(): Promise<void> {
    return this.bootDone;
  }

  reboot(reason = ''): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`phone ${this.name} is stopped`));
    if (this.rebooting) return this.rebooting;
    this.rebooting = (async () => {
      this.logger.info({ reason }, 'rebooting');
      // Let the reply to `adb reboot` leave before the connections go.
      await sleep(50);
      this.system.bootCompleted = false;
      // Shutting down: the radios first, then every process, adbd last.
      await this.system.powerOffRadios();
      await this.uiautomator2.stop();
      await this.commands.stop();
      await this.sandbox.killAll();
      await this.closeListener();
      const bootCount = Number(this.system.state.settings.global.boot_count ?? '0') + 1;
      await this.system.putSetting('global', 'boot_count', String(bootCount));
      await sleep(this.options.rebootMs ?? 3000);
      if (this.stopped) return;
      await this.bootSystem(this.options.bootCompletedMs ?? 1500);
      this.logger.info({ port: this.portNumber }, 'rebooted');
    })().finally(() => {
      this.rebooting = undefined;
    });
    return this.rebooting;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.rebooting?.catch(() => undefined);
    await this.closeListener();
    await this.uiautomator2.stop();
    await this.commands.stop();
    const killed = await this.sandbox.killAll();
    await this.releaseFolder();
    this.logger.info({ killed }, 'virtual phone stopped');
  }

  private get lockFile(): string {
    return path.join(path.resolve(this.options.dir), 'daemon.pid');
  }

  /** One daemon per phone folder: a second one would steal the first one's sockets. */
  private async claimFolder(): Promise<void> {
    const dir = path.resolve(this.options.dir);
    if (FOLDERS_IN_USE.has(dir)) throw new Error(`phone folder ${dir} is already used by a daemon of this process`);
    await fs.mkdir(dir, { recursive: true });
    try {
      const pid = Number((await fs.readFile(this.lockFile, 'utf8')).trim());
      if (pid && pid !== process.pid && daemonAlive(pid)) throw new Error(`phone folder ${dir} is used by daemon process ${pid}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await fs.writeFile(this.lockFile, `${process.pid}\n`);
    FOLDERS_IN_USE.add(dir);
  }

  private async releaseFolder(): Promise<void> {
    FOLDERS_IN_USE.delete(path.resolve(this.options.dir));
    await fs.rm(this.lockFile, { force: true });
  }
}
