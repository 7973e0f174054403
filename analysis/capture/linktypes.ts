/** Link-layer header types (https://www.tcpdump.org/linktypes.html) the decoder understands. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_RAW_BSD = 12;
export const LINKTYPE_RAW_OPENBSD = 14;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const NAMES: Record<number, string> = {
  [LINKTYPE_NULL]: 'NULL (BSD loopback)',
  [LINKTYPE_ETHERNET]: 'Ethernet',
  [LINKTYPE_PPP]: 'PPP',
  [LINKTYPE_RAW_BSD]: 'raw IP',
  [LINKTYPE_RAW_OPENBSD]: 'raw IP',
  [LINKTYPE_PPP_HDLC]: 'PPP in HDLC framing',
  [LINKTYPE_RAW]: 'raw IP',
  [LINKTYPE_LOOP]: 'OpenBSD loopback',
  [LINKTYPE_LINUX_SLL]: 'Linux cooked v1',
  [LINKTYPE_IPV4]: 'raw IPv4',
  [LINKTYPE_IPV6]: 'raw IPv6',
  [LINKTYPE_LINUX_SLL2]: 'Linux cooked v2',
};

export const SUPPORTED_LINK_TYPES = 'Ethernet (with VLAN tags) 1, Linux cooked v1 113 and v2 276, raw IP 101/12/14, raw IPv4 228, raw IPv6 229, PPP 9/50, loopback 0/108';

export function isSupportedLinkType(linktype: number): boolean {
  return linktype in NAMES;
}

export function linkTypeName(linktype: number): string {
  const name = NAMES[linktype];
  return name ? `${linktype} (${name})` : String(linktype);
}
