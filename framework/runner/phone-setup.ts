import type { Device } from '../devices/device.js';
import { applyMptcpMode, mptcpMismatches, type MptcpState } from '../devices/mptcp.js';
import { MPTCP_MODES, MptcpModeError, planMptcpMode, type MptcpMode } from '../devices/mptcp-commands.js';
import { ipv4Address, type NetState } from '../devices/net-state.js';
import { applyNet, type DefaultIface } from '../devices/network.js';
import { readNetAndMptcp, type NetAndMptcp } from '../devices/status.js';

/**
 * A test's network and MPTCP mode on a phone, and the phone as it was before, to put back after
 * the test. A mode can only be set with both interfaces up (its endpoints name both addresses),
 * so both radios come up first, then the mode, then the radios and default route the test asks for.
 */
export type NetworkName = 'wifi' | 'cellular' | 'both';
export const NETWORK_NAMES: readonly NetworkName[] = ['wifi', 'cellular', 'both'];

export interface PhoneSetup {
  mode: MptcpMode;
  net: NetworkName;
  /** The default route; with one network it is that network. */
  defaultRoute: DefaultIface;
}

export interface PhoneBefore {
  wifi: boolean;
  data: boolean;
  defaultRoute: DefaultIface | null;
  /** The mode the phone's MPTCP state matches, or null when it matches none (it is then left as the test set it). */
  mode: MptcpMode | null;
}

function on(view: NetState['wifi']): boolean {
  return view.up && view.ipv4.length > 0;
}

/** Which mode `state` is in, as `mplab device mptcp` would have set it (null when none fits). */
export function modeOf(state: MptcpState, net: NetState): MptcpMode | null {
  if (state.kernel === 'none') return null;
  for (const mode of MPTCP_MODES) {
    try {
      const plan = planMptcpMode({
        kernel: state.kernel,
        mode,
        wifi: { iface: net.wifi.name, address: ipv4Address(net.wifi) },
        cellular: { iface: net.cellular.name, address: ipv4Address(net.cellular) },
        defaultIface: net.route?.dev === net.cellular.name ? 'cellular' : 'wifi',
        availableSchedulers: state.availableSchedulers,
        availablePathManagers: state.availablePathManagers,
        hasPathManagerSysctl: state.hasPathManagerSysctl,
      });
      // a scheduler the mode does not name is whatever the phone had: only the modes that set one compare it
      if (plan.expect.scheduler === undefined && state.scheduler !== 'default' && mode !== 'tcp') continue;
      if (mptcpMismatches(plan, state).length === 0) return mode;
    } catch {
      // the mode does not apply to this state (an interface without address)
    }
  }
  return null;
}

/** What the phone was before the test; `current` is its state as just read (by the health step), if any. */
export async function rememberPhone(device: Device, current?: NetAndMptcp): Promise<PhoneBefore> {
  const { net, mptcp } = current ?? (await readNetAndMptcp(device));
  return {
    wifi: on(net.wifi),
    data: on(net.cellular),
    defaultRoute: net.route?.dev === net.cellular.name ? 'cellular' : net.route?.dev === net.wifi.name ? 'wifi' : null,
    mode: device.config.kernel === 'none' ? null : modeOf(mptcp, net),
  };
}

/**
 * Puts the phone in the test's mode and network; returns what it did, one line per change.
 * `current` is the phone's network as just read, if any: used only while nothing has changed it.
 */
export async function setUpPhone(device: Device, setup: PhoneSetup, before: PhoneBefore, current?: NetState): Promise<string[]> {
  const done: string[] = [];
  if (setup.mode !== before.mode) {
    if (device.config.kernel === 'none') {
      if (setup.mode !== 'tcp') throw new MptcpModeError(`phone ${device.config.label} has no MPTCP kernel (devices.json "kernel": "none"): only mode tcp`);
    } else {
      if (!before.wifi || !before.data) done.push((await applyNet(device, { wifi: 'on', data: 'on', timeoutMs: 30_000 })).summary);
      done.push((await applyMptcpMode(device, setup.mode)).summary);
    }
  }
  const wifi = setup.net !== 'cellular';
  const data = setup.net !== 'wifi';
  const defaultRoute: DefaultIface = setup.net === 'both' ? setup.defaultRoute : setup.net;
  const result = await applyNet(device, {
    wifi: wifi ? 'on' : 'off',
    data: data ? 'on' : 'off',
    default: device.config.root ? defaultRoute : undefined,
    timeoutMs: 30_000,
    current: setup.mode === before.mode ? current : undefined,
  });
  done.push(result.summary);
  return done;
}

/**
 * Puts back the mode, radios and default route of `before`. `current` is the setup the phone was
 * put in, when known; when it is not (null), the phone is read to see what needs putting back.
 */
export async function restorePhone(device: Device, before: PhoneBefore, current: PhoneSetup | null): Promise<string[]> {
  const done: string[] = [];
  let modeNow: MptcpMode | null;
  let netNow: NetState | undefined;
  if (current) modeNow = current.mode;
  else {
    const now = await readNetAndMptcp(device);
    modeNow = device.config.kernel === 'none' ? null : modeOf(now.mptcp, now.net);
    netNow = now.net;
  }
  const modeToRestore = before.mode !== null && before.mode !== modeNow && device.config.kernel !== 'none' ? before.mode : null;
  if (modeToRestore) {
    done.push((await applyNet(device, { wifi: 'on', data: 'on', timeoutMs: 30_000 })).summary);
    done.push((await applyMptcpMode(device, modeToRestore)).summary);
  }
  const result = await applyNet(device, {
    current: modeToRestore ? undefined : netNow,
    wifi: before.wifi ? 'on' : 'off',
    data: before.data ? 'on' : 'off',
    default: device.config.root && before.defaultRoute ? before.defaultRoute : undefined,
    timeoutMs: 30_000,
  });
  done.push(result.summary);
  return done;
}
