import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { openSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { UserError } from '../common/errors.js';
import { log } from '../common/log.js';
import { commandLine, terminate } from '../common/process.js';

/**
 * tcpdump captures into named files, one process per interface, started inside a network
 * namespace when one is given. Stopping returns tcpdump's own counters (captured, received by the
 * filter, dropped by the kernel) so that every trace records how many packets it lost.
 *
 * Two ways to use it:
 * - `startCapture` / `startCaptureSet` in a long-running process (the framework, per test): stop()
 *   on the handle.
 * - detached (`mplab capture start` / `stop` as separate commands, e.g. on a real lab's proxy host):
 *   the capture set's manifest `DIR/NAME.capture.json` holds the tcpdump pids while it runs and the
 *   counters once stopped, so any later process can stop it with `stopCaptureSet(manifest)`.
 * While tcpdump runs, its stderr goes to `<pcap>.log` (removed at stop; its messages are kept in the
 * manifest).
 */
export interface CaptureOptions {
  file: string;
  /** an interface name, or "any" (Linux cooked v2 headers) */
  iface?: string;
  netns?: string;
  /** bytes kept of each packet; the TCP/MPTCP headers and a SOCKS request fit in the default */
  snaplen?: number;
  /** a BPF filter expression, passed to tcpdump as one argument */
  filter?: string;
  /** kernel capture buffer in KiB (tcpdump -B); larger buffers drop less under bursts */
  bufferKiB?: number;
}

export interface CaptureStats {
  file: string;
  captured: number;
  receivedByFilter: number;
  droppedByKernel: number;
  droppedByInterface: number | null;
}

export interface Capture {
  readonly file: string;
  readonly pid: number;
  stop(): Promise<CaptureStats>;
}

export const DEFAULT_SNAPLEN = 256;
export const DEFAULT_BUFFER_KIB = 8192;

export function tcpdumpArgs(opts: CaptureOptions): string[] {
  const iface = opts.iface ?? 'any';
  const args = ['-i', iface, '-s', String(opts.snaplen ?? DEFAULT_SNAPLEN), '-B', String(opts.bufferKiB ?? DEFAULT_BUFFER_KIB)];
  // immediate mode: without it, packets still in the ring's current block are lost at SIGINT
  args.push('--immediate-mode', '-n', '-Z', 'root', '-w', opts.file);
  if (iface === 'any') args.push('-y', 'LINUX_SLL2');
  if (opts.filter) args.push(opts.filter);
  return args;
}

export function parseTcpdumpStats(stderr: string): Omit<CaptureStats, 'file'> | null {
  const num = (re: RegExp): number | null => {
    const m = re.exec(stderr);
    return m ? Number(m[1]) : null;
  };
  const captured = num(/(\d+) packets? captured/);
  const received = num(/(\d+) packets? received by filter/);
  const kernel = num(/(\d+) packets? dropped by kernel/);
  if (captured === null || received === null || kernel === null) return null;
  return { captured, receivedByFilter: received, droppedByKernel: kernel, droppedByInterface: num(/(\d+) packets? dropped by interface/) };
}

/** tcpdump's stderr without the start banner and the counters: warnings and errors worth keeping. */
function tcpdumpMessages(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^tcpdump: (listening on|verbose output suppressed)/.test(l) && !/^\d+ packets? (captured|received by filter|dropped by)/.test(l));
}

const execFileP = promisify(execFile);
const logFileOf = (pcap: string): string => `${pcap}.log`;

interface Launched {
  pid: number;
  /** the child process and its exit, when this process started it undetached */
  child?: { process: ChildProcess; exited: Promise<void> };
}

/** Starts tcpdump with stderr into `<file>.log`; resolves once it listens. */
async function launch(opts: CaptureOptions, detached: boolean): Promise<Launched> {
  await mkdir(dirname(opts.file), { recursive: true });
  const logFile = logFileOf(opts.file);
  const [cmd, args] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, 'tcpdump', ...tcpdumpArgs(opts)]] : ['tcpdump', tcpdumpArgs(opts)];
  const fd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    // stderr straight into the file, so that a detached tcpdump keeps reporting after we are gone
    child = spawn(cmd, args as string[], { stdio: ['ignore', 'ignore', fd], detached });
  } finally {
    closeSync(fd);
  }
  let exitedWith: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedWith = String(code ?? signal);
      resolve();
    });
    child.once('error', (err) => {
      exitedWith = err.message;
      resolve();
    });
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    // whether it had exited is noted before the log is read: an exit seen after the read may have
    // come with its message right after the read (seen under load: an empty reason)
    const ended = exitedWith !== undefined;
    const stderr = await readFile(logFile, 'utf8').catch(() => '');
    if (/listening on/.test(stderr)) break;
    if (ended || Date.now() > deadline) {
      if (exitedWith === undefined) child.kill('SIGKILL');
      await rm(logFile, { force: true });
      throw new Error(`tcpdump exited (${exitedWith ?? 'no start within 10 s'}) before capturing: ${stderr.trim()}`);
    }
    await sleep(25);
  }
  if (child.pid === undefined) throw new Error(`tcpdump for ${opts.file} has no pid`);
  if (detached) {
    child.unref();
    return { pid: child.pid };
  }
  attached.add(child);
  void exited.then(() => attached.delete(child));
  return { pid: child.pid, child: { process: child, exited } };
}

/** Captures started undetached end with this process, even when it ends without stopping them. */
const attached = new Set<ChildProcess>();
process.once('exit', () => attached.forEach((child) => child.kill('SIGINT')));

/** Stops one tcpdump (SIGINT), waits for it, and reads its counters from its log. */
async function finish(file: string, launched: Launched): Promise<{ stats: CaptureStats | null; messages: string[] }> {
  const { pid, child } = launched;
  if (child) {
    child.process.kill('SIGINT');
    await child.exited;
  } else {
    await terminate(pid, 'SIGINT', 15_000, () => isOurTcpdump(pid, file));
  }
  const stderr = await readFile(logFileOf(file), 'utf8').catch(() => '');
  await rm(logFileOf(file), { force: true });
  const parsed = parseTcpdumpStats(stderr);
  return { stats: parsed ? { file, ...parsed } : null, messages: tcpdumpMessages(stderr) };
}

/** A pid that still belongs to the tcpdump writing `file` (pids are reused). */
function isOurTcpdump(pid: number, file: string): boolean {
  const argv = commandLine(pid);
  return argv !== null && argv.includes('tcpdump') && argv.includes(file);
}

/** One capture in this process; stop() returns tcpdump's counters. */
export async function startCapture(opts: CaptureOptions): Promise<Capture> {
  const logger = log('capture', { file: opts.file, netns: opts.netns, iface: opts.iface ?? 'any' });
  const launched = await launch(opts, false);
  logger.debug({ args: tcpdumpArgs(opts) }, 'capture started');
  return {
    file: opts.file,
    pid: launched.pid,
    async stop() {
      const { stats, messages } = await finish(opts.file, launched);
      if (!stats) throw new Error(`tcpdump for ${opts.file} ended without its counters: ${messages.join(' ')}`);
      logger.info(stats, 'capture stopped');
      return stats;
    },
  };
}

/** The manifest of a named capture set: `DIR/NAME.capture.json`. */
export interface CaptureManifest {
  name: string;
  netns: string | null;
  snaplen: number;
  bufferKiB: number;
  filter: string | null;
  status: 'running' | 'stopped';
  /** epoch seconds */
  started: number;
  stopped: number | null;
  captures: {
    iface: string;
    file: string;
    pid: number;
    captured: number | null;
    receivedByFilter: number | null;
    droppedByKernel: number | null;
    droppedByInterface: number | null;
    /** what tcpdump said besides its banner and counters (warnings, errors) */
    messages: string[];
  }[];
}

export interface CaptureSetOptions {
  dir: string;
  /** names the files: NAME.pcap for one interface, NAME-IFACE.pcap for several; [A-Za-z0-9_.-] */
  name: string;
  netns?: string;
  /**
   * interfaces to capture on, one tcpdump (and one file) each; default ["any"] (one file for all,
   * Linux cooked headers); ["all"] means every interface of the namespace but lo, one file each
   */
  ifaces?: string[];
  snaplen?: number;
  filter?: string;
  bufferKiB?: number;
  /** tcpdump outlives this process; stop it later with stopCaptureSet(manifest) */
  detached?: boolean;
}

export interface CaptureSet {
  readonly manifest: string;
  readonly files: string[];
  stop(): Promise<CaptureManifest>;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$/;

export function manifestPath(dir: string, name: string): string {
  return join(dir, `${name}.capture.json`);
}

export function captureFiles(dir: string, name: string, ifaces: string[]): string[] {
  return ifaces.length === 1 ? [join(dir, `${name}.pcap`)] : ifaces.map((iface) => join(dir, `${name}-${iface}.pcap`));
}

export async function startCaptureSet(opts: CaptureSetOptions): Promise<CaptureSet> {
  if (!NAME.test(opts.name)) throw new UserError(`capture name ${JSON.stringify(opts.name)}: expected letters, digits, "_", "." or "-"`);
  let ifaces = opts.ifaces?.length ? opts.ifaces : ['any'];
  if (ifaces.length === 1 && ifaces[0] === 'all') ifaces = await interfacesOf(opts.netns);
  if (ifaces.length === 0) throw new UserError(`no interfaces to capture on${opts.netns ? ` in ${opts.netns}` : ''} (all but lo)`);
  if (new Set(ifaces).size !== ifaces.length) throw new UserError(`interfaces ${ifaces.join(',')}: each may appear once`);
  const manifest = manifestPath(opts.dir, opts.name);
  const previous = await readManifest(manifest).catch(() => undefined);
  if (previous?.status === 'running') throw new UserError(`${manifest}: capture "${opts.name}" is already running; stop it first`);
  const files = captureFiles(opts.dir, opts.name, ifaces);
  const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  const bufferKiB = opts.bufferKiB ?? DEFAULT_BUFFER_KIB;
  const launched: Launched[] = [];
  try {
    for (const [i, iface] of ifaces.entries()) {
      launched.push(await launch({ file: files[i], iface, netns: opts.netns, snaplen, bufferKiB, filter: opts.filter }, opts.detached ?? false));
    }
  } catch (err) {
    await Promise.all(launched.map((l, i) => finish(files[i], l)));
    throw err;
  }
  const state: CaptureManifest = {
    name: opts.name,
    netns: opts.netns ?? null,
    snaplen,
    bufferKiB,
    filter: opts.filter ?? null,
    status: 'running',
    started: Date.now() / 1000,
    stopped: null,
    captures: ifaces.map((iface, i) => ({
      iface,
      file: files[i],
      pid: launched[i].pid,
      captured: null,
      receivedByFilter: null,
      droppedByKernel: null,
      droppedByInterface: null,
      messages: [],
    })),
  };
  await writeManifest(manifest, state);
  log('capture', { name: opts.name, netns: opts.netns }).info({ files, snaplen }, 'capture started');
  return { manifest, files, stop: () => stopCaptureSet(manifest, launched) };
}

/** Stops a running capture set (started by this or any other process) and records its counters. */
export async function stopCaptureSet(manifest: string, launched?: Launched[]): Promise<CaptureManifest> {
  let state: CaptureManifest;
  try {
    state = await readManifest(manifest);
  } catch (err) {
    throw new UserError(`${manifest}: no capture manifest to stop (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (state.status !== 'running') throw new UserError(`${manifest}: capture "${state.name}" was already stopped`);
  const results = await Promise.all(state.captures.map((c, i) => finish(c.file, launched?.[i] ?? { pid: c.pid })));
  state.captures = state.captures.map((c, i) => {
    const { stats, messages } = results[i];
    return {
      ...c,
      captured: stats?.captured ?? null,
      receivedByFilter: stats?.receivedByFilter ?? null,
      droppedByKernel: stats?.droppedByKernel ?? null,
      droppedByInterface: stats?.droppedByInterface ?? null,
      messages: stats ? messages : [...messages, 'tcpdump ended before it was stopped: counters unknown'],
    };
  });
  state.status = 'stopped';
  state.stopped = Date.now() / 1000;
  await writeManifest(manifest, state);
  const logger = log('capture', { name: state.name, netns: state.netns });
  for (const c of state.captures) {
    if (c.captured === null || (c.droppedByKernel ?? 0) > 0) logger.warn({ file: c.file, dropped: c.droppedByKernel, messages: c.messages }, 'capture incomplete');
    else logger.info({ file: c.file, captured: c.captured }, 'capture stopped');
  }
  return state;
}

/** The interfaces of a namespace (or of this host), lo left out. */
export async function interfacesOf(netns?: string): Promise<string[]> {
  const { stdout } = await execFileP('ip', [...(netns ? ['-n', netns] : []), '-j', 'link', 'show']);
  return (JSON.parse(stdout) as { ifname: string }[]).map((link) => link.ifname).filter((name) => name !== 'lo');
}

export async function readManifest(file: string): Promise<CaptureManifest> {
  return JSON.parse(await readFile(file, 'utf8')) as CaptureManifest;
}

async function writeManifest(file: string, state: CaptureManifest): Promise<void> {
  // write then rename, so that a reader never sees half a manifest
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}
