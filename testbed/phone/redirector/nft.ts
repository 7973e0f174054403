import { inNetns } from '../../netns.js';

/**
 * The phone's firewall rule that sends the apps' TCP connections to the redirector, as a real
 * phone's proxy client sets iptables (or a VPN) up: only the apps' own traffic (uids 10000-19999,
 * Android's app range), not the shell's, root's or the redirector's, and never loopback or the
 * proxy itself. One nftables table in the phone's namespace, replaced as a whole.
 */
export const REDIRECT_TABLE = 'mplab_apps';
/** Where the redirector listens (on the phone's loopback): shadowsocks-android's local redirect port. */
export const REDIRECTOR_PORT = 8123;
export const APP_UIDS = { first: 10000, last: 19999 } as const;

export function redirectRules(port: number, proxy: { host: string; port: number }): string {
  return [
    `table ip ${REDIRECT_TABLE}`,
    `delete table ip ${REDIRECT_TABLE}`,
    `table ip ${REDIRECT_TABLE} {`,
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    '    ip daddr 127.0.0.0/8 return',
    `    ip daddr ${proxy.host} tcp dport ${proxy.port} return`,
    `    meta skuid ${APP_UIDS.first}-${APP_UIDS.last} meta l4proto tcp redirect to :${port}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export async function installRedirect(netns: string, port: number, proxy: { host: string; port: number }): Promise<void> {
  await inNetns(netns, 'nft', ['-f', '-'], { input: redirectRules(port, proxy) });
}

export async function removeRedirect(netns: string): Promise<void> {
  await inNetns(netns, 'nft', ['delete', 'table', 'ip', REDIRECT_TABLE], { reject: false });
}
