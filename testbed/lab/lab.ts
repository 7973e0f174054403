import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { log } from '../../common/log.js';
import { REPO_ROOT } from '../../common/paths.js';
import { sendControl, type ControlAnswer } from '../link/control.js';
import type { DaemonConfig } from '../link/daemon.js';
import type { LinkChange, LinkSpec, LinkStatus } from '../link/emulator.js';
import { deleteNetns, listNetns } from '../netns.js';
import { exitStatus } from '../phone/packets.js';
import { createNamespaces, listening, wireCore, wirePhone } from './network.js';
import { DEFAULT_LAB_NAME, LabError, labNamespaces, labPlan, LINK_KINDS, type LabPlan, type LinkKind } from './plan.js';
import { isRunning, startInNetns, stopProcess, waitReady } from './processes.js';
import { DEFAULT_PROFILE, loadProfile, type MptcpMode, type PhoneProfile } from './profile.js';
import { attachToAdb, DEFAULT_ADB_PORT_BASE, ensureUserAdbKey, startPhoneDaemon, stopPhoneDaemon } from './phones.js';
import { startProxy } from './proxy.js';
import { makeStateDir, readState, removeStateDir, stateDir, writeState, type LabState } from './state.js';

/**
 * The virtual lab's life cycle: up (after removing what a crashed lab left), down (always
 * leaves nothing), status, exec in a phone, and changes to a running link.
 */
export interface UpOptions {
  name?: string;
  phones?: number;
  profile?: string;
  /** overrides the profile's mode for every phone */
  mode?: MptcpMode;
  /** overrides the profile's default route for every phone */
  defaultRoute?: LinkKind;
  /** start the SOCKS proxy (default true) */
  proxy?: boolean;
  /** the proxy's connection log (default: proxy-connections.jsonl in the state folder, which `lab down` removes) */
  proxyLog?: string;
  /** phone k's adb daemon listens on 127.0.0.1:(base + k); 0 = any free ports (default 6600) */
  adbPortBase?: number;
  /** run `adb connect` for each phone (default true) */
  adbConnect?: boolean;
}

export function labName(name?: string): string {
  return name ?? process.env.MPLAB_LAB ?? DEFAULT_LAB_NAME;
}

const LINKD = join(REPO_ROOT, 'testbed', 'bin', 'linkd.js');
const ORIGIN = join(REPO_ROOT, 'testbed', 'bin', 'origin.js');

export async function labUp(options: UpOptions = {}): Promise<LabStatus> {
  const name = labName(options.name);
  const profileFile = options.profile ?? DEFAULT_PROFILE;
  const profile = loadProfile(profileFile);
  const plan = labPlan(name, options.phones ?? 1);
  const logger = log('lab', { lab: name });
  const removed = await labDown(name);
  if (removed.namespaces.length > 0 || removed.processes > 0) logger.warn(removed, 'removed the leftovers of an earlier lab of this name');
  const dir = makeStateDir(name);
  // each phone's profile settings with the options' overrides, looked up once
  const settings: PhoneProfile[] = plan.phones.map((p) => {
    const fromProfile = profile.phone(p.name);
    return { ...fromProfile, mode: options.mode ?? fromProfile.mode, defaultRoute: options.defaultRoute ?? fromProfile.defaultRoute };
  });
  const state: LabState = {
    name,
    createdAt: Date.now() / 1000,
    profile: profile.file,
    phones: plan.phones.map((p, i) => ({ name: p.name, mode: settings[i].mode, defaultRoute: settings[i].defaultRoute })),
    processes: {},
    proxyLog: null,
    control: join(dir, 'linkd.sock'),
  };
  try {
    writeState(state);
    await createNamespaces(plan);
    await wireCore(plan);
    for (const [i, phone] of plan.phones.entries()) await wirePhone(plan, phone, settings[i]);
    logger.debug('network built');

    const links: LinkSpec[] = plan.phones.flatMap((phone, i) =>
      LINK_KINDS.map((kind) => {
        const { up, down, outage } = settings[i][kind];
        return { name: phone[kind].linkName, devices: phone[kind].tun, up, down, outage };
      }),
    );
    const config: DaemonConfig = { control: state.control, links };
    const configFile = join(dir, 'linkd.json');
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    state.processes.linkd = startInNetns(plan.netns.links, [process.execPath, LINKD, configFile], join(dir, 'linkd.log'), LINKD, REPO_ROOT);
    writeState(state);
    await waitReady(state.processes.linkd, 'the link daemon', async () => existsSync(state.control) && (await sendControl(state.control, { op: 'status' }).then(() => true, () => false)));

    // every address of the origin namespace: its own and the apps' servers'
    const originArgv = [process.execPath, ORIGIN, '--host', '0.0.0.0', '--http', plan.origin.httpPorts.join(','), '--messaging', String(plan.origin.messagingPort)];
    state.processes.origin = startInNetns(plan.netns.origin, originArgv, join(dir, 'origin.log'), ORIGIN, REPO_ROOT);
    writeState(state);
    await waitReady(state.processes.origin, 'the origin', () => listening(plan.netns.origin, plan.origin.messagingPort));

    if (options.proxy ?? true) {
      const proxy = await startProxy(plan, dir, options.proxyLog);
      state.processes.proxy = proxy.record;
      state.proxyLog = proxy.log;
      writeState(state);
    }

    const portBase = options.adbPortBase ?? DEFAULT_ADB_PORT_BASE;
    const noKey = await ensureUserAdbKey();
    if (noKey) logger.warn(noKey);
    for (const [i, phone] of plan.phones.entries()) {
      state.phones[i].adb = await startPhoneDaemon(phone, dir, portBase === 0 ? 0 : portBase + phone.index, profile.adbKeys, { control: state.control, profile: state.profile });
      writeState(state);
    }
    if (options.adbConnect ?? true) {
      for (const phone of state.phones) {
        const problem = await attachToAdb(phone.adb!.serial, logger);
        if (problem) logger.warn({ phone: phone.name }, problem);
      }
    }
    logger.info({ phones: plan.phones.length, profile: profile.file, proxy: Boolean(state.processes.proxy) }, 'lab up');
    return await labStatus(name);
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'lab up failed: removing what was built');
    await labDown(name);
    throw err;
  }
}

export interface DownResult {
  namespaces: string[];
  processes: number;
}

/** Stops the lab's processes, deletes its namespaces and its state folder. Safe to run any time. */
export async function labDown(nameOption?: string): Promise<DownResult> {
  const name = labName(nameOption);
  labPlan(name, 1); // validates the name
  const state = readState(name);
  let processes = 0;
  for (const phone of state?.phones ?? []) {
    if (phone.adb && isRunning(phone.adb)) processes += 1;
    if (phone.adb) await stopPhoneDaemon(phone.adb);
  }
  for (const record of Object.values(state?.processes ?? {})) {
    if (record && isRunning(record)) {
      processes += 1;
      await stopProcess(record);
    }
  }
  const namespaces = labNamespaces(name, await listNetns(name));
  // deleteNetns kills whatever still runs inside (also processes a crashed lab left unrecorded)
  await Promise.all(namespaces.map((ns) => deleteNetns(ns)));
  removeStateDir(name);
  return { namespaces, processes };
}

export interface PhoneStatus {
  name: string;
  netns: string;
  adb: string | null;
  mode: MptcpMode;
  defaultRoute: LinkKind;
  wifi: { ip: string; iface: string; gateway: string; link: LinkStatus | null };
  cellular: { ip: string; iface: string; gateway: string; link: LinkStatus | null };
}

export interface LabStatus {
  name: string;
  running: boolean;
  stateDir: string;
  profile: string | null;
  createdAt: number | null;
  phones: PhoneStatus[];
  proxy: { netns: string; socks: string; running: boolean; log: string | null };
  origin: { netns: string; http: string; https: string; messaging: string; running: boolean };
  links: { running: boolean; netns: string; control: string | null };
  problems: string[];
}

export async function labStatus(nameOption?: string): Promise<LabStatus> {
  const name = labName(nameOption);
  const state = readState(name);
  const existing = labNamespaces(name, await listNetns(name));
  const plan = labPlan(name, Math.max(1, state?.phones.length ?? 1));
  const problems: string[] = [];
  if (!state) {
    if (existing.length > 0) problems.push(`namespaces without lab state (a crashed lab?): ${existing.join(', ')}; \`mplab lab down\` removes them`);
    return {
      name,
      running: false,
      stateDir: stateDir(name),
      profile: null,
      createdAt: null,
      phones: [],
      ...services(plan, { proxy: false, origin: false }, null),
      links: { running: false, netns: plan.netns.links, control: null },
      problems,
    };
  }
  const expected = [plan.netns.links, plan.netns.proxy, plan.netns.origin, ...plan.phones.map((p) => p.netns)];
  for (const ns of expected) if (!existing.includes(ns)) problems.push(`namespace ${ns} is missing`);
  const alive = (key: 'linkd' | 'origin' | 'proxy'): boolean => {
    const record = state.processes[key];
    return record !== undefined && isRunning(record);
  };
  for (const key of ['linkd', 'origin'] as const) if (!alive(key)) problems.push(`${key === 'linkd' ? 'the link daemon' : 'the origin'} is not running`);
  for (const phone of state.phones) {
    if (phone.adb && !isRunning(phone.adb)) problems.push(`the adb daemon of ${phone.name} (${phone.adb.serial}) is not running; its log: ${phone.adb.log}`);
  }
  if (state.processes.proxy && !alive('proxy')) problems.push('the proxy is not running');
  let links: LinkStatus[] = [];
  if (alive('linkd')) {
    const answer: ControlAnswer = await sendControl(state.control, { op: 'status' }).catch((err: Error) => ({ ok: false as const, error: err.message }));
    if (answer.ok) links = answer.links;
    else problems.push(`link daemon: ${answer.error}`);
  }
  const linkStatus = (linkName: string): LinkStatus | null => links.find((l) => l.name === linkName) ?? null;
  return {
    name,
    running: problems.length === 0,
    stateDir: stateDir(name),
    profile: state.profile,
    createdAt: state.createdAt,
    phones: plan.phones.map((p, i) => ({
      name: p.name,
      netns: p.netns,
      adb: state.phones[i].adb?.serial ?? null,
      mode: state.phones[i].mode,
      defaultRoute: state.phones[i].defaultRoute,
      wifi: { ip: p.wifi.ip, iface: p.wifi.iface, gateway: p.wifi.gateway, link: linkStatus(p.wifi.linkName) },
      cellular: { ip: p.cellular.ip, iface: p.cellular.iface, gateway: p.cellular.gateway, link: linkStatus(p.cellular.linkName) },
    })),
    ...services(plan, { proxy: alive('proxy'), origin: alive('origin') }, state.proxyLog),
    links: { running: alive('linkd'), netns: plan.netns.links, control: state.control },
    problems,
  };
}

/** Where the lab's proxy and origin listen, from the plan, and whether they run. */
function services(plan: LabPlan, running: { proxy: boolean; origin: boolean }, proxyLog: string | null): Pick<LabStatus, 'proxy' | 'origin'> {
  const origin = (port: number): string => `${plan.origin.ip}:${port}`;
  const [http, https] = plan.origin.httpPorts;
  return {
    proxy: { netns: plan.netns.proxy, socks: `${plan.proxy.ip}:${plan.proxy.socksPort}`, running: running.proxy, log: proxyLog },
    origin: { netns: plan.netns.origin, http: origin(http), https: origin(https), messaging: origin(plan.origin.messagingPort), running: running.origin },
  };
}

function requireLab(name: string): { state: LabState; plan: LabPlan } {
  const state = readState(name);
  if (!state) throw new LabError(`no lab named ${name} is up (no ${stateDir(name)}/state.json); start one with \`mplab lab up\``);
  return { state, plan: labPlan(name, state.phones.length) };
}

function phoneOf(plan: LabPlan, phone: string) {
  const found = plan.phones.find((p) => p.name === phone);
  if (!found) throw new LabError(`no phone named ${JSON.stringify(phone)} in lab ${plan.name} (phones: ${plan.phones.map((p) => p.name).join(', ')})`);
  return found;
}

/** Runs a command inside a phone's namespace with the caller's stdio; resolves to its exit status (128 + N after signal N, as a shell reports it). */
export async function labExec(nameOption: string | undefined, phone: string, argv: readonly string[]): Promise<number> {
  const { plan } = requireLab(labName(nameOption));
  const target = phoneOf(plan, phone);
  if (argv.length === 0) throw new LabError('lab exec: expected a command after --');
  const child = spawn('ip', ['netns', 'exec', target.netns, ...argv], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(exitStatus(code, signal, constants.signals)));
  });
}

/** Changes a running link; new settings apply to packets from now on, traffic keeps going. */
export async function labLink(nameOption: string | undefined, phone: string, kind: LinkKind, change: LinkChange): Promise<LinkStatus> {
  const { state, plan } = requireLab(labName(nameOption));
  const target = phoneOf(plan, phone);
  const answer = await sendControl(state.control, { op: 'set', link: target[kind].linkName, ...change });
  if (!answer.ok) throw new LabError(`link ${target[kind].linkName}: ${answer.error}`);
  return answer.links[0];
}
