import { endpointCommand, limitsCommand, modeEndpoints } from '../../common/phone-policy.js';
import type { Kernel } from '../config/devices-file.js';
import type { Argv } from './android-commands.js';
import { PhoneOpError } from './errors.js';

/**
 * MPTCP modes as commands, for the two kernel families a phone may have (REFERENCE.md section 4):
 *
 * | mode       | upstream (Linux >= 5.6, MPTCP v1)                          | multipath-tcp.org (<= 4.19, v0)        |
 * |------------|------------------------------------------------------------|----------------------------------------|
 * | tcp        | net.mptcp.enabled=0, endpoints flushed                     | mptcp_enabled=0                        |
 * | mptcp      | `subflow` endpoints on both interfaces                     | fullmesh path manager, both multipath on |
 * | fullmesh   | `subflow fullmesh` endpoints on both interfaces            | fullmesh path manager                   |
 * | backup     | both `subflow`, the cellular one also `backup`             | fullmesh, cellular `multipath backup`   |
 * | roundrobin | fullmesh + scheduler "roundrobin" when the kernel has one  | fullmesh + mptcp_scheduler=roundrobin   |
 * | redundant  | fullmesh + scheduler "redundant" when the kernel has one   | fullmesh + mptcp_scheduler=redundant    |
 * | ndiffports | (no such path manager: refused)                            | ndiffports path manager                 |
 *
 * With a proxy that has one address, `mptcp` and `fullmesh` open the same subflows (one per
 * local interface); they differ when the server announces more addresses. The initial subflow
 * always leaves by the default route; upstream, both addresses are endpoints whatever the default
 * route is (the kernel opens no second subflow from the initial subflow's address), so the mode
 * keeps working after the default route moves. The lab sets the same (common/phone-policy.ts).
 */
export const MPTCP_MODES = ['tcp', 'mptcp', 'fullmesh', 'backup', 'roundrobin', 'redundant', 'ndiffports'] as const;
export type MptcpMode = (typeof MPTCP_MODES)[number];

export interface MptcpPlanInput {
  kernel: Kernel;
  mode: MptcpMode;
  /** Interfaces and their current IPv4 address (null when the interface has none). */
  wifi: { iface: string; address: string | null };
  cellular: { iface: string; address: string | null };
  /** Which interface carries the default route (the initial subflow). */
  defaultIface: 'wifi' | 'cellular';
  scheduler?: string;
  pathManager?: string;
  /** What the kernel reports it has (upstream: available_schedulers / available_path_managers). */
  availableSchedulers?: string[] | null;
  availablePathManagers?: string[] | null;
  /** Upstream: true when net.mptcp.path_manager exists (Linux >= 6.15); older kernels have pm_type. */
  hasPathManagerSysctl?: boolean;
}

export interface MptcpPlan {
  /** Commands to run as root, in order. */
  commands: Argv[];
  /** What should be true afterwards, checked by reading the state back. */
  expect: {
    enabled: boolean;
    endpoints: Array<{ address: string; iface: string; flags: string[] }>;
    scheduler?: string;
    pathManager?: string;
    multipath?: Record<string, 'on' | 'off' | 'backup'>;
  };
}

/** Any refusal or failure of a mode change: the phone cannot be put in that mode. */
/** The phone cannot have the mode (kind cannot, the default), or a command for it failed or did not take effect (kind failed). */
export class MptcpModeError extends PhoneOpError {
  constructor(message: string, kind: 'cannot' | 'failed' | 'usage' = 'cannot') {
    super(message, kind);
  }
}

const NAME = /^[a-z][a-z0-9_]{0,31}$/;

/** A scheduler or path manager name must look like one of the kernel's (lower case, digits, _) before it reaches a sysctl. */
export function checkKernelNames(names: { scheduler?: string; pathManager?: string }): void {
  for (const [what, value] of [['--scheduler', names.scheduler], ['--path-manager', names.pathManager]] as const) {
    if (value !== undefined && !NAME.test(value)) throw new MptcpModeError(`${what} ${JSON.stringify(value)}: expected a kernel name such as "default" (a-z, 0-9, _)`, 'usage');
  }
}

export function planMptcpMode(input: MptcpPlanInput): MptcpPlan {
  if (input.kernel === 'none') throw new MptcpModeError('this phone has no MPTCP kernel (devices.json "kernel": "none")');
  checkKernelNames(input);
  return input.kernel === 'upstream' ? planUpstream(input) : planOutOfTree(input);
}

function needAddress(side: { iface: string; address: string | null }, mode: string): string {
  if (!side.address) throw new MptcpModeError(`mode ${mode} needs an IPv4 address on ${side.iface}, which has none (is it up?)`);
  return side.address;
}

function planUpstream(input: MptcpPlanInput): MptcpPlan {
  const { mode } = input;
  const commands: Argv[] = [];
  const sysctl = (key: string, value: string | number): Argv => ['sysctl', '-w', `net.mptcp.${key}=${value}`];
  const flush: Argv = ['ip', 'mptcp', 'endpoint', 'flush'];

  if (mode === 'tcp') {
    commands.push(flush, limitsCommand('tcp'), sysctl('enabled', 0));
    return { commands, expect: { enabled: false, endpoints: [] } };
  }
  if (mode === 'ndiffports') {
    throw new MptcpModeError('mode ndiffports needs the multipath-tcp.org kernel: the upstream kernel has no ndiffports path manager');
  }

  const scheduler = input.scheduler ?? (mode === 'roundrobin' ? 'roundrobin' : mode === 'redundant' ? 'redundant' : undefined);
  if (scheduler !== undefined && input.availableSchedulers && !input.availableSchedulers.includes(scheduler)) {
    throw new MptcpModeError(
      `scheduler ${JSON.stringify(scheduler)} is not available on this kernel (net.mptcp.available_schedulers: ${input.availableSchedulers.join(' ') || 'none'})`,
    );
  }
  const pathManager = input.pathManager;
  if (pathManager !== undefined && input.availablePathManagers && !input.availablePathManagers.includes(pathManager)) {
    throw new MptcpModeError(
      `path manager ${JSON.stringify(pathManager)} is not available on this kernel (net.mptcp.available_path_managers: ${input.availablePathManagers.join(' ') || 'none'})`,
    );
  }

  commands.push(sysctl('enabled', 1));
  if (pathManager !== undefined) {
    if (input.hasPathManagerSysctl === false) {
      if (pathManager !== 'kernel' && pathManager !== 'userspace') throw new MptcpModeError(`path manager ${JSON.stringify(pathManager)}: this kernel (pm_type) knows only "kernel" and "userspace"`);
      commands.push(sysctl('pm_type', pathManager === 'kernel' ? 0 : 1));
    } else {
      commands.push(sysctl('path_manager', pathManager));
    }
  }
  if (scheduler !== undefined) commands.push(sysctl('scheduler', scheduler));
  commands.push(flush);

  // the same endpoints whichever interface is the default (common/phone-policy.ts), so that the
  // mode survives a later `net --default`: the initial subflow's address never opens another one
  const endpoints = modeEndpoints(
    mode,
    { iface: input.wifi.iface, address: needAddress(input.wifi, mode) },
    { iface: input.cellular.iface, address: needAddress(input.cellular, mode) },
  );
  for (const ep of endpoints) commands.push(endpointCommand(ep));
  commands.push(limitsCommand(mode));
  return { commands, expect: { enabled: true, endpoints, scheduler, pathManager } };
}

function planOutOfTree(input: MptcpPlanInput): MptcpPlan {
  const { mode } = input;
  const sysctl = (key: string, value: string | number): Argv => ['sysctl', '-w', `net.mptcp.${key}=${value}`];
  const link = (iface: string, state: 'on' | 'off' | 'backup'): Argv => ['ip', 'link', 'set', 'dev', iface, 'multipath', state];
  const wifi = input.wifi.iface;
  const cell = input.cellular.iface;
  if (mode === 'tcp') {
    return { commands: [sysctl('mptcp_enabled', 0)], expect: { enabled: false, endpoints: [] } };
  }
  const pathManager = input.pathManager ?? (mode === 'ndiffports' ? 'ndiffports' : 'fullmesh');
  const scheduler = input.scheduler ?? (mode === 'roundrobin' ? 'roundrobin' : mode === 'redundant' ? 'redundant' : 'default');
  const multipath: Record<string, 'on' | 'off' | 'backup'> = { [wifi]: 'on', [cell]: mode === 'backup' ? 'backup' : 'on' };
  if (mode === 'ndiffports') multipath[input.defaultIface === 'wifi' ? cell : wifi] = 'off';
  const commands: Argv[] = [
    sysctl('mptcp_enabled', 1),
    sysctl('mptcp_path_manager', pathManager),
    sysctl('mptcp_scheduler', scheduler),
    ...Object.entries(multipath).map(([iface, state]) => link(iface, state)),
  ];
  return { commands, expect: { enabled: true, endpoints: [], scheduler, pathManager, multipath } };
}
