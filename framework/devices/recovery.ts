import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../common/log.js';
import { AdbFailError, AdbTimeoutError, AdbkitPrematureEOFError, isTcpSerial, type AdbServer } from './adb-server.js';
import { ShellCutError, ShellTimeoutError } from './shell.js';

/**
 * Getting a phone back: a phone that dropped offline or vanished is waited for and re-attached
 * (`adb reconnect offline` for USB, `adb connect` for TCP) without ever restarting the adb
 * server, which other phones and other users share; an unresponsive phone may be rebooted when
 * devices.json allows it. Every step is logged and bounded in time; a phone that stays gone
 * fails with a DeviceGoneError that says what was tried.
 */
export interface RecoveryOptions {
  /** How long to wait for an offline or absent phone to come back. */
  offlineWaitMs: number;
  /** Interval between state polls. */
  pollMs: number;
  /** A trivial command must answer within this time for the phone to count as responsive. */
  probeTimeoutMs: number;
  /** How long a reboot may take until sys.boot_completed. */
  bootWaitMs: number;
}

export const DEFAULT_RECOVERY: RecoveryOptions = { offlineWaitMs: 60_000, pollMs: 1_000, probeTimeoutMs: 10_000, bootWaitMs: 240_000 };

export class DeviceGoneError extends Error {
  constructor(
    readonly serial: string,
    message: string,
  ) {
    super(`phone ${serial}: ${message}`);
    this.name = 'DeviceGoneError';
  }
}

export type Fault = 'offline' | 'absent' | 'unauthorized' | 'unresponsive' | 'cut' | 'server' | 'other';

/** What kind of failure an error from adb or the shell is. */
export function classifyFault(err: unknown): Fault {
  if (err instanceof ShellCutError) return 'cut';
  if (err instanceof ShellTimeoutError) return 'unresponsive';
  if (err instanceof AdbFailError) {
    const r = err.reason.toLowerCase();
    if (r.includes('unauthorized')) return 'unauthorized';
    if (r.includes('offline') || r.includes('connecting') || r.includes('authorizing')) return 'offline';
    if (r.includes('not found') || r.includes('no devices') || r.includes('no emulators')) return 'absent';
    if (r.includes('closed')) return 'cut';
    return 'other';
  }
  if (err instanceof AdbTimeoutError) return 'unresponsive';
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') return 'server';
  if (code === 'ECONNRESET' || code === 'EPIPE' || err instanceof AdbkitPrematureEOFError) return 'cut';
  return 'other';
}

/** Faults after which the same command may be tried again once the phone is back. */
export function isTransient(fault: Fault): boolean {
  return fault === 'offline' || fault === 'absent' || fault === 'cut' || fault === 'unresponsive';
}

export interface RecoveryTarget {
  server: AdbServer;
  serial: string;
  log: Logger;
  allowReboot: boolean;
  /** A trivial shell command with a short timeout; resolves when the phone answers. */
  probe(timeoutMs: number): Promise<void>;
  /** Reboots and resolves when the reboot was accepted. */
  reboot(): Promise<void>;
  /** Resolves when sys.boot_completed is 1. */
  bootCompleted(timeoutMs: number): Promise<boolean>;
  /** Told of each step as it happens (the campaign runner records them with the test). */
  onStep?: (step: string) => void;
}

/**
 * Brings the phone to state "device" and responsive, or throws DeviceGoneError. Returns the list
 * of steps taken (empty when the phone was fine).
 */
export async function recover(target: RecoveryTarget, opts: RecoveryOptions = DEFAULT_RECOVERY): Promise<string[]> {
  const steps: string[] = [];
  const step = (what: string, extra: Record<string, unknown> = {}): void => {
    steps.push(what);
    target.log.warn({ step: what, ...extra }, `recovery: ${what}`);
    target.onStep?.(what);
  };

  await waitAttached(target, opts, step);
  try {
    await target.probe(opts.probeTimeoutMs);
    return steps;
  } catch (err) {
    step('phone attached but not answering', { error: (err as Error).message });
  }
  // one more chance: a busy phone may answer a little later
  try {
    await target.probe(opts.probeTimeoutMs);
    step('phone answered on the second probe');
    return steps;
  } catch (err) {
    if (!target.allowReboot) {
      throw new DeviceGoneError(
        target.serial,
        `attached but does not answer shell commands (${(err as Error).message}); devices.json does not allow a reboot ("allowReboot": false)`,
      );
    }
  }
  step('rebooting the unresponsive phone (allowReboot)');
  try {
    await target.reboot();
  } catch (err) {
    step('reboot request failed', { error: (err as Error).message });
  }
  await sleep(Math.min(5_000, opts.pollMs * 3));
  const deadline = Date.now() + opts.bootWaitMs;
  await waitAttached(target, { ...opts, offlineWaitMs: opts.bootWaitMs }, step);
  const left = Math.max(1_000, deadline - Date.now());
  const booted = await target.bootCompleted(left).catch(() => false);
  if (!booted) throw new DeviceGoneError(target.serial, `rebooted but did not finish booting within ${Math.round(opts.bootWaitMs / 1000)} s`);
  step('phone rebooted and boot completed');
  await target.probe(opts.probeTimeoutMs);
  return steps;
}

async function waitAttached(target: RecoveryTarget, opts: RecoveryOptions, step: (what: string, extra?: Record<string, unknown>) => void): Promise<void> {
  const { server, serial } = target;
  const deadline = Date.now() + opts.offlineWaitMs;
  const tcp = isTcpSerial(serial);
  let lastState: string | null | undefined;
  let lastAction = 0;
  let attempts = 0;
  for (;;) {
    let state: string | null;
    try {
      state = await server.state(serial, Math.min(10_000, Math.max(1_000, deadline - Date.now())));
    } catch (err) {
      if (classifyFault(err) === 'server') {
        throw new DeviceGoneError(serial, `the adb server at ${server.address} is not reachable (${(err as Error).message}); mplab does not start or restart adb servers it shares`);
      }
      // host:devices needs no phone: a server that holds its port and leaves it unanswered is
      // gone with its host, and a minute of reconnect attempts through it would answer nothing
      if (err instanceof AdbTimeoutError && err.timeoutMs >= 5_000) throw new DeviceGoneError(serial, `the adb server at ${server.address} does not answer (${err.message})`);
      state = 'unknown';
    }
    if (state === 'device') {
      if (attempts > 0 || (lastState !== undefined && lastState !== 'device')) step(`phone is back (state device)`);
      return;
    }
    if (state === 'unauthorized') {
      throw new DeviceGoneError(serial, 'unauthorized: accept the "Allow USB debugging" prompt on the phone, then run the command again');
    }
    if (state !== lastState) step(state === null ? 'phone not attached to the adb server' : `phone is ${state}`, { state });
    lastState = state;
    const now = Date.now();
    if (now >= deadline) {
      const what = state === null ? 'not attached to' : `still ${state} on`;
      throw new DeviceGoneError(
        serial,
        `${what} the adb server at ${server.address} after ${Math.round(opts.offlineWaitMs / 1000)} s of waiting (${attempts} reconnect attempts)`,
      );
    }
    // act at most every 2 s, so that a slow reattachment is not interrupted by the next attempt
    if (now - lastAction >= 2_000) {
      lastAction = now;
      attempts += 1;
      try {
        if (tcp) {
          if (state !== null) {
            step(`adb disconnect ${serial}`);
            await server.disconnect(serial).catch(() => undefined);
          }
          step(`adb connect ${serial}`);
          const answer = await server.connect(serial, Math.min(15_000, Math.max(1_000, deadline - Date.now())));
          target.log.debug({ answer }, 'adb connect answered');
        } else if (state === 'offline' || state === 'unknown') {
          step('adb reconnect offline');
          await server.reconnectOffline();
        }
      } catch (err) {
        target.log.debug({ err: (err as Error).message }, 'reconnect attempt failed');
      }
    }
    await sleep(Math.min(opts.pollMs, Math.max(0, deadline - Date.now())));
  }
}
