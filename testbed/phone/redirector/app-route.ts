import { inNetns } from '../../netns.js';
import { APP_UIDS } from './nft.js';

/**
 * The apps' own route, as a real phone's proxy client in VPN mode gives them (shadowsocks-android
 * routes the apps into its tun0): the apps' uids look up a table whose default route is a TUN
 * interface of their own, so their connections leave from its address, not from wlan0's or
 * rmnet0's. The firewall then redirects them to the redirector on loopback. Without it an app's
 * connection is bound to the WiFi address, and when WiFi goes away (its address removed) the
 * app's end of the connection dies with it, although MPTCP carries the redirector's connection to
 * the proxy on over cellular: the app would see no handover at all.
 */
export const APP_IFACE = 'tun0';
/** Only in the phone's namespace (each phone its own), in the lab's 198.18.0.0/15 but outside its links' plan. */
export const APP_ADDRESS = '198.18.255.1';
export const APP_TABLE = 7100;
/** Before the controller's source and default rules (9101, 9102, 9190), which it replaces at will. */
export const APP_RULE_PRIORITY = 9000;

/** The argument lists for `ip`, each run on its own; those that may find their object there already come first as removals. */
export function appRouteCommands(): { removals: string[][]; additions: string[][] } {
  return {
    removals: [
      ['rule', 'del', 'priority', String(APP_RULE_PRIORITY)],
      ['link', 'del', APP_IFACE],
    ],
    additions: [
      ['tuntap', 'add', 'dev', APP_IFACE, 'mode', 'tun'],
      ['addr', 'add', `${APP_ADDRESS}/32`, 'dev', APP_IFACE],
      ['link', 'set', APP_IFACE, 'up'],
      ['route', 'replace', 'default', 'dev', APP_IFACE, 'table', String(APP_TABLE)],
      ['rule', 'add', 'uidrange', `${APP_UIDS.first}-${APP_UIDS.last}`, 'lookup', String(APP_TABLE), 'priority', String(APP_RULE_PRIORITY)],
    ],
  };
}

/** Sets the apps' route up afresh (a daemon started again finds the last one's). */
export async function installAppRoute(netns: string): Promise<void> {
  const { removals, additions } = appRouteCommands();
  for (const args of removals) await inNetns(netns, 'ip', args, { reject: false });
  for (const args of additions) await inNetns(netns, 'ip', args);
}
