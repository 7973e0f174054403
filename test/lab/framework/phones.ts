import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { createVirtualPhone, PHONE_ADDRESSES, type VirtualPhoneFixture } from '../../support/virtual-phone.js';

/**
 * The virtual phones of the device-control tests: the phone helper's fixture (test/support/
 * virtual-phone.ts) plus what these tests ask of a phone. Each phone's daemon runs as a process
 * of its own, so that a test can kill it mid-command and start it again on the same port.
 */
export interface LabPhone {
  label: string;
  root: boolean;
  serial: string;
  netns: string;
  wifiGateway: string;
  /** A package installed on the phone, for reset; null when the phone has none. */
  installedPackage: string | null;
  phoneFileExists(path: string): Promise<boolean>;
  killDaemon(): Promise<void>;
  /** SIGSTOP / SIGCONT the daemon: attached for adb, but answering nothing. */
  pauseDaemon(): void;
  resumeDaemon(): void;
  startDaemon(): Promise<void>;
  close(): Promise<void>;
}

export async function startPhones(specs: Array<{ label: string; root: boolean }>): Promise<LabPhone[]> {
  const phones: LabPhone[] = [];
  try {
    for (const spec of specs) phones.push(wrap(spec, await createVirtualPhone({ name: spec.label, root: spec.root, process: true })));
  } catch (err) {
    await Promise.all(phones.map((p) => p.close()));
    throw err;
  }
  return phones;
}

function wrap(spec: { label: string; root: boolean }, fx: VirtualPhoneFixture): LabPhone {
  return {
    ...spec,
    get serial() {
      return fx.serial;
    },
    netns: fx.netns,
    wifiGateway: PHONE_ADDRESSES.wifi.peer,
    installedPackage: 'com.android.chrome',
    async phoneFileExists(path: string) {
      try {
        await access(join(fx.dir, 'root', path));
        return true;
      } catch {
        return false;
      }
    },
    killDaemon: () => fx.kill(),
    pauseDaemon: () => {
      fx.child?.kill('SIGSTOP');
    },
    resumeDaemon: () => {
      fx.child?.kill('SIGCONT');
    },
    startDaemon: () => fx.restart(),
    close: () => fx.teardown(),
  };
}
