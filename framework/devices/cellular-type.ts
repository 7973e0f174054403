import type { Device } from './device.js';
import { PhoneOpError } from './errors.js';
import { commandOutput } from './shell.js';
import type { Argv } from './android-commands.js';
import { shCommand } from './quote.js';

/**
 * The cellular technology a phone may use (3G, 4G, 5G or whatever it supports), as the seed's
 * campaigns switched between 3G and 4G. Android 12 (SDK 31) and later: the user's allowed network
 * types through `cmd phone set-allowed-network-types-for-users -s 0 BITMASK` (a binary string of
 * TelephonyManager's NETWORK_TYPE_BITMASK bits), read back with get-allowed-network-types-for-users.
 * Before: the preferred network mode setting (RILConstants), which the radio applies when it
 * comes back, so airplane mode is toggled after it, and read back from the setting.
 */
export const CELLULAR_TYPES = ['3g', '4g', '5g', 'auto'] as const;
export type CellularType = (typeof CELLULAR_TYPES)[number];

/** TelephonyManager.NETWORK_TYPE_* values; the bitmask bit of type t is 1 << (t - 1). */
const NETWORK_TYPES: Record<string, number> = {
  GPRS: 1, EDGE: 2, UMTS: 3, CDMA: 4, EVDO_0: 5, EVDO_A: 6, '1xRTT': 7, HSDPA: 8, HSUPA: 9, HSPA: 10, IDEN: 11, EVDO_B: 12,
  LTE: 13, EHRPD: 14, HSPAP: 15, GSM: 16, TD_SCDMA: 17, IWLAN: 18, LTE_CA: 19, NR: 20,
};
/** The names Android prints for them (TelephonyManager.getNetworkTypeName), where they differ. */
const PRINTED: Record<string, string> = { HSPAP: 'HSPA+', IDEN: 'iDEN', EVDO_0: 'CDMA - EvDo rev. 0', EVDO_A: 'CDMA - EvDo rev. A', EVDO_B: 'CDMA - EvDo rev. B', '1xRTT': 'CDMA - 1xRTT', EHRPD: 'CDMA - eHRPD', CDMA: 'CDMA' };

const TWO_G = ['GSM', 'GPRS', 'EDGE'];
const THREE_G = ['UMTS', 'HSDPA', 'HSUPA', 'HSPA', 'HSPAP', 'TD_SCDMA'];
const FOUR_G = ['LTE', 'LTE_CA'];

/** Which network types each choice allows: the technology and those below it (voice and fallback need them). */
export const ALLOWED_TYPES: Record<CellularType, string[]> = {
  '3g': [...TWO_G, ...THREE_G],
  '4g': [...TWO_G, ...THREE_G, ...FOUR_G],
  '5g': [...TWO_G, ...THREE_G, ...FOUR_G, 'NR'],
  auto: Object.keys(NETWORK_TYPES),
};

export function bitmaskOf(types: readonly string[]): bigint {
  return types.reduce((m, t) => m | (1n << BigInt(NETWORK_TYPES[t] - 1)), 0n);
}

/** The argument `cmd phone set-allowed-network-types-for-users` takes: the mask in binary. */
export function bitmaskArgument(type: CellularType): string {
  return bitmaskOf(ALLOWED_TYPES[type]).toString(2);
}

/** The mask of get-allowed-network-types-for-users's output ("GSM|GPRS|EDGE|..."), null when a name is unknown. */
export function parseAllowedTypes(text: string): bigint | null {
  const byPrinted = new Map(Object.keys(NETWORK_TYPES).map((k) => [PRINTED[k] ?? k, k]));
  const names = text.trim().split('|').map((s) => s.trim()).filter(Boolean);
  let mask = 0n;
  for (const n of names) {
    const key = byPrinted.get(n) ?? (n in NETWORK_TYPES ? n : undefined);
    if (!key) return null;
    mask |= 1n << BigInt(NETWORK_TYPES[key] - 1);
  }
  return mask;
}

/** The choice a mask is, null when it is none of them (set by hand or by another tool). */
export function typeOfMask(mask: bigint): CellularType | null {
  return CELLULAR_TYPES.find((t) => bitmaskOf(ALLOWED_TYPES[t]) === mask) ?? null;
}

/** RILConstants preferred network modes for phones before SDK 31 (NR modes from SDK 29). */
export function preferredNetworkMode(type: CellularType, sdk: number): number {
  if (type === '3g') return 0; // NETWORK_MODE_WCDMA_PREF: WCDMA, GSM as fallback
  if (type === '4g') return 9; // NETWORK_MODE_LTE_GSM_WCDMA
  if (sdk < 29) {
    if (type === '5g') throw new CellularTypeError(`5G needs Android 10 (SDK 29) or later; the phone has SDK ${sdk}`, 'cannot');
    return 10; // NETWORK_MODE_GLOBAL
  }
  return type === '5g' ? 26 : 33; // NR_LTE_GSM_WCDMA; NR_LTE_TDSCDMA_CDMA_EVDO_GSM_WCDMA (everything)
}

export class CellularTypeError extends PhoneOpError {}

export interface CellularTypePlan {
  set: Argv[];
  read: Argv;
  /** Whether the read-back output shows the choice. */
  confirms(output: string): boolean;
  /** The radio applies the setting only when it restarts: airplane mode on and off after it. */
  toggleAirplane: boolean;
}

export function planCellularType(type: CellularType, sdk: number): CellularTypePlan {
  if (sdk >= 31) {
    const want = bitmaskOf(ALLOWED_TYPES[type]);
    return {
      set: [['cmd', 'phone', 'set-allowed-network-types-for-users', '-s', '0', bitmaskArgument(type)]],
      read: ['cmd', 'phone', 'get-allowed-network-types-for-users', '-s', '0'],
      confirms: (out) => parseAllowedTypes(out) === want,
      toggleAirplane: false,
    };
  }
  const mode = String(preferredNetworkMode(type, sdk));
  return {
    set: [
      ['settings', 'put', 'global', 'preferred_network_mode', mode],
      ['settings', 'put', 'global', 'preferred_network_mode1', mode],
    ],
    read: ['settings', 'get', 'global', 'preferred_network_mode'],
    confirms: (out) => out.trim() === mode,
    toggleAirplane: true,
  };
}

/** The phone's current choice, null when its allowed types are none of the four. */
export async function readCellularType(device: Device): Promise<CellularType | null> {
  const sdk = await device.sdk();
  const out = await device.run(planCellularType('auto', sdk).read, { timeoutMs: 15_000 });
  return CELLULAR_TYPES.find((t) => planCellularType(t, sdk).confirms(out)) ?? null;
}

/** Sets the technology and reads it back; returns the commands run. */
export async function applyCellularType(device: Device, type: CellularType, toggleAirplane: (on: boolean) => Promise<void>): Promise<string[]> {
  const sdk = await device.sdk();
  const plan = planCellularType(type, sdk);
  const done: string[] = [];
  for (const argv of plan.set) {
    const r = await device.shell(argv, { timeoutMs: 15_000 });
    const out = commandOutput(r);
    if (r.exitCode !== 0 || /failed|No valid|Exception/i.test(out)) throw new CellularTypeError(`${shCommand(argv)} failed (exit status ${r.exitCode}): ${out || 'no output'}`);
    done.push(shCommand(argv));
  }
  if (plan.toggleAirplane) {
    await toggleAirplane(true);
    await toggleAirplane(false);
    done.push('airplane mode on and off (the radio applies the preferred mode when it comes back)');
  }
  const out = await device.run(plan.read, { timeoutMs: 15_000 });
  if (!plan.confirms(out)) throw new CellularTypeError(`${shCommand(plan.read)} shows ${JSON.stringify(out.trim())} after setting ${type}: the change did not take effect`);
  return done;
}
