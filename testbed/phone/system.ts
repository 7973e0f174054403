import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ALL_TYPES, technologyOf, type Technology } from './cellular-technology.js';
import type { Logger } from '../../common/log.js';
import type { AppLauncher, AppProcess } from './app-process.js';
import { LAUNCHER, builtinApps, deepestAt, fullActivity, hierarchyXml, launcherScreen, nodeAt, shortComponent, type AppContext, type UiNode, type VirtualApp } from './apps.js';
import { LogBuffers, type LogPriority } from './logcat.js';
import { NamespaceNetwork, type LinkInfo } from './network.js';
import { buildProperties, type BuildIdentity } from './props.js';
import { StateStore, type PhoneState, type SettingsNamespace } from './state.js';

/**
 * The phone's "system server": the state behind the Android commands (radios, settings,
 * properties, battery, screen, apps) and what changing it does to the namespace. The daemon's
 * commands call it; the state is saved in the phone's folder after every change.
 */

export interface PhoneInterfaces {
  wifi: string;
  cellular: string;
}

export type InputEvent =
  | { kind: 'tap'; x: number; y: number; package?: string; node?: string }
  | { kind: 'long-press'; x: number; y: number; durationMs: number; package?: string; node?: string }
  | { kind: 'swipe'; x1: number; y1: number; x2: number; y2: number; durationMs: number; scrolled?: boolean }
  | { kind: 'set-text'; text: string; package?: string; node?: string }
  | { kind: 'text'; text: string; package?: string }
  | { kind: 'key'; keycode: number; package?: string };

export interface SystemOptions {
  identity: BuildIdentity & { name: string };
  netns: string;
  dir: string;
  interfaces: PhoneInterfaces;
  /** Extra properties (override the build's). */
  props?: Record<string, string>;
  apps?: VirtualApp[];
  /**
   * Starts an app's process (a real one, in the phone, as the app's uid). Without it apps have no
   * process of their own: a stand-in pid, and no network jobs.
   */
  launchApp?: AppLauncher;
  logger: Logger;
  /** Told when the allowed cellular technology changes (the lab moves the phone's cellular link to that technology's profile); false when it could not. */
  onCellularTechnology?: (technology: Technology) => Promise<boolean>;
}

/** What `am instrument` asks of an instrumentation: its `-e` extras, and a signal that aborts when the caller goes. */
export interface InstrumentationRequest {
  extras: Record<string, string>;
  signal: AbortSignal;
}

/** A test runner `am instrument` can start (keyed by its component, PACKAGE/RUNNER). */
export interface Instrumentation {
  /** The package it instruments (`pm list instrumentation`'s target). */
  readonly targetPackage: string;
  /** Runs until the instrumentation ends; resolves with what `am instrument -w` prints then. */
  run(request: InstrumentationRequest): Promise<string>;
}

interface ActivityRecord {
  package: string;
  activity: string;
}

/** The pid the phone's system_server writes its log lines as. */
export const SYSTEM_SERVER_PID = 1321;
/** Android's long-press timeout: a touch held this long is a long press. */
export const LONG_PRESS_MS = 500;

/** What Android's SELinux policy lets the shell user set. */
const SHELL_WRITABLE_PROPS = /^(debug\.|log\.|persist\.debug\.|persist\.log\.)/;

export class PhoneSystem extends EventEmitter {
  readonly network: NamespaceNetwork;
  private readonly store: StateStore;
  state!: PhoneState;
  private readonly buildProps: Record<string, string>;
  private runtimeProps: Record<string, string> = {};
  readonly apps: Map<string, VirtualApp>;
  private readonly appUids = new Map<string, number>();
  /** Activity stack, top last; empty means the home screen. */
  private stack: ActivityRecord[] = [];
  private readonly running = new Set<string>();
  screenOn = true;
  locked = false;
  bootCompleted = false;
  adbdRoot = false;
  readonly events: InputEvent[] = [];
  /** logcat's buffers. */
  readonly logs = new LogBuffers();
  /** Pids of the running apps' processes (stand-ins for apps without a process of their own). */
  private readonly appPids = new Map<string, number>();
  /** The running apps' processes. */
  private readonly processes = new Map<string, AppProcess>();
  private nextPid = 4100;
  /** The instrumentations installed (`am instrument`, `pm list instrumentation`), by component. */
  readonly instrumentations = new Map<string, Instrumentation>();
  private networkQueue: Promise<unknown> = Promise.resolve();

  constructor(readonly options: SystemOptions) {
    super();
    this.network = new NamespaceNetwork(options.netns);
    this.store = StateStore.inDir(options.dir);
    this.buildProps = { ...buildProperties(options.identity), 'wifi.interface': options.interfaces.wifi, ...options.props };
    this.apps = new Map();
    for (const app of [...builtinApps(), ...(options.apps ?? [])]) this.apps.set(app.package, app);
    [...this.apps.keys()].forEach((pkg, i) => this.appUids.set(pkg, pkg === 'android' ? 1000 : 10000 + i));
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /** Loads the saved state (as at boot) and makes the namespace match it. */
  async boot(defaults: PhoneState): Promise<void> {
    this.state = await this.store.load(defaults);
    this.runtimeProps = {};
    this.stopApps();
    this.stack = [];
    this.running.clear();
    this.running.add(LAUNCHER);
    this.screenOn = true;
    this.locked = this.state.settings.secure.lockscreen_disabled === '0';
    this.adbdRoot = false;
    this.syncRadioSettings();
    await this.save();
    await this.applyNetwork();
    // An Android phone's log is never empty after boot (logcat's readers, the UiAutomator2 driver's
    // among them, wait for a first line).
    this.log('I', 'SystemServer', 'Entered the Android system server!', undefined, 'system');
    this.log('I', 'ActivityManager', 'System now ready', undefined, 'system');
  }

  async save(): Promise<void> {
    await this.store.save(this.state);
  }

  // ---- properties

  /** The build's fixed properties (those of /system/build.prop and the like). */
  buildProperties(): Record<string, string> {
    return { ...this.buildProps };
  }

  properties(): Record<string, string> {
    const dynamic: Record<string, string> = {
      'sys.boot_completed': this.bootCompleted ? '1' : '',
      'dev.bootcomplete': this.bootCompleted ? '1' : '',
      'init.svc.bootanim': this.bootCompleted ? 'stopped' : 'running',
      'service.adb.root': this.adbdRoot ? '1' : '0',
      'gsm.network.type': this.cellularUp() ? 'LTE' : 'Unknown',
      'persist.sys.boot_count': this.state.settings.global.boot_count ?? '1',
    };
    const all = { ...this.buildProps, ...dynamic, ...this.state.persistentProps, ...this.runtimeProps };
    for (const key of Object.keys(all)) if (all[key] === '' && key in dynamic) delete all[key];
    return all;
  }

  /** setprop: ro.* only once; the shell user only debug.*, log.* and persist.debug.* / persist.log.*. */
  async setProperty(key: string, value: string, uid: number): Promise<string | undefined> {
    const refused = `Failed to set property '${key}' to '${value}'.\nSee dmesg for error reason.`;
    if (!/^[A-Za-z0-9_.\-:@]{1,255}$/.test(key)) return refused;
    if (key.startsWith('ro.') && this.properties()[key] !== undefined) return refused;
    if (uid !== 0 && !SHELL_WRITABLE_PROPS.test(key)) return refused;
    if (key.startsWith('persist.')) {
      this.state.persistentProps[key] = value;
      await this.save();
    } else {
      this.runtimeProps[key] = value;
    }
    return undefined;
  }

  // ---- telephony

  /** The user's allowed network types (a TelephonyManager bitmask); every type until set. */
  allowedNetworkTypes(): bigint {
    const saved = this.state.settings.global.mplab_allowed_network_types;
    return saved === undefined ? ALL_TYPES : BigInt(saved);
  }

  /** Sets them (kept across reboots), and tells the lab; resolves false when the lab could not follow. */
  async setAllowedNetworkTypes(mask: bigint): Promise<boolean> {
    const before = technologyOf(this.allowedNetworkTypes());
    await this.putSetting('global', 'mplab_allowed_network_types', mask.toString());
    const now = technologyOf(mask);
    this.log('I', 'TelephonyShellCommand', `AllowedNetworkTypes: ${mask.toString(2)}, technology ${now}`);
    if (now === before || !this.options.onCellularTechnology) return true;
    return this.options.onCellularTechnology(now).catch((err: Error) => {
      this.logger.warn({ err: err.message, technology: now }, 'the lab did not change the cellular link');
      return false;
    });
  }

  // ---- settings

  getSetting(ns: SettingsNamespace, key: string): string | undefined {
    return this.state.settings[ns][key];
  }

  async putSetting(ns: SettingsNamespace, key: string, value: string): Promise<void> {
    this.state.settings[ns][key] = value;
    await this.save();
  }

  async deleteSetting(ns: SettingsNamespace, key: string): Promise<boolean> {
    const had = key in this.state.settings[ns];
    delete this.state.settings[ns][key];
    await this.save();
    return had;
  }

  // ---- radios

  wifiUp(): boolean {
    return this.state.wifiEnabled && !this.state.airplane;
  }

  cellularUp(): boolean {
    return this.state.dataEnabled && !this.state.airplane;
  }

  private syncRadioSettings(): void {
    const g = this.state.settings.global;
    g.wifi_on = this.wifiUp() ? '1' : '0';
    g.mobile_data = this.state.dataEnabled ? '1' : '0';
    g.airplane_mode_on = this.state.airplane ? '1' : '0';
  }

  async setWifi(enabled: boolean): Promise<string[]> {
    return this.changeRadios({ wifiEnabled: enabled });
  }

  async setData(enabled: boolean): Promise<string[]> {
    return this.changeRadios({ dataEnabled: enabled });
  }

  async setAirplane(enabled: boolean): Promise<string[]> {
    return this.changeRadios({ airplane: enabled });
  }

  private async changeRadios(change: Partial<Pick<PhoneState, 'wifiEnabled' | 'dataEnabled' | 'airplane'>>): Promise<string[]> {
    Object.assign(this.state, change);
    this.syncRadioSettings();
    await this.save();
    const problems = await this.applyNetwork();
    this.logger.info({ wifi: this.wifiUp(), cellular: this.cellularUp(), airplane: this.state.airplane }, 'radios changed');
    this.emit('radios');
    return problems;
  }

  /** Brings each interface to the state its radio switch asks for. */
  applyNetwork(): Promise<string[]> {
    return this.setInterfaces(() => ({ wifi: this.wifiUp(), cellular: this.cellularUp() }));
  }

  /** Takes every radio's interface down as a power-off does, keeping their configuration. */
  async powerOffRadios(): Promise<void> {
    await this.setInterfaces(() => ({ wifi: false, cellular: false })).catch((error: Error) => this.logger.warn({ err: error.message }, 'taking the radios down failed'));
  }

  /**
   * Brings the interfaces up or down (one change at a time: `wanted` is asked when this change's
   * turn comes); an interface taken down keeps its configuration in the state for when it comes up.
   */
  private setInterfaces(wanted: () => Record<keyof PhoneInterfaces, boolean>): Promise<string[]> {
    const run = this.networkQueue.then(async () => {
      const problems: string[] = [];
      const up = wanted();
      for (const kind of ['wifi', 'cellular'] as const) {
        const iface = this.options.interfaces[kind];
        const link = await this.network.link(iface);
        if (!link.exists) {
          problems.push(`${iface}: no such interface in ${this.options.netns}`);
          continue;
        }
        if (up[kind] && !link.up) {
          const failed = await this.network.bringUp(iface, this.state.savedInterfaces[iface]);
          problems.push(...failed.map((p) => `${iface}: ${p}`));
          delete this.state.savedInterfaces[iface];
          await this.save();
        } else if (!up[kind] && link.up) {
          const down = await this.network.takeDown(iface);
          this.state.savedInterfaces[iface] = down.saved;
          problems.push(...down.problems.map((p) => `${iface}: ${p}`));
          await this.save();
        }
      }
      for (const p of problems) this.logger.warn(p);
      return problems;
    });
    this.networkQueue = run.catch(() => undefined);
    return run;
  }

  async link(iface: string): Promise<LinkInfo> {
    return this.network.link(iface);
  }

  // ---- battery and screen

  async setBattery(change: Partial<PhoneState['battery']>): Promise<void> {
    Object.assign(this.state.battery, change);
    await this.save();
  }

  setScreen(on: boolean): void {
    if (this.screenOn && !on && this.state.settings.secure.lockscreen_disabled === '0') this.locked = true;
    this.screenOn = on;
  }

  // ---- apps

  uidOf(pkg: string): number | undefined {
    return this.appUids.get(pkg);
  }

  foreground(): ActivityRecord {
    const top = this.stack.at(-1);
    if (top) return top;
    const launcher = this.apps.get(LAUNCHER)!;
    return { package: LAUNCHER, activity: fullActivity(launcher) };
  }

  isRunning(pkg: string): boolean {
    return this.running.has(pkg);
  }

  /** The context an app's callbacks get: what it may do to the phone, as `pkg`. */
  appContext(pkg: string): AppContext {
    return {
      foreground: () => this.foreground().package,
      start: (target, activity) => void this.startActivity(target, activity),
      home: () => this.goHome(),
      log: (level, tag, message) => this.log(level, tag, message, pkg),
      crash: (exception, stack) => this.crash(pkg, exception, stack),
      property: (name) => this.properties()[name],
      process: () => this.processes.get(pkg),
      kill: (reason) => this.killProcess(pkg, reason),
    };
  }

  /** A log line from `pkg`'s process (or from system_server when `pkg` is undefined). */
  log(priority: LogPriority, tag: string, message: string, pkg?: string, buffer: 'main' | 'system' | 'crash' = 'main'): void {
    const pid = pkg ? (this.appPids.get(pkg) ?? SYSTEM_SERVER_PID) : SYSTEM_SERVER_PID;
    const uid = pkg ? (this.uidOf(pkg) ?? 1000) : 1000;
    this.logs.write({ pid, uid, priority, tag, message, buffer });
  }

  pidOf(pkg: string): number | undefined {
    return this.appPids.get(pkg);
  }

  /** An uncaught exception in `pkg`'s main thread, logged as Android's runtime logs it; the process dies. */
  crash(pkg: string, exception: string, stack: string[] = []): void {
    const pid = this.appPids.get(pkg);
    if (pid === undefined) return;
    const uid = this.uidOf(pkg) ?? 1000;
    this.logs.writeLines({
      pid,
      uid,
      priority: 'E',
      tag: 'AndroidRuntime',
      buffer: 'crash',
      lines: ['FATAL EXCEPTION: main', `Process: ${pkg}, PID: ${pid}`, exception, ...stack.map((l) => `\tat ${l}`)],
    });
    this.log('I', 'Process', `Sending signal. PID: ${pid} SIG: 9`, pkg);
    this.log('W', 'ActivityManager', `Process ${pkg} (pid ${pid}) has died: fg  TOP `, undefined, 'system');
    this.forceStop(pkg, 'crash');
  }

  /** am start: brings the package's activity to the front. Returns false for an unknown one. */
  startActivity(pkg: string, activity?: string): boolean {
    const app = this.apps.get(pkg);
    if (!app) return false;
    if (pkg === LAUNCHER) {
      this.goHome();
      return true;
    }
    const full = fullActivity(activity ? { package: pkg, activity } : app);
    if (activity && full !== fullActivity(app)) return false;
    this.stack = this.stack.filter((r) => r.package !== pkg);
    this.stack.push({ package: pkg, activity: full });
    this.log('I', 'ActivityTaskManager', `START u0 {act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10200000 cmp=${shortComponent({ package: pkg, activity: full })}} from uid 2000`, undefined, 'system');
    if (!this.running.has(pkg)) {
      this.running.add(pkg);
      const pid = this.spawnProcess(pkg);
      this.appPids.set(pkg, pid);
      this.log('I', 'ActivityManager', `Start proc ${pid}:${pkg}/u0a${(this.uidOf(pkg) ?? 10000) - 10000} for next-top-activity {${shortComponent({ package: pkg, activity: full })}}`, undefined, 'system');
      app.onStart?.(this.appContext(pkg));
    }
    this.emit('foreground', pkg);
    return true;
  }

  /** Starts the app's process (when the phone has a launcher for them) and returns its pid. */
  private spawnProcess(pkg: string): number {
    const launch = this.options.launchApp;
    if (!launch) return this.nextPid++;
    let proc: AppProcess;
    try {
      proc = launch(pkg, this.uidOf(pkg) ?? 10000);
    } catch (error) {
      this.logger.error({ pkg, err: (error as Error).message }, 'starting the app process failed');
      return this.nextPid++;
    }
    if (proc.pid === undefined) return this.nextPid++;
    this.processes.set(pkg, proc);
    proc.on('log', (line: { priority: LogPriority; tag: string; message: string }) => this.log(line.priority, line.tag, line.message, pkg));
    proc.on('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.processes.get(pkg) !== proc) return;
      this.processes.delete(pkg);
      this.log('I', 'ActivityManager', `Process ${pkg} (pid ${proc.pid}) has died: ${signal ?? `exit ${code}`}`, undefined, 'system');
      this.stopped(pkg);
    });
    return proc.pid;
  }

  /** The app's process ends on its own (the ANR dialog's "Close app"): logged, then gone as after a force-stop. */
  killProcess(pkg: string, reason: string): void {
    const pid = this.appPids.get(pkg);
    if (pid === undefined) return;
    this.log('I', 'ActivityManager', `Killing ${pid}:${pkg}/u0a${(this.uidOf(pkg) ?? 10000) - 10000} (adj 0): ${reason}`, undefined, 'system');
    this.forceStop(pkg, 'crash');
  }

  goHome(): void {
    this.stack = [];
    this.emit('foreground', LAUNCHER);
  }

  forceStop(pkg: string, reason: 'force-stop' | 'crash' = 'force-stop'): void {
    if (pkg === LAUNCHER) return;
    // What runs for the package outside the activity stack (an instrumentation) stops as well.
    this.emit('force-stop', pkg);
    if (!this.running.has(pkg)) {
      this.stack = this.stack.filter((r) => r.package !== pkg);
      return;
    }
    if (reason === 'force-stop') this.log('I', 'ActivityManager', `Force stopping ${pkg} appid=${this.uidOf(pkg) ?? 0} user=0: from pid ${SYSTEM_SERVER_PID}`, undefined, 'system');
    const proc = this.processes.get(pkg);
    this.processes.delete(pkg);
    proc?.kill();
    this.stopped(pkg);
  }

  /** What remains of an app whose process is gone: nothing on the stack, not running, its state dropped. */
  private stopped(pkg: string): void {
    const wasRunning = this.running.delete(pkg);
    this.stack = this.stack.filter((r) => r.package !== pkg);
    this.appPids.delete(pkg);
    if (wasRunning) this.apps.get(pkg)?.onStop?.();
  }

  /** Kills every app's process (a reboot, the daemon stopping). */
  stopApps(): void {
    for (const pkg of [...this.running]) if (pkg !== LAUNCHER) this.forceStop(pkg, 'crash');
  }

  /** Every package's /data/data/PACKAGE, owned by the app's uid (root is the phone's `/` on the host). */
  async ensureDataDirs(root: string): Promise<void> {
    for (const pkg of this.apps.keys()) await this.makeDataDir(root, pkg);
  }

  private async makeDataDir(root: string, pkg: string): Promise<void> {
    const dataDir = path.join(root, 'data/data', pkg);
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const uid = this.uidOf(pkg) ?? 1000;
    await fs.chown(dataDir, uid, uid);
  }

  /** pm clear: stops the app and empties its data directory. */
  async clearData(pkg: string, root: string): Promise<boolean> {
    const app = this.apps.get(pkg);
    if (!app) return false;
    this.forceStop(pkg);
    await fs.rm(path.join(root, 'data/data', pkg), { recursive: true, force: true });
    await this.makeDataDir(root, pkg);
    app.onClear?.();
    return true;
  }

  screenHierarchy(): { package: string; root: UiNode | undefined } {
    const top = this.foreground();
    if (top.package === LAUNCHER) return { package: LAUNCHER, root: launcherScreen([...this.apps.values()]) };
    return { package: top.package, root: this.apps.get(top.package)?.screen?.(this.appContext(top.package)) };
  }

  windowDump(): string {
    const { package: pkg, root } = this.screenHierarchy();
    return hierarchyXml(pkg, root);
  }

  private record(event: InputEvent): void {
    this.events.push(event);
    if (this.events.length > 1000) this.events.shift();
    this.emit('input', event);
  }

  tap(x: number, y: number): void {
    const { package: pkg, root } = this.screenHierarchy();
    const node = root ? nodeAt(root, x, y) : undefined;
    this.record({ kind: 'tap', x, y, package: pkg, ...(node?.text ? { node: node.text } : {}) });
    if (!this.screenOn || this.locked) return;
    if (pkg === LAUNCHER) {
      const app = [...this.apps.values()].find((a) => !a.noLauncher && node?.text === a.label);
      if (app) this.startActivity(app.package);
      return;
    }
    this.apps.get(pkg)?.onTap?.(node, x, y, this.appContext(pkg));
  }

  /** A touch held at (x, y) for `durationMs` (a long press from LONG_PRESS_MS on; a tap below). */
  longPress(x: number, y: number, durationMs: number): void {
    if (durationMs < LONG_PRESS_MS) return this.tap(x, y);
    const { package: pkg, root } = this.screenHierarchy();
    const node = root ? nodeAt(root, x, y) : undefined;
    this.record({ kind: 'long-press', x, y, durationMs, package: pkg, ...(node?.text ? { node: node.text } : {}) });
    if (!this.screenOn || this.locked || pkg === LAUNCHER) return;
    this.apps.get(pkg)?.onLongPress?.(node, x, y, durationMs, this.appContext(pkg));
  }

  /** A finger moving from (x1, y1) to (x2, y2): scrolls the scrollable view it started on. Returns whether something scrolled. */
  swipe(x1: number, y1: number, x2: number, y2: number, durationMs: number): boolean {
    let scrolled = false;
    // Swiping up on a locked screen with no secure lock unlocks it.
    if (this.screenOn && this.locked && y2 < y1) this.locked = false;
    else if (this.screenOn && !this.locked) {
      const { package: pkg, root } = this.screenHierarchy();
      const target = root ? deepestAt(root, x1, y1, (n) => Boolean(n.scrollable)) : undefined;
      if (target && pkg !== LAUNCHER) scrolled = this.apps.get(pkg)?.onScroll?.(target, x2 - x1, y2 - y1, this.appContext(pkg)) ?? false;
    }
    this.record({ kind: 'swipe', x1, y1, x2, y2, durationMs, scrolled });
    return scrolled;
  }

  /** Sets a field's whole text (ACTION_SET_TEXT), as the UiAutomator2 server's value and clear do. */
  setText(node: UiNode, text: string): void {
    const pkg = this.foreground().package;
    this.record({ kind: 'set-text', text, package: pkg, ...(node.resourceId ? { node: node.resourceId } : {}) });
    if (!this.screenOn || this.locked) return;
    const app = this.apps.get(pkg);
    if (app?.onSetText) app.onSetText(node, text, this.appContext(pkg));
    else app?.onText?.(text, this.appContext(pkg));
  }

  text(text: string): void {
    const pkg = this.foreground().package;
    this.record({ kind: 'text', text, package: pkg });
    if (!this.screenOn || this.locked) return;
    this.apps.get(pkg)?.onText?.(text, this.appContext(pkg));
  }

  key(keycode: number): void {
    const pkg = this.foreground().package;
    this.record({ kind: 'key', keycode, package: pkg });
    switch (keycode) {
      case 26: // POWER
        this.setScreen(!this.screenOn);
        return;
      case 224: // WAKEUP
        this.setScreen(true);
        return;
      case 223: // SLEEP
        this.setScreen(false);
        return;
      case 82: // MENU dismisses an insecure keyguard
        if (this.screenOn) this.locked = false;
        return;
    }
    if (!this.screenOn || this.locked) return;
    if (this.apps.get(pkg)?.onKey?.(keycode, this.appContext(pkg))) return;
    if (keycode === 3) this.goHome();
    else if (keycode === 4 && this.stack.length) this.stack.pop();
  }
}

