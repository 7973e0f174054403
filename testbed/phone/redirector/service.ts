import type { ChildProcess } from 'node:child_process';
import { onLines } from '../../../common/lines.js';
import type { Logger } from '../../../common/log.js';
import type { LogPriority } from '../logcat.js';
import { NODE, PHONE_LIB } from '../paths.js';
import type { PhoneSandbox } from '../sandbox.js';
import { installAppRoute } from './app-route.js';
import { installRedirect, REDIRECTOR_PORT } from './nft.js';

/**
 * The daemon's side of the phone's proxy client: the apps' route, the firewall rule, and the redirector process
 * (as the system user, uid 1000, so that its own connections are not redirected), started at
 * boot and started again if it dies while the phone runs.
 */
export const SYSTEM_UID = 1000;
/** system and inet (Android's network permission group). */
const SYSTEM_GROUPS = [1000, 3003];

export interface RedirectorServiceOptions {
  sandbox: PhoneSandbox;
  netns: string;
  proxy: { host: string; port: number };
  logger: Logger;
  /** A line of the redirector's for the phone's log. */
  log: (priority: LogPriority, message: string, pid: number) => void;
}

export class RedirectorService {
  private child: ChildProcess | undefined;
  private running = false;
  private restart: NodeJS.Timeout | undefined;

  constructor(private readonly options: RedirectorServiceOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Installs the route and the rule and starts the process; resolves once it listens. */
  async start(): Promise<void> {
    this.running = true;
    await installAppRoute(this.options.netns);
    await installRedirect(this.options.netns, REDIRECTOR_PORT, this.options.proxy);
    await this.spawn();
  }

  private spawn(): Promise<void> {
    const { sandbox, proxy, logger } = this.options;
    const argv = [NODE, `${PHONE_LIB}/redirector.mjs`, '--listen', `127.0.0.1:${REDIRECTOR_PORT}`, '--proxy', `${proxy.host}:${proxy.port}`, '--addon', `${PHONE_LIB}/mptcp_socket.node`];
    const child = sandbox.spawnNow(argv, { uid: SYSTEM_UID, groups: SYSTEM_GROUPS, env: { PATH: '/system/bin' }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    const pid = child.pid ?? 0;
    let err = '';
    onLines(child.stderr!, (line) => {
      err = `${err}${line}\n`.slice(-2000);
      const priority = /^[DWE] /.test(line) ? (line[0] as LogPriority) : 'E';
      this.options.log(priority, /^[DWE] /.test(line) ? line.slice(2) : line, pid);
    });
    child.stdin!.on('error', () => undefined);
    const ready = new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('ready')) resolve();
      });
      child.once('exit', (code, signal) => reject(new Error(`the redirector exited (${signal ?? code}) before it listened: ${err.trim()}`)));
    });
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (!this.running) return;
      logger.warn({ code, signal }, 'the redirector died: starting it again');
      this.restart = setTimeout(() => void this.spawn().catch((error: Error) => logger.error({ err: error.message }, 'the redirector did not start')), 1000);
    });
    return ready;
  }

  /** Stops the process (the rule stays: apps' connections are then refused, as with a proxy client that is not running). */
  stop(): void {
    this.running = false;
    clearTimeout(this.restart);
    const child = this.child;
    this.child = undefined;
    try {
      child?.kill('SIGKILL');
    } catch {
      // gone already
    }
  }
}
