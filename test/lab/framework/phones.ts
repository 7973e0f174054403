import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { commandLine } from '../../../common/process.js';
import { inNetns } from '../../../testbed/netns.js';
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
  /** The namespace at the other end of wlan0 and rmnet0, holding both gateways. */
  peerNetns: string;
  wifiGateway: string;
  /** A package preinstalled on every virtual phone, for reset. */
  installedPackage: string;
  phoneFileExists(path: string): Promise<boolean>;
  /** The pids of the phone's sync services (one per open adb sync session). */
  syncServices(): Promise<number[]>;
  /** Writes a file into the phone's filesystem from the host (as an app would have). */
  writePhoneFile(path: string, content: string): Promise<void>;
  killDaemon(): Promise<void>;
  /** SIGSTOP / SIGCONT the daemon: attached for adb, but answering nothing. */
  pauseDaemon(): void;
  resumeDaemon(): void;
  startDaemon(): Promise<void>;
  close(): Promise<void>;
}

export interface PhoneSpec {
  label: string;
  root: boolean;
  /** System properties to override (e.g. an older SDK level); such a phone's daemon runs in this process. */
  props?: Record<string, string>;
}

export async function startPhones(specs: PhoneSpec[]): Promise<LabPhone[]> {
  const phones: LabPhone[] = [];
  try {
    for (const spec of specs) {
      const fx = spec.props
        ? await createVirtualPhone({ name: spec.label, root: spec.root, phone: { props: spec.props } })
        : await createVirtualPhone({ name: spec.label, root: spec.root, process: true });
      phones.push(wrap({ label: spec.label, root: spec.root }, fx));
    }
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
    peerNetns: fx.peerNetns,
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
    async syncServices() {
      const pids = String((await execa('ip', ['netns', 'pids', fx.netns])).stdout).split('\n').filter(Boolean).map(Number);
      return pids.filter((pid) => commandLine(pid)?.some((arg) => arg.endsWith('/sync.mjs')));
    },
    async writePhoneFile(path: string, content: string) {
      const file = join(fx.dir, 'root', path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
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

/**
 * Opens one connection from the phone's namespace to a server in the peer namespace (on the WiFi
 * gateway's address) and returns how many subflows it had: `mptcp: true` runs both ends under
 * mptcpize (IPPROTO_MPTCP sockets, as the lab's apps and proxy do). The server keeps listening
 * (fork) because MP_JOIN SYNs need the listener. Returns null when the client could not connect,
 * with its error output.
 */
export async function subflowsOfOneConnection(phone: LabPhone, mptcp: boolean): Promise<{ subflows: number | null; clientError: string }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const wrap = (argv: string[]) => (mptcp ? ['mptcpize', 'run', ...argv] : argv);
  const server = inNetns(phone.peerNetns, 'timeout', ['8', ...wrap(['socat', '-u', 'SYSTEM:echo hi; sleep 3', `TCP-LISTEN:${port},bind=${phone.wifiGateway},reuseaddr,fork`])], { reject: false });
  try {
    for (let i = 0; i < 50; i++) {
      const l = await inNetns(phone.peerNetns, 'ss', ['-ltnH', `sport = :${port}`]);
      if (String(l.stdout).trim()) break;
      await sleep(100);
    }
    const client = inNetns(phone.netns, 'timeout', ['6', ...wrap(['socat', '-u', `TCP:${phone.wifiGateway}:${port}`, '-'])], { reject: false });
    let most = 0;
    for (let i = 0; i < 20; i++) {
      await sleep(100);
      const est = await inNetns(phone.netns, 'ss', ['-tnH', 'state', 'established', `dport = :${port}`]);
      most = Math.max(most, String(est.stdout).split('\n').filter((l) => l.trim()).length);
      if (client.exitCode !== null) break;
    }
    client.kill('SIGTERM');
    const done = await client;
    return { subflows: most > 0 ? most : null, clientError: String(done.stderr ?? '') };
  } finally {
    server.kill('SIGTERM');
    await server;
  }
}
