import type { Kernel } from '../config/devices-file.js';
import type { Device } from './device.js';
import { planMptcpMode, MptcpModeError, type MptcpMode, type MptcpPlan } from './mptcp-commands.js';
import { ipv4Address, readNetState } from './net-state.js';
import { multipathState, parseIpLink, parseMptcpEndpoints, parseMptcpLimits, sectionStart, splitSections, type MptcpEndpoint } from './parse.js';
import { shCommand } from './quote.js';
import { commandOutput } from './shell.js';

/**
 * Reading and setting a phone's MPTCP mode. The kernel flavour is read from /proc/sys/net/mptcp
 * (upstream has `enabled`, multipath-tcp.org has `mptcp_enabled`) and must match devices.json;
 * changes need root; after the change the state is read back and compared with the plan.
 */
export interface MptcpState {
  /** What the phone's kernel has: "upstream", "multipath-tcp.org", or "none". */
  kernel: Kernel;
  enabled: boolean | null;
  scheduler: string | null;
  pathManager: string | null;
  availableSchedulers: string[] | null;
  availablePathManagers: string[] | null;
  hasPathManagerSysctl: boolean;
  endpoints: MptcpEndpoint[];
  limits: { subflows: number | null; addAddrAccepted: number | null };
  /** multipath-tcp.org: per-interface multipath flag. */
  multipath: Record<string, 'on' | 'off' | 'backup'>;
}

const SYSCTLS = ['enabled', 'scheduler', 'path_manager', 'pm_type', 'available_schedulers', 'available_path_managers', 'mptcp_enabled', 'mptcp_path_manager', 'mptcp_scheduler'];

/**
 * The script that reads the MPTCP state. Each sysctl (one line) is read by the shell's own `read`,
 * not `cat`: nine programs fewer to start per read. `link: false` leaves out the interfaces (for a
 * read that has them already, see parseMptcpState).
 */
export function mptcpStateScript(options: { link?: boolean } = {}): string {
  const files = SYSCTLS.map((f) => `[ -r /proc/sys/net/mptcp/${f} ] && { ${sectionStart(f)}; read -r v < /proc/sys/net/mptcp/${f}; echo "$v"; }`).join('; ');
  const link = options.link === false ? '' : `; ${sectionStart('link')}; ip -o link show`;
  return `${files}; ${sectionStart('endpoints')}; ip mptcp endpoint show 2>/dev/null; ${sectionStart('limits')}; ip mptcp limits show 2>/dev/null${link}; true`;
}

/** The MPTCP state from the output of mptcpStateScript(); `linkText`: `ip -o link show` read apart (with `link: false`). */
export function parseMptcpState(text: string, linkText?: string): MptcpState {
  const s = splitSections(text);
  if (linkText !== undefined) s.set('link', linkText);
  const value = (k: string): string | null => {
    const v = s.get(k);
    return v === undefined ? null : v.trim();
  };
  const words = (k: string): string[] | null => value(k)?.split(/\s+/).filter(Boolean) ?? null;
  const upstream = value('enabled') !== null;
  const outOfTree = value('mptcp_enabled') !== null;
  const kernel: Kernel = upstream ? 'upstream' : outOfTree ? 'multipath-tcp.org' : 'none';
  const links = parseIpLink(s.get('link') ?? '');
  const multipath: Record<string, 'on' | 'off' | 'backup'> = {};
  if (kernel === 'multipath-tcp.org') for (const [name, l] of links) if (name !== 'lo') multipath[name] = multipathState(l);
  const pmType = value('pm_type');
  return {
    kernel,
    enabled: kernel === 'upstream' ? value('enabled') === '1' : kernel === 'multipath-tcp.org' ? value('mptcp_enabled') === '1' : null,
    scheduler: kernel === 'upstream' ? value('scheduler') : value('mptcp_scheduler'),
    pathManager:
      kernel === 'upstream' ? (value('path_manager') ?? (pmType === null ? null : pmType === '0' ? 'kernel' : 'userspace')) : value('mptcp_path_manager'),
    availableSchedulers: words('available_schedulers'),
    availablePathManagers: words('available_path_managers'),
    hasPathManagerSysctl: value('path_manager') !== null,
    endpoints: kernel === 'upstream' ? parseMptcpEndpoints(s.get('endpoints') ?? '') : [],
    limits: parseMptcpLimits(s.get('limits') ?? ''),
    multipath,
  };
}

export async function readMptcpState(device: Device): Promise<MptcpState> {
  const r = await device.shell({ script: mptcpStateScript() }, { timeoutMs: 15_000 });
  return parseMptcpState(r.stdout.toString('utf8'));
}

/** Differences between what the plan expects and what the phone shows. */
export function mptcpMismatches(plan: MptcpPlan, state: MptcpState): string[] {
  const out: string[] = [];
  const e = plan.expect;
  if (state.enabled !== e.enabled) out.push(`MPTCP ${e.enabled ? 'enabled' : 'disabled'} wanted, the kernel says ${state.enabled ? 'enabled' : 'disabled'}`);
  if (e.scheduler !== undefined && state.scheduler !== e.scheduler) out.push(`scheduler ${e.scheduler} wanted, is ${state.scheduler}`);
  if (e.pathManager !== undefined && state.pathManager !== e.pathManager) out.push(`path manager ${e.pathManager} wanted, is ${state.pathManager}`);
  if (state.kernel === 'upstream') {
    const have = state.endpoints.map((ep) => `${ep.address} dev ${ep.dev ?? '?'} ${[...ep.flags].sort().join(',')}`).sort();
    const want = e.endpoints.map((ep) => `${ep.address} dev ${ep.iface} ${[...ep.flags].sort().join(',')}`).sort();
    if (have.join('|') !== want.join('|')) out.push(`endpoints [${want.join('; ') || 'none'}] wanted, are [${have.join('; ') || 'none'}]`);
  }
  for (const [iface, mode] of Object.entries(e.multipath ?? {})) {
    if (state.multipath[iface] !== mode) out.push(`${iface} multipath ${mode} wanted, is ${state.multipath[iface] ?? 'unknown'}`);
  }
  return out;
}

export interface MptcpResult {
  plan: MptcpPlan;
  state: MptcpState;
  summary: string;
}

export async function applyMptcpMode(device: Device, mode: MptcpMode, opts: { scheduler?: string; pathManager?: string } = {}): Promise<MptcpResult> {
  const configured = device.config.kernel;
  if (configured === 'none') throw new MptcpModeError(`phone ${device.config.label} has no MPTCP kernel (devices.json "kernel": "none")`);
  await device.requireRoot();
  const before = await readMptcpState(device);
  if (before.kernel !== configured) {
    throw new MptcpModeError(
      `devices.json says the kernel is ${JSON.stringify(configured)}, but the phone shows ${before.kernel === 'none' ? 'no MPTCP (no /proc/sys/net/mptcp)' : JSON.stringify(before.kernel)}`,
    );
  }
  const net = await readNetState(device);
  const defaultIface = net.route?.dev === net.cellular.name ? 'cellular' : 'wifi';
  const plan = planMptcpMode({
    kernel: configured,
    mode,
    wifi: { iface: net.wifi.name, address: ipv4Address(net.wifi) },
    cellular: { iface: net.cellular.name, address: ipv4Address(net.cellular) },
    defaultIface,
    scheduler: opts.scheduler,
    pathManager: opts.pathManager,
    availableSchedulers: before.availableSchedulers,
    availablePathManagers: before.availablePathManagers,
    hasPathManagerSysctl: before.hasPathManagerSysctl,
  });
  for (const argv of plan.commands) {
    const r = await device.rootShell(argv);
    if (r.exitCode !== 0) {
      const why = commandOutput(r);
      throw new MptcpModeError(`${shCommand(argv)} failed with exit status ${r.exitCode}${why ? `: ${why}` : ''}`, 'failed');
    }
    device.log.debug({ cmd: shCommand(argv) }, 'mptcp');
  }
  const state = await readMptcpState(device);
  const mismatches = mptcpMismatches(plan, state);
  if (mismatches.length) throw new MptcpModeError(`mode ${mode} did not take effect: ${mismatches.join('; ')}`, 'failed');
  device.log.info({ mode, scheduler: state.scheduler, pathManager: state.pathManager, endpoints: state.endpoints.length }, 'mptcp mode set');
  return { plan, state, summary: describeMptcp(state, mode) };
}

export function describeMptcp(state: MptcpState, mode?: string): string {
  if (state.kernel === 'none') return 'no MPTCP in this kernel';
  const parts = [`${state.kernel} MPTCP ${state.enabled ? 'enabled' : 'disabled'}`];
  if (mode) parts.unshift(`mode ${mode}:`);
  if (state.scheduler) parts.push(`scheduler ${state.scheduler}`);
  if (state.pathManager) parts.push(`path manager ${state.pathManager}`);
  if (state.kernel === 'upstream') {
    parts.push(`endpoints: ${state.endpoints.map((e) => `${e.address} ${e.dev ?? ''} ${e.flags.join(' ')}`.replace(/\s+/g, ' ').trim()).join(', ') || 'none'}`);
    if (state.limits.subflows !== null) parts.push(`limits: subflows ${state.limits.subflows}, add_addr_accepted ${state.limits.addAddrAccepted}`);
  } else {
    parts.push(`multipath: ${Object.entries(state.multipath).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  return parts.join(' ');
}
