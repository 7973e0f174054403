/**
 * The cellular technologies a virtual phone allows (Android's allowed network types for the user,
 * `cmd phone set-allowed-network-types-for-users`), kept as the bitmask Android keeps, and what
 * they mean for the lab: the best technology allowed picks the lab profile whose cellular link the
 * phone then gets (3G, 4G, 5G; every type allowed is "auto": the lab's own profile).
 */
/** TelephonyManager.NETWORK_TYPE_* (bit t-1 of the mask) and the names Android prints for them. */
export const NETWORK_TYPE_NAMES: readonly [number, string][] = [
  [1, 'GPRS'], [2, 'EDGE'], [3, 'UMTS'], [4, 'CDMA'], [5, 'CDMA - EvDo rev. 0'], [6, 'CDMA - EvDo rev. A'], [7, 'CDMA - 1xRTT'],
  [8, 'HSDPA'], [9, 'HSUPA'], [10, 'HSPA'], [11, 'iDEN'], [12, 'CDMA - EvDo rev. B'], [13, 'LTE'], [14, 'CDMA - eHRPD'],
  [15, 'HSPA+'], [16, 'GSM'], [17, 'TD_SCDMA'], [18, 'IWLAN'], [19, 'LTE_CA'], [20, 'NR'],
];

export const ALL_TYPES = NETWORK_TYPE_NAMES.reduce((m, [t]) => m | (1n << BigInt(t - 1)), 0n);

export type Technology = '2g' | '3g' | '4g' | '5g' | 'auto';

const has = (mask: bigint, type: number) => (mask & (1n << BigInt(type - 1))) !== 0n;

/** What get-allowed-network-types-for-users prints: the names joined by "|". */
export function maskText(mask: bigint): string {
  return NETWORK_TYPE_NAMES.filter(([t]) => has(mask, t)).map(([, n]) => n).join('|');
}

/** The best technology a mask allows. */
export function technologyOf(mask: bigint): Technology {
  if ((mask & ALL_TYPES) === ALL_TYPES) return 'auto';
  if (has(mask, 20)) return '5g';
  if (has(mask, 13) || has(mask, 19)) return '4g';
  if ([3, 8, 9, 10, 15, 17].some((t) => has(mask, t))) return '3g';
  return '2g';
}

/** A binary string as the real command takes it (Long.parseLong(s, 2)); null when it is not one. */
export function parseBinaryMask(text: string | undefined): bigint | null {
  if (!text || !/^[01]{1,63}$/.test(text)) return null;
  return BigInt(`0b${text}`);
}
