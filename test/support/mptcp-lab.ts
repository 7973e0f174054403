import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../../common/paths.js';
import { startReadyInNetns } from '../../proxy/testkit/remote.js';
import { addNetns, inNetns, ip, sysctl, vethPair } from '../../testbed/netns.js';
import type { ConnectionResult, Plan } from './traffic-client.js';

/**
 * A two-path MPTCP testbed for the analyzer: a "phone" namespace with wlan0 (198.18.1.2, behind a
 * WiFi access point namespace that routes to the proxy) and rmnet0 (198.18.2.2, straight to the
 * proxy), and a "proxy" namespace (198.18.3.2 towards the access point, 198.18.2.1 on the
 * cellular side) where the traffic server listens and captures are taken. The phone's kernel
 * opens an additional subflow from rmnet0 for every MPTCP connection (`ip mptcp endpoint ...
 * subflow`), with policy routing per address. Cutting wlan0 loses what the proxy already sent
 * towards the access point, as a real WiFi loss does.
 */
export const WIFI = { phone: '198.18.1.2', ap: '198.18.1.1', cidr: '198.18.1.0/24' };
export const CELL = { phone: '198.18.2.2', proxy: '198.18.2.1', cidr: '198.18.2.0/24' };
export const PROXY = '198.18.3.2';
export const SERVER_PORT = 1080;

const SERVER = fileURLToPath(new URL('./traffic-server.ts', import.meta.url));
const CLIENT = fileURLToPath(new URL('./traffic-client.ts', import.meta.url));
const TSX = ['--import', 'tsx'];

export interface MptcpLab {
  phone: string;
  ap: string;
  proxy: string;
}

export async function createMptcpLab(prefix: string, opts: { rateMbit?: number } = {}): Promise<MptcpLab> {
  const lab = { phone: `${prefix}phone`, ap: `${prefix}ap`, proxy: `${prefix}proxy` };
  for (const ns of Object.values(lab)) await addNetns(ns);
  await vethPair({ netns: lab.phone, ifname: 'wlan0', cidr: `${WIFI.phone}/24` }, { netns: lab.ap, ifname: 'ap0', cidr: `${WIFI.ap}/24` });
  await vethPair({ netns: lab.ap, ifname: 'ap1', cidr: '198.18.3.1/30' }, { netns: lab.proxy, ifname: 'wifi0', cidr: `${PROXY}/30` });
  await vethPair({ netns: lab.phone, ifname: 'rmnet0', cidr: `${CELL.phone}/24` }, { netns: lab.proxy, ifname: 'cell0', cidr: `${CELL.proxy}/24` });
  await sysctl(lab.ap, 'net.ipv4.ip_forward', 1);
  await ip(lab.phone, ['route', 'add', 'default', 'via', WIFI.ap, 'dev', 'wlan0']);
  await ip(lab.proxy, ['route', 'add', WIFI.cidr, 'via', '198.18.3.1', 'dev', 'wifi0']);
  // subflows from the cellular address leave through rmnet0, whatever their destination
  await ip(lab.phone, ['rule', 'add', 'from', CELL.phone, 'table', '102']);
  await ip(lab.phone, ['route', 'add', 'default', 'via', CELL.proxy, 'dev', 'rmnet0', 'table', '102']);
  for (const ns of [lab.phone, lab.proxy]) {
    await sysctl(ns, 'net.mptcp.enabled', 1);
    await sysctl(ns, 'net.ipv4.conf.all.rp_filter', 0);
    await ip(ns, ['mptcp', 'limits', 'set', 'subflow', '4', 'add_addr_accepted', '4']);
  }
  await ip(lab.phone, ['mptcp', 'endpoint', 'add', CELL.phone, 'dev', 'rmnet0', 'subflow']);
  if (opts.rateMbit) {
    // the proxy's sending side of each path, so that a download lasts long enough to cut it
    for (const dev of ['wifi0', 'cell0']) {
      await inNetns(lab.proxy, 'tc', ['qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${opts.rateMbit}mbit`, 'burst', '32kb', 'latency', '100ms']);
    }
  }
  return lab;
}

/** Starts the traffic server in the proxy namespace; resolves once it listens. */
export async function startTrafficServer(lab: MptcpLab, proxyLog?: string): Promise<{ stop(): Promise<void> }> {
  const args = [...TSX, SERVER, '0.0.0.0', String(SERVER_PORT), ...(proxyLog ? [proxyLog] : [])];
  return startReadyInNetns(lab.proxy, process.execPath, args, { ready: /^listening$/, timeoutMs: 30_000 });
}

/**
 * Runs a client plan in the phone namespace (MPTCP through mptcpize unless `tcp`); `onProgress`
 * is called when a connection has received its first megabyte.
 */
export async function runClients(lab: MptcpLab, plan: Plan, opts: { tcp?: boolean; onProgress?: (index: number) => void } = {}): Promise<ConnectionResult[]> {
  const node = ['node', ...TSX, CLIENT, JSON.stringify(plan)];
  const [file, ...args] = opts.tcp ? node : ['mptcpize', 'run', ...node];
  const proc = inNetns(lab.phone, file, args, { cwd: REPO_ROOT });
  const results: ConnectionResult[] = [];
  let pending = '';
  proc.stdout?.on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const value = JSON.parse(line) as ConnectionResult | { progress: number };
      if ('progress' in value) opts.onProgress?.(value.progress);
      else results.push(value);
    }
  });
  await proc;
  return results.sort((a, b) => a.index - b.index);
}

/**
 * Random loss of `percent` of the packets the phone receives (nftables numgen at prerouting in the
 * phone namespace, after the capture point, so that captures see the lost packet and its
 * retransmission); returns a remover.
 */
export async function addLoss(lab: MptcpLab, percent: number): Promise<() => Promise<void>> {
  const rules = `table inet mplabloss {\n chain in {\n  type filter hook prerouting priority 0;\n  meta l4proto tcp numgen random mod 100 < ${percent} drop\n }\n}\n`;
  await inNetns(lab.phone, 'nft', ['-f', '-'], { input: rules });
  return async () => {
    await inNetns(lab.phone, 'nft', ['delete', 'table', 'inet', 'mplabloss']);
  };
}

export async function setLink(lab: MptcpLab, dev: 'wlan0' | 'rmnet0', up: boolean): Promise<void> {
  await ip(lab.phone, ['link', 'set', dev, up ? 'up' : 'down']);
}
