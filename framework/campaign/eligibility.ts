import type { DeviceConfig } from '../config/devices-file.js';
import type { CampaignNetwork } from './campaign-file.js';

/**
 * Whether a phone can run a test of the matrix at all; when not, the test is recorded as skipped
 * with the reason instead of failing at night. Decided from devices.json and whether the phone is
 * a lab phone, before anything runs.
 */
export interface PhoneFacts {
  device: DeviceConfig;
  /** The phone belongs to a running virtual lab (link profiles and changes apply). */
  lab: boolean;
}

export interface TestNeeds {
  mode: string;
  network: CampaignNetwork;
  /** The campaign asks for a capture on the phone too. */
  phoneCapture: boolean;
}

/** null when the phone can run the test, else why not. */
export function cannotRun(phone: PhoneFacts, test: TestNeeds): string | null {
  const { device } = phone;
  const label = device.label;
  if (device.kernel === 'none' && test.mode !== 'tcp') return `phone ${label} has no MPTCP (devices.json "kernel": "none"): it runs mode tcp only, not ${test.mode}`;
  if (!device.root && test.mode !== 'tcp') return `mode ${test.mode} needs root to set MPTCP endpoints and sysctls; phone ${label} has "root": false`;
  if (!device.root && test.network.net === 'both' && test.network.defaultRoute === 'cellular') return `a default route on cellular next to WiFi needs root (policy routing); phone ${label} has "root": false`;
  if (test.phoneCapture && !device.root) return `a capture on the phone needs root; phone ${label} has "root": false`;
  if (test.phoneCapture && !device.capture.onPhone) return `devices.json does not allow captures on phone ${label} ("capture": {"onPhone": false})`;
  if (!phone.lab && (test.network.profile || test.network.link)) return `network ${test.network.name} sets lab links (profile or link), and phone ${label} is not a lab phone`;
  return null;
}
