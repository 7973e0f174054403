import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { Logger } from '../../common/log.js';
import { REPO_ROOT } from '../../common/paths.js';
import { missingPrereqs } from '../../common/prereq.js';
import { userAdbKeyFile } from '../phone/adb-auth.js';
import type { PhonePlan } from './plan.js';
import { startDetached, stopProcess, waitReady } from './processes.js';
import type { PhoneDaemonRecord } from './state.js';

/**
 * The lab's virtual phones as adb sees them: one adb daemon (testbed/phone/) per phone on the
 * host's loopback, attached to the local adb server with `adb connect` as a phone on WiFi adb is.
 */
const PHONE_MAIN = join(REPO_ROOT, 'testbed', 'bin', 'phone.js');

/** Default ports: phone k listens on 127.0.0.1:(6600 + k), outside adb's emulator scan range 5555-5585. */
export const DEFAULT_ADB_PORT_BASE = 6600;

/** The lab as a phone daemon needs it: the link daemon's control socket and the lab's profile (for the cellular technology). */
export interface PhoneLab {
  control: string;
  profile: string;
}

/** `adbKeys`: more adb public key files to authorize, besides the key of the user running the daemon. */
export function phoneDaemonArgv(phone: PhonePlan, dir: string, port: number, adbKeys: readonly string[] = [], lab?: PhoneLab): string[] {
  const argv = [process.execPath, PHONE_MAIN, '--name', phone.name, '--netns', phone.netns, '--dir', dir];
  argv.push('--wifi-iface', phone.wifi.iface, '--cellular-iface', phone.cellular.iface);
  if (port > 0) argv.push('--port', String(port));
  for (const file of adbKeys) argv.push('--adb-key', file);
  if (lab) argv.push('--link-control', lab.control, '--cellular-link', phone.cellular.linkName, '--lab-profile', lab.profile);
  return argv;
}

/**
 * Makes sure this user has an adb key for the phones to authorize (~/.android/adbkey.pub): the adb
 * server makes it when it starts, so a missing one is made with `adb start-server`. Returns a
 * problem to report, or null.
 */
export async function ensureUserAdbKey(): Promise<string | null> {
  const file = userAdbKeyFile();
  if (existsSync(file)) return null;
  if (missingPrereqs({ commands: ['adb'] }).length === 0) await execa('adb', ['start-server'], { reject: false, timeout: 30_000 });
  if (existsSync(file)) return null;
  return `${file} is missing (adb makes it when its server first starts): the phones authorize no adb client but those of the profile's adbKeys`;
}

/** The port in a phone daemon's `{"event":"listening","port":N,...}` line (testbed/phone/main.ts), if `text` has one. */
export function listeningPort(text: string): number | null {
  for (const line of text.split('\n')) {
    if (!line.includes('"listening"')) continue;
    try {
      const event = JSON.parse(line) as { event?: string; port?: number };
      if (event.event === 'listening' && typeof event.port === 'number') return event.port;
    } catch {
      // a log line that merely mentions it
    }
  }
  return null;
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Starts phone k's daemon (port 0: any free port) and waits until it listens. */
export async function startPhoneDaemon(phone: PhonePlan, stateDir: string, port: number, adbKeys: readonly string[] = [], lab?: PhoneLab): Promise<PhoneDaemonRecord> {
  const dir = join(stateDir, 'phones', phone.name);
  const log = join(stateDir, `${phone.name}-adbd.log`);
  const record = startDetached(phoneDaemonArgv(phone, dir, port, adbKeys, lab), log, PHONE_MAIN, REPO_ROOT);
  let bound: number | null = null;
  await waitReady(record, `the adb daemon of ${phone.name}`, async () => (bound = listeningPort(readLog(log))) !== null, 60_000);
  return { ...record, serial: `127.0.0.1:${bound}`, dir };
}

/**
 * `adb connect` and wait until adb lists the phone as `device`. Returns a problem to report, or
 * null. adb missing is a problem, not a failure: the phone still listens for a later `adb connect`.
 */
export async function attachToAdb(serial: string, logger: Logger, timeoutMs = 30_000): Promise<string | null> {
  if (missingPrereqs({ commands: ['adb'] }).length > 0) return `adb is not installed: attach the phone later with \`adb connect ${serial}\``;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const connect = await execa('adb', ['connect', serial], { reject: false, timeout: 15_000 });
    last = `${connect.stdout} ${connect.stderr}`.trim();
    const state = await execa('adb', ['-s', serial, 'get-state'], { reject: false, timeout: 10_000 });
    if (state.stdout.trim() === 'device') {
      logger.debug({ serial }, 'phone attached to adb');
      return null;
    }
    last = `${last}; state: ${(state.stdout || state.stderr).trim()}`;
    await sleep(500);
  }
  return `adb connect ${serial} did not reach state "device" within ${timeoutMs} ms (${last})`;
}

export async function stopPhoneDaemon(record: PhoneDaemonRecord): Promise<void> {
  await execa('adb', ['disconnect', record.serial], { reject: false, timeout: 10_000 });
  await stopProcess(record, 5000);
}
