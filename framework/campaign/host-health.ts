import type { DevicesFile } from '../config/devices-file.js';
import { probeHost } from '../devices/host-check.js';
import type { HostCheck } from './campaign-runner.js';

/**
 * The campaign's check of a phone's host after an infrastructure failure: the host's adb server
 * must answer, and its Appium server when devices.json names one (the Grid relays to it). A phone
 * that names no host is on the implicit host of its adb server.
 */
export function hostHealthCheck(file: Pick<DevicesFile, 'hosts'>): HostCheck {
  return async (phone) => {
    const declared = file.hosts.find((h) => h.name === phone.device.host);
    const host = declared ?? { name: phone.device.adbServer, adbServer: phone.device.adbServer, appium: null };
    const report = await probeHost({ host, declared: declared !== undefined, phones: [] });
    if (!report.adb.ok) return report.adb.text;
    if (report.appium && !report.appium.ok) return `Appium server ${report.appium.url}: ${report.appium.text}`;
    return null;
  };
}
