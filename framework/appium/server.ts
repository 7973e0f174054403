import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { promises as fs, openSync, closeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execaSync } from 'execa';
import type { Logger } from '../../common/log.js';
import { REPO_ROOT } from '../../common/paths.js';
import { processAlive, terminate } from '../../common/process.js';

/**
 * An Appium 3 server started by mplab: the `appium` package of the checkout, with APPIUM_HOME set to
 * the checkout so that the UiAutomator2 driver installed by npm (node_modules) is the one it finds;
 * nothing is installed or downloaded at run time. Where ANDROID_HOME is unset, the driver gets a
 * folder whose platform-tools/adb is the system's adb (the driver needs nothing else of an SDK).
 */

export interface AppiumServerOptions {
  /** The server's log (appium --log), created or appended to. */
  logFile: string;
  /** TCP port on 127.0.0.1; a free one when absent. */
  port?: number;
  /** Appium's log level for the file (debug shows every adb command the driver runs). Default debug. */
  logLevel?: 'info' | 'debug';
  /** Insecure features to allow (appium --allow-insecure), e.g. `uiautomator2:adb_shell` for `mobile: shell`. */
  allowInsecure?: string[];
  /** How long to wait for GET /status to answer. Default 60 s. */
  startTimeoutMs?: number;
  /**
   * Capabilities every session of this server gets (appium --default-capabilities), e.g.
   * `{"appium:adbPort": 5038}` for a server whose phones hang on the adb server at port 5038.
   */
  defaultCapabilities?: Record<string, unknown>;
  /** The server outlives the process that started it (mplab grid up); stop() still ends it. */
  detached?: boolean;
  logger?: Logger;
}

export interface AppiumServer {
  /** http://127.0.0.1:PORT (no base path). */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** Where the checkout's Appium and its extensions live. */
export const APPIUM_HOME = REPO_ROOT;

function appiumMain(): string {
  const require = createRequire(path.join(REPO_ROOT, 'package.json'));
  return path.join(path.dirname(require.resolve('appium/package.json')), 'index.js');
}

/** A free TCP port on 127.0.0.1 (the kernel's choice; a tiny race with other programs remains). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * ANDROID_HOME for the driver: the caller's when set, else a folder of the checkout's cache whose
 * platform-tools/adb links to the adb on PATH.
 */
export async function androidHome(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.ANDROID_HOME) return env.ANDROID_HOME;
  if (env.ANDROID_SDK_ROOT) return env.ANDROID_SDK_ROOT;
  const found = execaSync('sh', ['-c', 'command -v adb'], { reject: false });
  const adb = found.exitCode === 0 ? found.stdout.trim() : '';
  if (!adb) throw new Error('adb is not on PATH and ANDROID_HOME is unset: install Debian\'s adb (scripts/setup.sh) or set ANDROID_HOME to an SDK with platform-tools/adb');
  const home = path.join(REPO_ROOT, 'node_modules/.cache/mplab/android-sdk');
  const link = path.join(home, 'platform-tools/adb');
  await fs.mkdir(path.dirname(link), { recursive: true });
  const target = await fs.realpath(adb);
  const current = await fs.readlink(link).catch(() => undefined);
  if (current !== target) {
    const temp = `${link}.${process.pid}`;
    await fs.rm(temp, { force: true });
    await fs.symlink(target, temp);
    await fs.rename(temp, link);
  }
  return home;
}

/** Polls GET /status until it answers 200 with a JSON body; throws with the log's tail otherwise. */
async function waitReady(url: string, child: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    try {
      const response = await fetch(`${url}/status`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) {
        await response.json();
        return;
      }
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(100);
  }
  const tail = (await fs.readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
  const how = child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : `did not answer GET /status within ${timeoutMs} ms (last: ${last})`;
  throw new Error(`Appium server ${how}; the end of its log ${logFile}:\n${tail}`);
}

export async function startAppiumServer(options: AppiumServerOptions): Promise<AppiumServer> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  await fs.mkdir(path.dirname(path.resolve(options.logFile)), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, APPIUM_HOME, ANDROID_HOME: await androidHome() };
  delete env.ANDROID_SDK_ROOT;
  const level = options.logLevel ?? 'debug';
  const args = [appiumMain(), 'server', '--address', '127.0.0.1', '--port', String(port), '--log', path.resolve(options.logFile), '--log-level', `error:${level}`, '--log-timestamp', '--log-no-colors'];
  if (options.allowInsecure?.length) args.push('--allow-insecure', options.allowInsecure.join(','));
  if (options.defaultCapabilities) args.push('--default-capabilities', JSON.stringify(options.defaultCapabilities));
  // The console gets errors only (the file has everything); stdout and stderr go to the log too when Appium dies early.
  const out = openSync(path.resolve(options.logFile), 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, { env, cwd: REPO_ROOT, stdio: ['ignore', out, out], detached: options.detached ?? false });
    if (options.detached) child.unref();
  } finally {
    closeSync(out);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('the Appium server process could not be started');
  options.logger?.debug({ pid, port, logFile: options.logFile }, 'Appium server starting');
  try {
    await waitReady(url, child, options.startTimeoutMs ?? 60_000, options.logFile);
  } catch (error) {
    await terminate(pid, 'SIGKILL', 2000);
    throw error;
  }
  options.logger?.info({ pid, url }, 'Appium server ready');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    port,
    pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null && processAlive(pid)) {
        await terminate(pid, 'SIGTERM', 10_000);
        await Promise.race([exited, sleep(1000)]);
      }
    },
  };
}
