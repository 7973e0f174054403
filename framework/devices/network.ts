import { setTimeout as sleep } from 'node:timers/promises';
import { defaultRuleCommand, PHONE_POLICY, sourceRouteCommands } from '../../common/phone-policy.js';
import { airplaneCommands, airplaneNeedsRoot, dataCommand, mobileDataAlwaysOnCommand, wifiCommand, type Argv, type OnOff } from './android-commands.js';
import type { Device } from './device.js';
import { PhoneOpError } from './errors.js';
import { describeIface, describeRoute, ipv4Address, readNetState, type NetState } from './net-state.js';
import { shCommand } from './quote.js';
import { commandOutput } from './shell.js';

/**
 * `mplab device <id> net`: WiFi, mobile data, airplane mode and the default route, with the
 * command each SDK level understands; cellular is kept up while WiFi is on
 * (mobile_data_always_on) so that MPTCP has its second path; on a rooted phone each interface
 * gets a policy route (source address -> its own table) so that a subflow bound to an address
 * leaves by that address's interface. Then waits until the phone shows the change (interfaces
 * up with an address or without one, the default route on the requested interface), or fails
 * with what it saw.
 */
export type DefaultIface = 'wifi' | 'cellular';

export interface NetRequest {
  wifi?: OnOff;
  data?: OnOff;
  airplane?: OnOff;
  default?: DefaultIface;
  /** How long to wait for the change to show (default 30 s). */
  timeoutMs?: number;
  /** The phone's network as it is now, when the caller has just read it (saves reading it again). */
  current?: NetState;
}

export interface NetResult {
  actions: string[];
  state: NetState;
  summary: string;
  waitedMs: number;
}

/** "cannot": the phone cannot do it at all (no root); "failed": it tried and did not get there. */
export class NetChangeError extends PhoneOpError {}

export interface Goals {
  wifi?: OnOff;
  data?: OnOff;
  default?: DefaultIface;
}

/** What the request means for the interfaces once it has taken effect. */
export function goalsOf(req: NetRequest): Goals {
  const goals: Goals = {};
  if (req.airplane === 'on') {
    goals.wifi = req.wifi ?? 'off';
    goals.data = 'off';
  }
  if (req.wifi) goals.wifi = req.wifi;
  if (req.data) goals.data = req.data;
  if (req.default) goals.default = req.default;
  return goals;
}

/** The goals not yet met, each as a sentence saying what was seen. */
export function unmetGoals(state: NetState, goals: Goals): string[] {
  const unmet: string[] = [];
  const check = (side: 'wifi' | 'cellular', want: OnOff | undefined, label: string): void => {
    if (!want) return;
    const v = state[side];
    const on = v.present && v.up && v.ipv4.length > 0;
    if (want === 'on' && !on) unmet.push(`${label} on: want ${v.name} up with an IPv4 address, saw ${describeIface(v)}`);
    if (want === 'off' && v.ipv4.length > 0 && v.up) unmet.push(`${label} off: want ${v.name} down or without address, saw ${describeIface(v)}`);
  };
  check('wifi', goals.wifi, 'WiFi');
  check('cellular', goals.data, 'mobile data');
  if (goals.default) {
    const want = state[goals.default].name;
    if (state.route?.dev !== want) unmet.push(`default route on ${want}: saw ${describeRoute(state)}`);
  }
  return unmet;
}

/** Commands for the toggles, in order: airplane, WiFi, data. */
export function toggleCommands(sdk: number, req: NetRequest): Argv[] {
  const out: Argv[] = [];
  if (req.airplane) out.push(...airplaneCommands(sdk, req.airplane));
  if (req.wifi) out.push(wifiCommand(sdk, req.wifi));
  if (req.data) out.push(dataCommand(sdk, req.data));
  return out;
}

/**
 * The root script that installs mplab's policy routing from the current state: for each
 * interface with an IPv4 address, table T gets its default route and "from ADDR lookup T"; for
 * `def`, "from all lookup T" sends everything else there. Old mplab rules are removed first, so
 * the script can be run again after an address changed.
 */
export function policyRouteScript(state: NetState, def: DefaultIface | undefined): { script: string; problems: string[] } {
  const lines: string[] = [];
  const problems: string[] = [];
  const clear = (priority: number): string => `while ip rule del priority ${priority} 2>/dev/null; do :; done`;
  for (const side of ['wifi', 'cellular'] as const) {
    const { table, priority } = PHONE_POLICY[side];
    const v = state[side];
    lines.push(clear(priority));
    const addr = ipv4Address(v);
    if (!addr || !v.up) continue;
    const gw = gatewayOf(state, v.name);
    lines.push(shCommand(['ip', 'route', 'flush', 'table', String(table)]) + ' 2>/dev/null; true');
    for (const argv of sourceRouteCommands(side, { iface: v.name, address: addr, gateway: gw })) lines.push(shCommand(argv));
  }
  if (def) {
    const v = state[def];
    lines.push(clear(PHONE_POLICY.defaultPriority));
    if (!ipv4Address(v) || !v.up) problems.push(`cannot make ${v.name} the default route: ${describeIface(v)}`);
    else lines.push(shCommand(defaultRuleCommand(def)));
  }
  return { script: lines.join('\n'), problems };
}

/**
 * Whether the rules and tables `policyRouteScript(state, def)` would install are there already,
 * exactly once each (a phone whose WiFi went and came back has its address again but may have
 * lost its table's route, so the tables are checked as well as the rules).
 */
export function policyRoutesInPlace(state: NetState, def: DefaultIface | undefined): boolean {
  if (!state.rules) return false;
  const at = (priority: number) => state.rules!.filter((r) => r.priority === priority);
  for (const side of ['wifi', 'cellular'] as const) {
    const { table, priority } = PHONE_POLICY[side];
    const v = state[side];
    const addr = ipv4Address(v);
    const rules = at(priority);
    if (!addr || !v.up) {
      if (rules.length > 0) return false;
      continue;
    }
    if (rules.length !== 1 || rules[0]!.from !== addr || rules[0]!.rest !== `lookup ${table}`) return false;
    const gw = gatewayOf(state, v.name);
    const routes = state.gateways.filter((g) => g.table === String(table));
    if (routes.length !== 1 || routes[0]!.dev !== v.name || routes[0]!.via !== gw) return false;
  }
  if (def) {
    const rules = at(PHONE_POLICY.defaultPriority);
    if (rules.length !== 1 || rules[0]!.from !== 'all' || rules[0]!.rest !== `lookup ${PHONE_POLICY[def].table}`) return false;
  }
  return true;
}

/** The gateway of an interface's default route (the first table that has one), for its policy table. */
function gatewayOf(state: NetState, iface: string): string | null {
  return state.gateways.find((g) => g.dev === iface && g.via)?.via ?? null;
}

/** Whether a toggle would change something: not when the setting and the interface both say so already. */
export function toggleNeeded(state: NetState, radio: 'wifi' | 'data', want: OnOff): boolean {
  const setting = radio === 'wifi' ? state.settings.wifiOn : state.settings.mobileData;
  return setting !== (want === 'on' ? '1' : '0') || unmetGoals(state, { [radio]: want }).length > 0;
}

export async function applyNet(device: Device, req: NetRequest): Promise<NetResult> {
  const started = Date.now();
  const timeoutMs = req.timeoutMs ?? 30_000;
  const actions: string[] = [];
  const sdk = await device.sdk();
  const rooted = device.config.root;
  const log = device.log.child({ op: 'net' });

  if (req.airplane && airplaneNeedsRoot(sdk) && !rooted) {
    throw new NetChangeError(`airplane mode on SDK ${sdk} needs root (the AIRPLANE_MODE broadcast is protected); devices.json says "root": false`, 'cannot');
  }
  const before = req.current ?? (await readNetState(device));
  if (req.default && !rooted) {
    // without root Android picks the default network itself: WiFi whenever it is connected
    const wifiWillBeOn = req.wifi === 'on' || (req.wifi === undefined && req.airplane !== 'on' && before.wifi.ipv4.length > 0);
    if (req.default === 'cellular' && wifiWillBeOn) {
      throw new NetChangeError('default route on cellular while WiFi is on needs root (policy routes); turn WiFi off (--wifi off) or use a rooted phone', 'cannot');
    }
  }

  // a radio already as asked is left alone (an airplane change toggles everything)
  const toggles = req.airplane ? req : { ...req, wifi: req.wifi && toggleNeeded(before, 'wifi', req.wifi) ? req.wifi : undefined, data: req.data && toggleNeeded(before, 'data', req.data) ? req.data : undefined };
  for (const argv of toggleCommands(sdk, toggles)) {
    const needsRoot = argv[0] === 'am';
    const r = needsRoot ? await device.rootShell(argv) : await device.shell(argv);
    const text = shCommand(argv);
    if (r.exitCode !== 0) {
      throw new NetChangeError(`${text} failed with exit status ${r.exitCode}: ${commandOutput(r) || 'no output'}`);
    }
    actions.push(text);
    log.info({ cmd: text }, 'toggle');
  }

  // cellular stays up while WiFi is the default network: MPTCP needs both paths
  const dataWillBeOn = req.data === 'on' || (req.data === undefined && before.settings.mobileData !== '0' && req.airplane !== 'on');
  if (dataWillBeOn && before.settings.mobileDataAlwaysOn !== '1') {
    const argv = mobileDataAlwaysOnCommand(true);
    await device.run(argv);
    actions.push(shCommand(argv));
  }

  const goals = goalsOf(req);
  let state = actions.length === 0 ? before : await waitFor(device, { wifi: goals.wifi, data: goals.data }, started + timeoutMs);

  if (rooted && !(actions.length === 0 && policyRoutesInPlace(state, req.default))) {
    const { script, problems } = policyRouteScript(state, req.default);
    if (problems.length) throw new NetChangeError(problems.join('; '));
    const r = await device.rootShell({ script });
    if (r.exitCode !== 0) throw new NetChangeError(`policy routes failed (exit status ${r.exitCode}): ${r.stderr.toString().trim() || r.stdout.toString().trim()}`);
    actions.push(`policy routes${req.default ? `, default on ${state[req.default].name}` : ''}`);
    log.info({ default: req.default }, 'policy routes');
  }
  if (actions.length > 0 || unmetGoals(state, goals).length > 0) state = await waitFor(device, goals, started + timeoutMs);

  const waitedMs = Date.now() - started;
  const summary = `${describeIface(state.wifi)}; ${describeIface(state.cellular)}; ${describeRoute(state)} (took ${(waitedMs / 1000).toFixed(1)} s)`;
  return { actions, state, summary, waitedMs };
}

async function waitFor(device: Device, goals: Goals, deadline: number): Promise<NetState> {
  for (;;) {
    const state = await readNetState(device);
    const unmet = unmetGoals(state, goals);
    if (unmet.length === 0) return state;
    if (Date.now() >= deadline) {
      throw new NetChangeError(`the change did not take effect in time: ${unmet.join('; ')}`);
    }
    device.log.debug({ unmet }, 'waiting for the network change');
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
  }
}
