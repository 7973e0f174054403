import { shQuote } from './quote.js';

/**
 * Android shell commands as argument vectors, chosen by SDK level (REFERENCE.md section 4).
 * Pure: no adb here, so that every choice is unit-tested.
 */
export type Argv = string[];
export type OnOff = 'on' | 'off';

/** `cmd -w wifi set-wifi-enabled` from Android 11 (API 30); `svc wifi` before. */
export function wifiCommand(sdk: number, state: OnOff): Argv {
  if (sdk >= 30) return ['cmd', '-w', 'wifi', 'set-wifi-enabled', state === 'on' ? 'enabled' : 'disabled'];
  return ['svc', 'wifi', state === 'on' ? 'enable' : 'disable'];
}

/** `cmd phone data` from Android 11 (API 30); `svc data` before. */
export function dataCommand(sdk: number, state: OnOff): Argv {
  if (sdk >= 30) return ['cmd', 'phone', 'data', state === 'on' ? 'enable' : 'disable'];
  return ['svc', 'data', state === 'on' ? 'enable' : 'disable'];
}

/**
 * Airplane mode: `cmd connectivity airplane-mode` from Android 11 (API 30). Before, the setting
 * plus the broadcast that makes the radios follow it (the broadcast needs root from Android 7).
 */
export function airplaneCommands(sdk: number, state: OnOff): Argv[] {
  if (sdk >= 30) return [['cmd', 'connectivity', 'airplane-mode', state === 'on' ? 'enable' : 'disable']];
  return [
    ['settings', 'put', 'global', 'airplane_mode_on', state === 'on' ? '1' : '0'],
    ['am', 'broadcast', '-a', 'android.intent.action.AIRPLANE_MODE', '--ez', 'state', state === 'on' ? 'true' : 'false'],
  ];
}

export function airplaneNeedsRoot(sdk: number): boolean {
  return sdk < 30 && sdk >= 24;
}

/** Keeps the cellular data link up while WiFi is the default network (needed for a second MPTCP path). */
export function mobileDataAlwaysOnCommand(on = true): Argv {
  return ['settings', 'put', 'global', 'mobile_data_always_on', on ? '1' : '0'];
}

export function forceStopCommand(pkg: string): Argv {
  return ['am', 'force-stop', pkg];
}

export function clearDataCommand(pkg: string): Argv {
  return ['pm', 'clear', pkg];
}

/** How commands get root on this phone: adbd already root, or one of the two common su syntaxes. */
export type RootMethod = 'adbd' | 'su-c' | 'su-0';

/** Wraps a script so that it runs as root. The script is passed to `su` as one quoted word. */
export function asRoot(method: RootMethod, script: string): string {
  switch (method) {
    case 'adbd':
      return script;
    case 'su-c':
      return `su -c ${shQuote(script)}`;
    case 'su-0':
      return `su 0 sh -c ${shQuote(script)}`;
  }
}

/**
 * tcpdump on the phone: packets of `iface` to a file, handed over at once (--immediate-mode: without
 * it, packets still in the kernel's ring when SIGINT comes are neither written nor counted) and
 * written packet by packet (-U); `-Z root` keeps it from switching to a "tcpdump" user that phones
 * do not have.
 */
export function tcpdumpArgv(opts: { iface: string; snaplen: number; file: string }): Argv {
  return ['tcpdump', '-i', opts.iface, '-s', String(opts.snaplen), '-U', '--immediate-mode', '-n', '-Z', 'root', '-w', opts.file];
}
