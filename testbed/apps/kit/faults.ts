/**
 * Misbehaviour a test asks of a virtual app, through a system property the shell user may set:
 *
 *   adb shell setprop debug.mplab.fault.com.whatsapp crash:send
 *   adb shell setprop debug.mplab.fault.com.google.android.youtube 'hang:play,dialog:start'
 *   adb shell setprop debug.mplab.fault.com.whatsapp ''          # behave again
 *
 * The value is a comma-separated list of KIND:ACTION. KIND is `crash` (the app's process dies of
 * an uncaught exception: FATAL EXCEPTION in logcat, the app gone), `hang` (the UI stops changing
 * and ignores input; 5 s after a touch the system's "isn't responding" dialog appears) or
 * `dialog` (an unexpected dialog instead of the action). ACTION is one of the app's action names
 * (each app lists its own; `start` is the app's launch) or `*` for any. The property is read at
 * each action, so it may be set while the app runs.
 */
export const FAULT_KINDS = ['crash', 'hang', 'dialog'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export function faultProperty(pkg: string): string {
  return `debug.mplab.fault.${pkg}`;
}

export interface Fault {
  kind: FaultKind;
  action: string;
}

/** The faults a property value asks for; entries that are not KIND:ACTION are ignored (as Android ignores a bad property). */
export function parseFaults(value: string | undefined): Fault[] {
  if (!value) return [];
  const faults: Fault[] = [];
  for (const entry of value.split(',')) {
    const [kind, action] = entry.trim().split(':');
    if ((FAULT_KINDS as readonly string[]).includes(kind) && action) faults.push({ kind: kind as FaultKind, action });
  }
  return faults;
}

/** The fault that applies to `action`, if any (the first one listed). */
export function faultFor(value: string | undefined, action: string): FaultKind | undefined {
  return parseFaults(value).find((f) => f.action === action || f.action === '*')?.kind;
}
