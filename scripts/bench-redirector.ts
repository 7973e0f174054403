/**
 * npm run bench:redirector -- [--rounds N] [--megabytes N] [--pings N] [--connects N]
 *
 * How a phone's apps reach the MPTCP SOCKS proxy, measured side by side in one run: the apps open
 * plain TCP connections and the phone's firewall (nftables `redirect`, by the app's uid) hands them
 * to a redirector that speaks SOCKS5 to the proxy over MPTCP. Two redirectors:
 *   mplab       testbed/phone/redirector (its own MPTCP sockets, SO_ORIGINAL_DST from the addon)
 *   redsocks    Debian's redsocks under `mptcpize run`
 * and two references: "direct" (no proxy, the proxy namespace routes) and "socks-app" (the app
 * itself a SOCKS5 client under mptcpize, the way mplab's demo and tests reach the proxy).
 * Client namespace -> proxy namespace (mplab's proxy on an MPTCP socket) -> origin namespace
 * (the testkit origin), veths with offloads off. Per round and way: a download and an upload of
 * --megabytes, --pings request/response round trips of 64 bytes on an open connection, and
 * --connects new connections timed from connect() to the first answer (what a redirector adds to
 * every connection's start). Rounds interleave the ways; medians are printed with the CPU time
 * each redirector used per GB. Last, the phone's `tcp` mode (net.mptcp.enabled=0): one
 * connection through each redirector. Needs root and redsocks.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuSeconds } from '../common/process.js';
import { Agent, type NetnsProgram, startOrigin, startProxy, startReadyInNetns } from '../proxy/testkit/remote.js';
import { listening } from '../testbed/lab/network.js';
import { deleteNetns, inNetns, sysctl } from '../testbed/netns.js';
import { redirectRules } from '../testbed/phone/redirector/nft.js';
import { BENCH_ADDRESSES, benchPath, buildBenchPath, deleteOnInterrupt, median, removeDeadBenchNamespaces } from './bench-path.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    megabytes: { type: 'string', default: '200' },
    pings: { type: 'string', default: '1000' },
    connects: { type: 'string', default: '50' },
  },
});
const ROUNDS = Number(values.rounds);
const BYTES = Number(values.megabytes) * 1e6;
const PINGS = Number(values.pings);
const CONNECTS = Number(values.connects);

const BENCH_PREFIX = 'mplabrbench';
const PATH = benchPath(BENCH_PREFIX);
const { client: CLIENT, proxy: PROXY_NS, origin: ORIGIN_NS } = PATH;
const ORIGIN = { host: BENCH_ADDRESSES.origin, port: 8080 };
const PROXY = { host: BENCH_ADDRESSES.proxySide, port: 1080 };
/** The apps' uids (one per redirector) and where each one's connections are redirected. */
const MPLAB = { appUid: 10050, uid: 1000, port: 8123 };
const REDSOCKS = { appUid: 10051, uid: 1001, port: 12345 };

type Way = 'direct' | 'socks-app' | 'mplab' | 'redsocks';
const WAYS: Way[] = ['direct', 'socks-app', 'mplab', 'redsocks'];

interface Sample {
  downMbps: number[];
  upMbps: number[];
  rttUs: number[];
  connectUs: number[];
  cpuSecondsPerGB: number[];
}

async function buildPath(): Promise<void> {
  await buildBenchPath(PATH);
  // the lab phone's rule for mplab's redirector (app uids to :8123), and one uid sent to redsocks instead
  const rules = redirectRules(MPLAB.port, PROXY).replace(
    /(\n\s*meta skuid)/,
    `\n    meta skuid ${REDSOCKS.appUid} meta l4proto tcp redirect to :${REDSOCKS.port}$1`,
  );
  await inNetns(CLIENT, 'nft', ['-f', '-'], { input: rules });
}

function redsocksConfig(): string {
  return `base { log_debug = off; log_info = off; log = stderr; daemon = off; redirector = iptables; }
redsocks { local_ip = 127.0.0.1; local_port = ${REDSOCKS.port}; ip = ${PROXY.host}; port = ${PROXY.port}; type = socks5; }
`;
}

/** redsocks prints nothing when ready: ready once something listens on its port. */
async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await listening(CLIENT, port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on :${port} in ${CLIENT}`);
}

async function open(agents: Record<Way, Agent>, way: Way, id: string, hex?: string): Promise<void> {
  const agent = agents[way];
  if (way === 'socks-app') {
    const answer = await agent.call<{ failed?: string }>({ op: 'socks', id, proxy: PROXY, target: ORIGIN });
    if (answer.failed) throw new Error(`${way}: ${answer.failed}`);
    if (hex) await agent.call({ op: 'send', id, hex });
  } else {
    await agent.call({ op: 'open', id, host: ORIGIN.host, port: ORIGIN.port, hex });
  }
}

type ProxyEntry = { mptcp: { subflows: number; fallback: boolean } | null };

async function proxyEntries(log: string): Promise<ProxyEntry[]> {
  const lines = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return lines.map((line) => JSON.parse(line) as ProxyEntry);
}

/** The proxy's log line of the next connection that ends after `seen` entries (it writes one when a connection ends). */
async function nextProxyEntry(log: string, seen: number): Promise<ProxyEntry | undefined> {
  for (let i = 0; i < 40; i++) {
    const entries = await proxyEntries(log);
    if (entries.length > seen) return entries[seen];
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

/** One echo exchange on a new connection; "ok" or what went wrong. */
async function probe(agents: Record<Way, Agent>, way: Way, id: string): Promise<string> {
  try {
    await open(agents, way, id, Buffer.from('ECHO\n').toString('hex'));
    const answer = await Promise.race([
      agents[way].call({ op: 'pingpong', id, count: 1, size: 64 }).then(() => 'ok'),
      new Promise<string>((r) => setTimeout(() => r('no answer within 5 s'), 5000)),
    ]);
    await agents[way].call({ op: 'close', id }).catch(() => undefined);
    return answer;
  } catch (error) {
    return (error as Error).message;
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:redirector needs root (it creates network namespaces)');
  await removeDeadBenchNamespaces(BENCH_PREFIX);
  const programs: NetnsProgram[] = [];
  const agentList: Agent[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'mplab-bench-redirector-'));
  await chmod(dir, 0o755); // redsocks runs as its own user and reads its configuration here
  const proxyLog = join(dir, 'proxy.jsonl');
  const load = { before: loadavg(), after: [0, 0, 0] };
  deleteOnInterrupt(PATH);
  try {
    await buildPath();
    programs.push(await startOrigin(ORIGIN_NS, [`${ORIGIN.host}:${ORIGIN.port}`]));
    programs.push(await startProxy(PROXY_NS, ['--listen', `${PROXY.host}:${PROXY.port}`, '--allow', '198.18.1.0/24', '--log', proxyLog], { env: { MPLAB_LOG_LEVEL: 'warn' } }));
    const mplab = await startReadyInNetns(
      CLIENT,
      process.execPath,
      ['--import', 'tsx', join('testbed', 'phone', 'redirector', 'main.ts'), '--listen', `127.0.0.1:${MPLAB.port}`, '--proxy', `${PROXY.host}:${PROXY.port}`],
      { ready: /^ready/, uid: MPLAB.uid },
    );
    programs.push(mplab);
    const config = join(dir, 'redsocks.conf');
    await writeFile(config, redsocksConfig());
    const redsocks = inNetns(CLIENT, 'setpriv', [`--reuid=${REDSOCKS.uid}`, `--regid=${REDSOCKS.uid}`, '--clear-groups', 'mptcpize', 'run', 'redsocks', '-c', config], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
    await waitListening(REDSOCKS.port);
    const pidOf = async (name: string): Promise<number> => Number(String((await inNetns(CLIENT, 'pgrep', ['-n', '-x', name])).stdout).trim());
    const pids: Record<Way, number | undefined> = { direct: undefined, 'socks-app': undefined, mplab: await pidOf('mplab.redirecto'), redsocks: await pidOf('redsocks') };

    const agents: Record<Way, Agent> = {
      direct: await Agent.start(CLIENT),
      'socks-app': await Agent.start(CLIENT, { mptcpize: true }),
      mplab: await Agent.start(CLIENT, { uid: MPLAB.appUid }),
      redsocks: await Agent.start(CLIENT, { uid: REDSOCKS.appUid }),
    };
    agentList.push(...Object.values(agents));

    const checks: string[] = [];
    for (const way of WAYS) {
      const seen = (await proxyEntries(proxyLog)).length;
      const result = await probe(agents, way, `check-${way}`);
      const entry = way === 'direct' ? undefined : await nextProxyEntry(proxyLog, seen);
      checks.push(`${way}: ${result}${entry ? `, at the proxy ${entry.mptcp && !entry.mptcp.fallback ? 'MPTCP' : 'TCP'}` : ''}`);
      if (result !== 'ok') throw new Error(`${way} does not carry a connection: ${result}`);
    }

    const samples = Object.fromEntries(WAYS.map((w) => [w, { downMbps: [], upMbps: [], rttUs: [], connectUs: [], cpuSecondsPerGB: [] }])) as unknown as Record<Way, Sample>;
    let n = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const order = WAYS.map((_, i) => WAYS[(i + round) % WAYS.length]);
      for (const way of order) {
        const s = samples[way];
        const agent = agents[way];
        const cpu0 = pids[way] === undefined ? NaN : (cpuSeconds(pids[way]!) ?? NaN);
        let id = `d${++n}`;
        await open(agents, way, id);
        const down = await agent.call<{ bytes: number; seconds: number }>({ op: 'download', id, bytes: BYTES, digest: false });
        if (down.bytes !== BYTES) throw new Error(`${way}: downloaded ${down.bytes} of ${BYTES} bytes`);
        await agent.call({ op: 'close', id });
        s.downMbps.push((down.bytes * 8) / down.seconds / 1e6);

        id = `u${++n}`;
        await open(agents, way, id);
        const up = await agent.call<{ answer: string; seconds: number }>({ op: 'upload', id, bytes: BYTES, halfClose: false });
        if (up.answer !== String(BYTES)) throw new Error(`${way}: the origin answered ${JSON.stringify(up.answer)} to the upload`);
        await agent.call({ op: 'close', id });
        s.upMbps.push((BYTES * 8) / up.seconds / 1e6);
        s.cpuSecondsPerGB.push(((pids[way] === undefined ? NaN : (cpuSeconds(pids[way]!) ?? NaN)) - cpu0) / ((2 * BYTES) / 1e9));

        id = `e${++n}`;
        await open(agents, way, id, Buffer.from('ECHO\n').toString('hex'));
        await agent.call({ op: 'pingpong', id, count: 50, size: 64 });
        const pp = await agent.call<{ rttsMs: number[] }>({ op: 'pingpong', id, count: PINGS, size: 64 });
        await agent.call({ op: 'close', id });
        s.rttUs.push(...pp.rttsMs.map((ms) => ms * 1000));

        for (let c = 0; c < CONNECTS; c++) {
          id = `c${++n}`;
          const started = process.hrtime.bigint();
          await open(agents, way, id, Buffer.from('ECHO\n').toString('hex'));
          await agent.call({ op: 'pingpong', id, count: 1, size: 64 });
          s.connectUs.push(Number(process.hrtime.bigint() - started) / 1000);
          await agent.call({ op: 'close', id });
        }
        process.stderr.write(
          `round ${round} ${way.padEnd(9)} down ${s.downMbps.at(-1)!.toFixed(0)} Mbit/s, up ${s.upMbps.at(-1)!.toFixed(0)} Mbit/s, RTT ${median(pp.rttsMs.map((x) => x * 1000)).toFixed(1)} us, connect to first answer ${median(s.connectUs.slice(-CONNECTS)).toFixed(0)} us\n`,
        );
      }
    }
    load.after = loadavg();

    // the phone's tcp mode: the kernel refuses MPTCP sockets
    await sysctl(CLIENT, 'net.mptcp.enabled', 0);
    const tcpMode: string[] = [];
    for (const way of ['mplab', 'redsocks'] as const) {
      const seen = (await proxyEntries(proxyLog)).length;
      const result = await probe(agents, way, `tcp-${way}`);
      const entry = result === 'ok' ? await nextProxyEntry(proxyLog, seen) : undefined;
      tcpMode.push(`${way}: ${result === 'ok' ? `carried${entry?.mptcp ? ' (MPTCP?!)' : ', plain TCP at the proxy'}` : `FAILED (${result})`}`);
    }
    await sysctl(CLIENT, 'net.mptcp.enabled', 1);
    redsocks.kill('SIGTERM');
    const redsocksEnd = await redsocks;
    const redsocksErrors = String(redsocksEnd.stderr ?? '').split('\n').filter((l) => /error|fail|refused|not available/i.test(l)).slice(0, 2);
    report(samples, load, checks, tcpMode, redsocksErrors);
  } finally {
    for (const agent of agentList) await agent.stop().catch(() => undefined);
    for (const p of programs.reverse()) await p.stop().catch(() => undefined);
    for (const ns of [CLIENT, PROXY_NS, ORIGIN_NS]) await deleteNetns(ns);
    await rm(dir, { recursive: true, force: true });
  }
}

function report(samples: Record<Way, Sample>, load: { before: number[]; after: number[] }, checks: string[], tcpMode: string[], redsocksErrors: string[]): void {
  const m = (way: Way, key: keyof Sample): number => median(samples[way][key]);
  const fmt = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');
  const lines = [
    `bench:redirector: ${ROUNDS} rounds; per round and way ${BYTES / 1e6} MB down and up, ${PINGS} round trips of 64 bytes, ${CONNECTS} new connections to a first answer`,
    `load average before ${load.before.map((x) => x.toFixed(2)).join(' ')}, after ${load.after.map((x) => x.toFixed(2)).join(' ')}`,
    `first connection of each way: ${checks.join('; ')}`,
    '',
    'way        download Mbit/s  upload Mbit/s  RTT us  added RTT us  connect+answer us  added us  redirector CPU s/GB',
  ];
  for (const way of WAYS) {
    const addedRtt = way === 'direct' ? '-' : fmt(m(way, 'rttUs') - m('direct', 'rttUs'), 1);
    const addedConnect = way === 'direct' ? '-' : fmt(m(way, 'connectUs') - m('direct', 'connectUs'));
    lines.push(
      `${way.padEnd(10)} ${fmt(m(way, 'downMbps')).padStart(15)} ${fmt(m(way, 'upMbps')).padStart(14)} ${fmt(m(way, 'rttUs'), 1).padStart(7)} ${addedRtt.padStart(13)} ${fmt(m(way, 'connectUs')).padStart(18)} ${addedConnect.padStart(9)} ${fmt(m(way, 'cpuSecondsPerGB'), 2).padStart(20)}`,
    );
  }
  lines.push(
    '',
    `mplab/redsocks: download ${fmt((100 * m('mplab', 'downMbps')) / m('redsocks', 'downMbps'))}%, upload ${fmt((100 * m('mplab', 'upMbps')) / m('redsocks', 'upMbps'))}%, connect to first answer ${fmt((100 * m('mplab', 'connectUs')) / m('redsocks', 'connectUs'))}%`,
    `tcp mode (net.mptcp.enabled=0): ${tcpMode.join('; ')}${redsocksErrors.length ? ` (redsocks said: ${redsocksErrors.join(' | ')})` : ''}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
