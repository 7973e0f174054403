import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import { log as makeLogger, type Logger } from '../../common/log.js';
import type { DeviceConfig } from '../config/devices-file.js';
import { AdbServer, withTimeout } from './adb-server.js';
import { asRoot, type RootMethod } from './android-commands.js';
import { PhoneOpError } from './errors.js';
import { parseGetprop } from './parse.js';
import { DEFAULT_RECOVERY, classifyFault, isTransient, recover, type RecoveryOptions } from './recovery.js';
import { pullTarget, syncPull } from './sync-pull.js';
import { ShellExitError, commandText, runShell, type ShellCommand, type ShellProtocol, type ShellResult, type ShellRunOptions } from './shell.js';

/**
 * One phone of devices.json, reached through its adb server. Every shell call has a timeout and
 * returns the exit status; transient faults (offline, vanished, connection cut, no answer) start
 * recovery and the call is tried again (p-retry) when it is safe to repeat.
 */
export interface DeviceOptions {
  /** "auto" uses shell protocol v2 when the phone announces shell_v2. */
  shellProtocol?: 'auto' | ShellProtocol;
  recovery?: Partial<RecoveryOptions>;
  /** Retries of a repeatable command after recovery (default 2). */
  retries?: number;
  logger?: Logger;
  /** Told of each recovery step as it happens. */
  onRecoveryStep?: (step: string) => void;
  /** What earlier Device objects for this phone found out (see KnownPhone). */
  known?: KnownPhone;
}

/**
 * What a phone's Device objects share, one after the other (a campaign makes one per test): the
 * root method, detected once. A Device takes it as known, writes what it detects, and forgets it
 * when the phone goes through recovery (after a reboot adbd may no longer run as root).
 */
export interface KnownPhone {
  rootMethod?: RootMethod | null;
}

export interface DeviceShellOptions extends ShellRunOptions {
  /** false for commands that must not run twice; their faults are reported, not retried. */
  repeatable?: boolean;
}

export class NotRootError extends PhoneOpError {
  constructor(serial: string, why: string) {
    super(`phone ${serial}: needs root, ${why}`, 'cannot');
  }
}

const servers = new Map<string, AdbServer>();

/** One AdbServer per address, shared by the phones on it. */
export function adbServer(address: string): AdbServer {
  let server = servers.get(address);
  if (!server) {
    server = new AdbServer(address);
    servers.set(address, server);
  }
  return server;
}

export class Device {
  readonly server: AdbServer;
  readonly log: Logger;
  private protocol: ShellProtocol | undefined;
  /** the root method, in the object the phone's Devices share (their own when none is given) */
  private readonly known: KnownPhone;
  private props: Record<string, string> | undefined;
  private readonly recovery: RecoveryOptions;
  private readonly retries: number;

  constructor(
    readonly config: DeviceConfig,
    private readonly options: DeviceOptions = {},
  ) {
    this.server = adbServer(config.adbServer);
    this.log = options.logger ?? makeLogger('device', { device: config.label });
    this.recovery = { ...DEFAULT_RECOVERY, ...options.recovery };
    this.retries = options.retries ?? 2;
    if (options.shellProtocol && options.shellProtocol !== 'auto') this.protocol = options.shellProtocol;
    this.known = options.known ?? {};
  }

  /** The root method when it is known already (detected, or known from an earlier Device for this phone); undefined before. */
  get knownRootMethod(): RootMethod | null | undefined {
    return this.known.rootMethod;
  }

  get serial(): string {
    return this.config.id;
  }

  /** Runs a command; resolves with its exit status whatever it is (only adb-level faults reject). */
  async shell(command: ShellCommand, options: DeviceShellOptions = {}): Promise<ShellResult> {
    return this.withRecovery(commandText(command), options.repeatable !== false, async () => {
      const protocol = await this.shellProtocol();
      const result = await runShell(this.server, this.serial, protocol, command, options);
      this.log.debug({ cmd: commandText(command), exit: result.exitCode, ms: result.durationMs, protocol }, 'shell');
      return result;
    });
  }

  /** Runs a command and returns its stdout as text; a non-zero exit status throws ShellExitError. */
  async run(command: ShellCommand, options: DeviceShellOptions = {}): Promise<string> {
    const result = await this.shell(command, options);
    if (result.exitCode !== 0) throw new ShellExitError(commandText(command), result);
    return result.stdout.toString('utf8');
  }

  /** Runs a command as root (adbd as root, or su). Refuses when devices.json says the phone is not rooted. */
  async rootShell(command: ShellCommand, options: DeviceShellOptions = {}): Promise<ShellResult> {
    const method = await this.requireRoot();
    return this.shell({ script: asRoot(method, commandText(command)) }, options);
  }

  async requireRoot(): Promise<RootMethod> {
    if (!this.config.root) throw new NotRootError(this.serial, 'and devices.json says "root": false');
    const method = await this.detectRoot();
    if (!method) throw new NotRootError(this.serial, 'but neither adbd runs as root nor su works on it');
    return method;
  }

  /**
   * How this phone gives root: adbd already root, `su -c`, `su 0`; null when none works.
   * `known` holds what a combined read already has: the output of `id -u`, and of `su -c 'id -u'`.
   */
  async detectRoot(known: { uid?: string; suC?: string } = {}): Promise<RootMethod | null> {
    if (this.known.rootMethod !== undefined) return this.known.rootMethod;
    let uid = known.uid;
    if (uid === undefined) {
      const id = await this.shell(['id', '-u'], { timeoutMs: 10_000 });
      uid = id.exitCode === 0 ? id.stdout.toString() : '';
    }
    let method: RootMethod | null = null;
    if (uid.trim() === '0') method = 'adbd';
    else if (known.suC?.trim() === '0') method = 'su-c';
    else {
      // `su -c` is not tried again when the combined read tried it already
      for (const candidate of known.suC === undefined ? (['su-c', 'su-0'] as const) : (['su-0'] as const)) {
        const r = await this.shell({ script: asRoot(candidate, 'id -u') }, { timeoutMs: 15_000 });
        if (r.exitCode === 0 && r.stdout.toString().trim() === '0') {
          method = candidate;
          break;
        }
      }
    }
    this.known.rootMethod = method;
    this.log.debug({ rootMethod: method }, 'root detection');
    return method;
  }

  async shellProtocol(): Promise<ShellProtocol> {
    if (this.protocol) return this.protocol;
    const features = await this.server.features(this.serial);
    this.protocol = features.has('shell_v2') ? 'v2' : 'legacy';
    this.log.debug({ features: [...features], protocol: this.protocol }, 'shell protocol');
    return this.protocol;
  }

  async properties(refresh = false): Promise<Record<string, string>> {
    if (this.props && !refresh) return this.props;
    return this.adoptProperties(await this.run(['getprop'], { timeoutMs: 15_000 }));
  }

  /** Takes `getprop`'s output read by a combined script as the phone's current properties. */
  adoptProperties(getpropText: string): Record<string, string> {
    this.props = parseGetprop(getpropText);
    return this.props;
  }

  async sdk(): Promise<number> {
    const props = await this.properties();
    const sdk = Number(props['ro.build.version.sdk']);
    if (!Number.isInteger(sdk) || sdk <= 0) throw new Error(`phone ${this.serial}: getprop gave no SDK level (ro.build.version.sdk)`);
    return sdk;
  }

  /** Copies a local file to the phone (adb sync). */
  async push(local: string, remote: string, options: { timeoutMs?: number; mode?: number } = {}): Promise<number> {
    const size = (await stat(local)).size;
    const timeoutMs = options.timeoutMs ?? transferTimeout(size);
    return this.withRecovery(`push ${remote}`, true, async () => {
      const started = Date.now();
      const transfer = await withTimeout(this.server.device(this.serial).push(createReadStream(local), remote, options.mode ?? 0o644), timeoutMs, `push ${remote}`);
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          transfer.on('end', () => resolve());
          transfer.on('error', reject);
        }),
        Math.max(1, timeoutMs - (Date.now() - started)),
        `push ${remote}`,
        () => transfer.cancel(),
      );
      this.log.debug({ local, remote, bytes: size, ms: Date.now() - started }, 'pushed');
      return size;
    });
  }

  /**
   * Copies a file from the phone (adb sync) and returns its size. LOCAL is replaced only once the
   * whole file arrived (through a temporary file next to it); a failure leaves it as it was. A
   * missing or non-regular remote file, or a LOCAL that cannot be written, is an error.
   */
  async pull(remote: string, local: string, options: { timeoutMs?: number } = {}): Promise<number> {
    const timeoutMs = options.timeoutMs ?? 300_000;
    const target = await pullTarget(local);
    return this.withRecovery(`pull ${remote}`, true, async () => {
      const started = Date.now();
      const statV2 = (await this.server.features(this.serial)).has('stat_v2');
      const stream = await this.server.openService(this.serial, 'sync:');
      const pulling = syncPull(stream, remote, target, { statV2 });
      try {
        const size = await withTimeout(pulling, timeoutMs, `pull ${remote}`, () => stream.destroy());
        this.log.debug({ remote, local, bytes: size, ms: Date.now() - started }, 'pulled');
        return size;
      } catch (err) {
        // after a timeout, wait until the pull has removed its temporary file
        await pulling.catch(() => undefined);
        throw err;
      } finally {
        // ends the phone's sync service whatever happened
        stream.destroy();
      }
    });
  }

  /** Brings the phone to state "device" and responsive (see recovery.ts). Returns the steps taken. */
  async ensureReady(): Promise<string[]> {
    return recover(
      {
        server: this.server,
        serial: this.serial,
        log: this.log,
        allowReboot: this.config.allowReboot,
        probe: async (timeoutMs) => {
          // a fresh transport may have other features (a reinstalled adbd) and adbd may no longer run as root (after a reboot): ask again
          this.protocol = this.options.shellProtocol && this.options.shellProtocol !== 'auto' ? this.options.shellProtocol : undefined;
          this.known.rootMethod = undefined;
          const protocol = await this.shellProtocol();
          const r = await runShell(this.server, this.serial, protocol, ['echo', 'mplab-probe'], { timeoutMs });
          if (!r.stdout.toString().includes('mplab-probe')) throw new Error(`probe answered ${JSON.stringify(r.stdout.toString().slice(0, 80))}`);
        },
        reboot: async () => {
          await withTimeout(this.server.device(this.serial).reboot(), 15_000, 'reboot');
        },
        bootCompleted: async (timeoutMs) => this.waitBootCompleted(timeoutMs),
        onStep: this.options.onRecoveryStep,
      },
      this.recovery,
    );
  }

  /** Polls sys.boot_completed until it is 1 (adbkit's waitBootComplete has no timeout of its own). */
  async waitBootCompleted(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const protocol = await this.shellProtocol();
        const r = await runShell(this.server, this.serial, protocol, ['getprop', 'sys.boot_completed'], { timeoutMs: 10_000 });
        if (r.stdout.toString().trim() === '1') return true;
      } catch {
        // not attached yet, or adbd still starting
      }
      await sleep(Math.min(2_000, Math.max(0, deadline - Date.now())));
    }
    return false;
  }

  private async withRecovery<T>(what: string, repeatable: boolean, attempt: () => Promise<T>): Promise<T> {
    // a command that ran past its timeout on a phone that answers at once is slow, not faulty: not retried
    let phoneWasFine = false;
    return pRetry(attempt, {
      retries: repeatable ? this.retries : 0,
      minTimeout: 200,
      factor: 2,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        const fault = classifyFault(error);
        if (!isTransient(fault)) return;
        this.log.warn({ fault, attempt: attemptNumber, retriesLeft, what, error: error.message }, `phone fault (${fault})`);
        const steps = await this.ensureReady();
        phoneWasFine = steps.length === 0 && fault === 'unresponsive';
      },
      shouldRetry: ({ error }) => repeatable && isTransient(classifyFault(error)) && !phoneWasFine,
    });
  }
}

/** Generous: 1 MB/s at worst plus 30 s. */
function transferTimeout(bytes: number): number {
  return 30_000 + Math.ceil(bytes / 1_000);
}
