import { BlockList, isIP } from 'node:net';
import { UserError } from '../common/errors.js';

/**
 * Addresses as the decoder keeps them: IPv4 as one unsigned 32-bit word, IPv6 as four words
 * (most significant first). Formatting follows the project's JSON contract: "198.18.1.2:40122"
 * and "[2001:db8::1]:443".
 */
export function formatIPv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** RFC 5952 text form: lower-case hex, the longest run of two or more zero groups as "::". */
export function formatIPv6(w0: number, w1: number, w2: number, w3: number): string {
  const groups = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  if (w0 === 0 && w1 === 0 && w2 >>> 0 === 0xffff) return `::ffff:${formatIPv4(w3)}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function formatIp(v6: boolean, w0: number, w1: number, w2: number, w3: number): string {
  return v6 ? formatIPv6(w0, w1, w2, w3) : formatIPv4(w0);
}

export function formatEndpoint(v6: boolean, w0: number, w1: number, w2: number, w3: number, port: number): string {
  return v6 ? `[${formatIPv6(w0, w1, w2, w3)}]:${port}` : `${formatIPv4(w0)}:${port}`;
}

/** Subflow interface classes from --wifi/--cellular: lists of CIDRs matched against the phone-side address. */
export class InterfaceClassifier {
  private readonly wifi = new BlockList();
  private readonly cellular = new BlockList();
  readonly known: boolean;

  constructor(wifi: readonly string[], cellular: readonly string[]) {
    for (const cidr of wifi) addCidr(this.wifi, cidr, '--wifi');
    for (const cidr of cellular) addCidr(this.cellular, cidr, '--cellular');
    this.known = wifi.length > 0 || cellular.length > 0;
  }

  classify(ip: string, v6: boolean): 'wifi' | 'cellular' | null {
    const type = v6 ? 'ipv6' : 'ipv4';
    if (this.wifi.check(ip, type)) return 'wifi';
    if (this.cellular.check(ip, type)) return 'cellular';
    return null;
  }
}

/** "198.18.1.0/24" or "2001:db8::/32"; a bare address is a /32 or /128. */
export function addCidr(list: BlockList, cidr: string, option: string): void {
  const { addr, family, prefix } = parseCidr(cidr, option);
  list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
}

/** A CIDR of --wifi or --cellular (`option`, for the message of a bad one) as BlockList.addSubnet takes it. */
export function parseCidr(cidr: string, option: string): { addr: string; family: 4 | 6; prefix: number } {
  const text = cidr.trim();
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) throw new UserError(`${option}: ${JSON.stringify(cidr)} is not an address or CIDR (expected e.g. 198.18.1.0/24 or 2001:db8::/32)`);
  const max = family === 4 ? 32 : 128;
  const prefix = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (slash >= 0 && text.slice(slash + 1).trim() === '')) {
    throw new UserError(`${option}: ${JSON.stringify(cidr)} has an invalid prefix length (expected 0-${max})`);
  }
  return { addr, family: family === 4 ? 4 : 6, prefix };
}

export function parseCidrList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
