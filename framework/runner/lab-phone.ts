import { readdirSync } from 'node:fs';
import { labPlan, type PhonePlan } from '../../testbed/lab/plan.js';
import { readState, runRoot, type LabState } from '../../testbed/lab/state.js';

/**
 * A phone of a running virtual lab, as `mplab run` needs it: which lab holds the phone with a
 * given adb serial, its namespace and addresses, and where the lab's proxy runs and logs.
 */
export interface LabPhone {
  lab: string;
  phone: PhonePlan;
  proxy: { netns: string; iface: string; log: string | null; socks: string };
}

/** The running lab (from /run/mplab/<lab>/state.json) whose phone has adb serial `serial`, or null. */
export function findLabPhone(serial: string): LabPhone | null {
  let names: string[];
  try {
    names = readdirSync(runRoot());
  } catch {
    return null;
  }
  for (const name of names) {
    const state: LabState | null = readState(name);
    const index = state?.phones.findIndex((p) => p.adb?.serial === serial) ?? -1;
    if (!state || index < 0) continue;
    const plan = labPlan(state.name, state.phones.length);
    return {
      lab: state.name,
      phone: plan.phones[index],
      proxy: { netns: plan.netns.proxy, iface: plan.proxy.iface, log: state.proxyLog, socks: `${plan.proxy.ip}:${plan.proxy.socksPort}` },
    };
  }
  return null;
}
