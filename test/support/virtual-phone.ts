import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';
import { REPO_ROOT } from '../../common/paths.js';
import { log } from '../../common/log.js';
import { terminate } from '../../common/process.js';
import { attachToAdb, ensureUserAdbKey, listeningPort } from '../../testbed/lab/phones.js';
import { addNetns, deleteNetns, ip, vethPair } from '../../testbed/netns.js';
import { startVirtualPhone, type VirtualPhone, type VirtualPhoneOptions } from '../../testbed/phone/phone.js';
import { testPrefix } from './netns.js';

/**
 * A virtual phone for tests, attached to the real adb server as a phone over TCP:
 *
 *   const phone = await createVirtualPhone({ root: false });
 *   await phone.adb('shell', 'svc wifi disable');            // through the adb server
 *   await inNetns(phone.netns, 'ip', ['link', 'show', 'wlan0']); // check the effect
 *   await phone.teardown();
 *
 * It makes the phone's namespace (wlan0 198.18.1.2/24 and rmnet0 198.18.2.2/24, veths to a peer
 * namespace holding .1 on each, a default route per interface in the main table (WiFi preferred)
 * and one in tables 100/200 with `from` rules, as Android's per-network tables), a folder under
 * the OS temporary directory, starts the daemon on a free loopback port (in this process, or as a
 * process of its own with `process: true`, which `kill()` can SIGKILL), attaches it to adb as
 * `mplab lab up` does (`adb connect` until adb reports the state `device`; the phone authorizes
 * this user's adb key, ~/.android/adbkey.pub, as the lab's phones do) and waits until
 * sys.boot_completed is 1. teardown() disconnects, stops the daemon and every
 * process of the phone, deletes both namespaces and the folder.
 */

export const PHONE_ADDRESSES = {
  wifi: { phone: '198.18.1.2', peer: '198.18.1.1', prefix: 24, table: 100 },
  cellular: { phone: '198.18.2.2', peer: '198.18.2.1', prefix: 24, table: 200 },
};

export interface VirtualPhoneFixtureOptions {
  name?: string;
  /** Rooted (default true). */
  root?: boolean;
  /** Run the daemon as its own process (testbed/phone/main.ts) instead of in this one. */
  process?: boolean;
  rebootMs?: number;
  bootCompletedMs?: number;
  /** More options for the in-process daemon (apps, props, model...). */
  phone?: Partial<VirtualPhoneOptions>;
  /** How long to wait for adb to report the phone as `device`. Default 20 s. */
  connectTimeoutMs?: number;
  /** More adb public key files the phone authorizes (`--adb-key`; `process: true` only). */
  adbKeyFiles?: string[];
}

export interface VirtualPhoneFixture {
  name: string;
  /** The phone's network namespace. */
  netns: string;
  /** The namespace at the other end of wlan0 and rmnet0 (the access networks). */
  peerNetns: string;
  /** The phone's folder on the host (state.json, root/). */
  dir: string;
  port: number;
  /** adb's name for it: 127.0.0.1:PORT. */
  serial: string;
  /** Where a path of the phone (e.g. /sdcard/x.pcap) lives on the host. */
  hostPath(phonePath: string): string;
  /** The in-process daemon (undefined with `process: true`). */
  phone: VirtualPhone | undefined;
  /** The daemon's process (with `process: true`). */
  child: ChildProcess | undefined;
  /** `adb -s SERIAL ARGS...`; never rejects: look at exitCode. */
  adb(...args: string[]): Promise<Result<{ reject: false }>>;
  /** `adb -s SERIAL shell COMMAND` (shell protocol v2: exit status, stderr apart). */
  shell(command: string): Promise<Result<{ reject: false }>>;
  /** Polls `adb get-state` until it prints `state` (default: device). */
  waitForState(state?: string, timeoutMs?: number): Promise<void>;
  /** Polls `adb get-state` until the phone is no longer `device` (after a reboot, a kill). */
  waitForGone(timeoutMs?: number): Promise<void>;
  /** Polls `getprop sys.boot_completed` until it is 1. */
  waitForBoot(timeoutMs?: number): Promise<void>;
  /** SIGKILLs the daemon process (`process: true` only). */
  kill(): Promise<void>;
  /** Starts the daemon again on the same port and folder (after kill() or stop). */
  restart(): Promise<void>;
  teardown(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('../../testbed/phone/main.ts', import.meta.url));

async function makeNetwork(netns: string, peer: string): Promise<void> {
  await addNetns(netns);
  await addNetns(peer);
  const { wifi, cellular } = PHONE_ADDRESSES;
  await vethPair({ netns, ifname: 'wlan0', cidr: `${wifi.phone}/${wifi.prefix}` }, { netns: peer, ifname: 'wifi0', cidr: `${wifi.peer}/${wifi.prefix}` });
  await vethPair({ netns, ifname: 'rmnet0', cidr: `${cellular.phone}/${cellular.prefix}` }, { netns: peer, ifname: 'cell0', cidr: `${cellular.peer}/${cellular.prefix}` });
  await ip(netns, ['route', 'add', 'default', 'via', wifi.peer, 'dev', 'wlan0', 'metric', '100']);
  await ip(netns, ['route', 'add', 'default', 'via', cellular.peer, 'dev', 'rmnet0', 'metric', '200']);
  for (const [iface, a] of [['wlan0', wifi], ['rmnet0', cellular]] as const) {
    await ip(netns, ['route', 'add', 'default', 'via', a.peer, 'dev', iface, 'table', String(a.table)]);
    await ip(netns, ['rule', 'add', 'from', a.phone, 'lookup', String(a.table), 'priority', '1000']);
  }
}

/** Starts main.ts and resolves with the child and its port once it prints its "listening" line. */
async function startProcess(options: { name: string; netns: string; dir: string; port?: number; root: boolean; rebootMs?: number; bootCompletedMs?: number; adbKeyFiles?: string[] }): Promise<{ child: ChildProcess; port: number }> {
  const args = ['--import', 'tsx', MAIN, '--name', options.name, '--netns', options.netns, '--dir', options.dir];
  if (options.port) args.push('--port', String(options.port));
  if (!options.root) args.push('--no-root');
  if (options.rebootMs !== undefined) args.push('--reboot-ms', String(options.rebootMs));
  if (options.bootCompletedMs !== undefined) args.push('--boot-completed-ms', String(options.bootCompletedMs));
  for (const file of options.adbKeyFiles ?? []) args.push('--adb-key', file);
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MPLAB_LOG_FORMAT: 'json' } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const port = listeningPort(out);
      if (port !== null) resolve(port);
    });
    child.on('exit', (code, signal) => reject(new Error(`virtual phone process exited (${code ?? signal}): ${stderr.trim()}`)));
  });
  return { child, port };
}

export async function createVirtualPhone(options: VirtualPhoneFixtureOptions = {}): Promise<VirtualPhoneFixture> {
  const prefix = testPrefix();
  const name = options.name ?? 'vphone';
  const netns = `${prefix}phone`;
  const peerNetns = `${prefix}net`;
  const root = options.root ?? true;
  const dir = await mkdtemp(path.join(tmpdir(), 'mplabt-phone-'));
  let phone: VirtualPhone | undefined;
  let child: ChildProcess | undefined;
  let port = 0;

  const adb = (...args: string[]) => execa('adb', ['-s', `127.0.0.1:${port}`, ...args], { reject: false, timeout: 60_000 });

  const start = async () => {
    if (options.process) {
      const started = await startProcess({ name, netns, dir, port: port || undefined, root, rebootMs: options.rebootMs, bootCompletedMs: options.bootCompletedMs, adbKeyFiles: options.adbKeyFiles });
      child = started.child;
      port = started.port;
    } else {
      phone = await startVirtualPhone({ rebootMs: options.rebootMs, bootCompletedMs: options.bootCompletedMs, ...options.phone, name, netns, dir, root, port: port || undefined });
      port = phone.port;
    }
  };

  const fixture: VirtualPhoneFixture = {
    name,
    netns,
    peerNetns,
    dir,
    get port() {
      return port;
    },
    get serial() {
      return `127.0.0.1:${port}`;
    },
    get phone() {
      return phone;
    },
    get child() {
      return child;
    },
    hostPath: (phonePath) => path.join(dir, 'root', path.posix.normalize(`/${phonePath}`)),
    adb,
    shell: (command) => adb('shell', command),
    async waitForState(state = 'device', timeoutMs = options.connectTimeoutMs ?? 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        const r = await adb('get-state');
        last = `${r.stdout}${r.stderr}`.trim();
        if (r.exitCode === 0 && r.stdout.trim() === state) return;
        await sleep(200);
      }
      throw new Error(`${fixture.serial}: adb did not report "${state}" within ${timeoutMs} ms (last: ${last})`);
    },
    async waitForGone(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const r = await adb('get-state');
        if (r.exitCode !== 0 || r.stdout.trim() !== 'device') return;
        await sleep(100);
      }
      throw new Error(`${fixture.serial}: adb still reports "device" after ${timeoutMs} ms`);
    },
    async waitForBoot(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const r = await adb('shell', 'getprop sys.boot_completed');
        if (r.exitCode === 0 && r.stdout.trim() === '1') return;
        await sleep(200);
      }
      throw new Error(`${fixture.serial}: sys.boot_completed did not become 1 within ${timeoutMs} ms`);
    },
    async kill() {
      if (!child) throw new Error('kill() needs a phone started with process: true');
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      child = undefined;
    },
    async restart() {
      if (phone) await phone.stop();
      phone = undefined;
      await start();
    },
    async teardown() {
      if (port) await execa('adb', ['disconnect', `127.0.0.1:${port}`], { reject: false });
      await phone?.stop().catch(() => undefined);
      if (child?.pid !== undefined && child.exitCode === null) await terminate(child.pid, 'SIGTERM', 10_000);
      await deleteNetns(netns);
      await deleteNetns(peerNetns);
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    // the phone authorizes this user's adb key, which the adb server makes when it first starts
    const noKey = await ensureUserAdbKey();
    if (noKey) throw new Error(noKey);
    await makeNetwork(netns, peerNetns);
    await start();
    const problem = await attachToAdb(fixture.serial, log('test', { phone: name }), options.connectTimeoutMs ?? 20_000);
    if (problem) throw new Error(problem);
    await fixture.waitForBoot();
  } catch (error) {
    await fixture.teardown();
    throw error;
  }
  return fixture;
}
