import { describe, expect, it } from 'vitest';
import { bitmaskArgument, bitmaskOf, parseAllowedTypes, planCellularType, preferredNetworkMode, typeOfMask } from '../../../framework/devices/cellular-type.js';

describe('cellular type commands', () => {
  it('sends the allowed types as the binary NETWORK_TYPE_BITMASK from Android 12', () => {
    // GPRS 1, EDGE 2, UMTS 4, HSDPA 128, HSUPA 256, HSPA 512, HSPA+ 16384, GSM 32768, TD_SCDMA 65536
    expect(bitmaskOf(['GPRS', 'EDGE', 'UMTS', 'HSDPA', 'HSUPA', 'HSPA', 'HSPAP', 'GSM', 'TD_SCDMA'])).toBe(115591n);
    expect(bitmaskArgument('3g')).toBe((115591).toString(2));
    expect(BigInt(`0b${bitmaskArgument('4g')}`) & 4096n).toBe(4096n);
    expect(BigInt(`0b${bitmaskArgument('4g')}`) & 524288n).toBe(0n);
    expect(planCellularType('5g', 31).set).toEqual([['cmd', 'phone', 'set-allowed-network-types-for-users', '-s', '0', bitmaskArgument('5g')]]);
  });

  it('reads back the names Android prints', () => {
    expect(parseAllowedTypes('GSM|GPRS|EDGE|UMTS|HSDPA|HSUPA|HSPA|HSPA+|TD_SCDMA')).toBe(115591n);
    expect(typeOfMask(parseAllowedTypes('GSM|GPRS|EDGE|UMTS|HSDPA|HSUPA|HSPA|HSPA+|TD_SCDMA|LTE|LTE_CA')!)).toBe('4g');
    expect(parseAllowedTypes('LTE|WIMAX')).toBeNull();
    expect(typeOfMask(4096n)).toBeNull();
  });

  it('uses the preferred network mode setting and an airplane cycle before Android 12', () => {
    const plan = planCellularType('4g', 30);
    expect(plan.set).toEqual([
      ['settings', 'put', 'global', 'preferred_network_mode', '9'],
      ['settings', 'put', 'global', 'preferred_network_mode1', '9'],
    ]);
    expect(plan.toggleAirplane).toBe(true);
    expect(plan.confirms('9\n')).toBe(true);
    expect(preferredNetworkMode('3g', 28)).toBe(0);
    expect(preferredNetworkMode('5g', 29)).toBe(26);
    expect(() => preferredNetworkMode('5g', 28)).toThrow(/SDK 29/);
  });
});
