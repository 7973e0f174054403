import { createHash } from 'node:crypto';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_REASONS } from '../../../proxy/connection-log.js';
import { PATTERN, patternDigest } from '../../../proxy/testkit/pattern.js';
import { MPLAB_CLI, REPO_ROOT } from '../../../common/paths.js';
import { Agent, type NetnsProgram, startReadyInNetns, startOrigin, startProxy } from '../../../proxy/testkit/remote.js';
import { addNetns, inNetns, ip, sysctl, vethPair } from '../../../testbed/netns.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { nstat } from '../../support/nstat.js';
import { type Opened, exchange, outputContains, readLog, recordFor, recordWhere } from './support.js';

/*
 * client ns  wlan0 198.18.1.2/24, 2001:2:0:1::2/64, 198.18.9.2/24 (outside --allow)
 *            rmnet0 198.18.2.2/24 (a second path for MPTCP subflows)
 * proxy ns   c1 198.18.1.1, 2001:2:0:1::1, 198.18.9.1   c2 198.18.2.1   o1 198.19.0.1, 2001:2:0:2::1
 * origin ns  eth0 198.19.0.2/24, 2001:2:0:2::2/64: the testkit origin on port 8080, the lab's HTTP origin on port 80
 * Proxy A on [::]:1080 (dual stack, names from a hosts file); proxy B on 198.18.1.1:1082 with
 * authentication and small limits.
 */
const ORIGIN = { host: '198.19.0.2', port: 8080 };
const ORIGIN6 = { host: '2001:2:0:2::2', port: 8080 };
const PROXY = { host: '198.18.1.1', port: 1080 };
const PROXY6 = { host: '2001:2:0:1::1', port: 1080 };
const LIMITED = { host: '198.18.1.1', port: 1082 };
const AUTH = { user: 'mplab', pass: 's3cr:et' };

describe.skipIf(skipUnless({ root: true, commands: ['ip', 'ethtool', 'nstat', 'mptcpize', 'curl'] }))('the SOCKS5 proxy over real sockets', () => {
  const prefix = testPrefix();
  const client = `${prefix}c`;
  const proxyNs = `${prefix}p`;
  const originNs = `${prefix}o`;
  let dir: string;
  let logA: string;
  let logB: string;
  let proxyA: NetnsProgram;
  let proxyB: NetnsProgram;
  let origin: NetnsProgram;
  let httpOrigin: NetnsProgram;
  let agent: Agent;
  let ids = 0;
  const id = (): string => `c${++ids}`;

  beforeAll(async () => {
    for (const ns of [client, proxyNs, originNs]) await addNetns(ns);
    await vethPair({ netns: client, ifname: 'wlan0', cidr: '198.18.1.2/24' }, { netns: proxyNs, ifname: 'c1', cidr: '198.18.1.1/24' });
    await vethPair({ netns: client, ifname: 'rmnet0', cidr: '198.18.2.2/24' }, { netns: proxyNs, ifname: 'c2', cidr: '198.18.2.1/24' });
    await vethPair({ netns: proxyNs, ifname: 'o1', cidr: '198.19.0.1/24' }, { netns: originNs, ifname: 'eth0', cidr: '198.19.0.2/24' });
    await ip(client, ['addr', 'add', '198.18.9.2/24', 'dev', 'wlan0']);
    await ip(proxyNs, ['addr', 'add', '198.18.9.1/24', 'dev', 'c1']);
    await ip(client, ['addr', 'add', '2001:2:0:1::2/64', 'dev', 'wlan0', 'nodad']);
    await ip(proxyNs, ['addr', 'add', '2001:2:0:1::1/64', 'dev', 'c1', 'nodad']);
    await ip(proxyNs, ['addr', 'add', '2001:2:0:2::1/64', 'dev', 'o1', 'nodad']);
    await ip(originNs, ['addr', 'add', '2001:2:0:2::2/64', 'dev', 'eth0', 'nodad']);
    // the client's second path: its own routing table, and an MPTCP endpoint that opens subflows on it
    await ip(client, ['rule', 'add', 'from', '198.18.2.2', 'table', '102']);
    await ip(client, ['route', 'add', 'default', 'via', '198.18.2.1', 'dev', 'rmnet0', 'table', '102']);
    await ip(client, ['mptcp', 'endpoint', 'add', '198.18.2.2', 'dev', 'rmnet0', 'subflow']);
    for (const ns of [client, proxyNs]) await ip(ns, ['mptcp', 'limits', 'set', 'subflows', '4', 'add_addr_accepted', '4']);
    // targets the proxy cannot reach, the same way for both families (198.19.5.0/24 and 2001:2:0:5::/64 have no route at all)
    for (const [type, v4, v6] of [['unreachable', '198.19.6.0/24', '2001:2:0:6::/64'], ['prohibit', '198.19.7.0/24', '2001:2:0:7::/64'], ['blackhole', '198.19.8.0/24', '2001:2:0:8::/64']]) {
      await ip(proxyNs, ['route', 'add', type, v4]);
      await ip(proxyNs, ['-6', 'route', 'add', type, v6]);
    }

    dir = await mkdtemp(join(tmpdir(), 'mplab-proxy-test-'));
    logA = join(dir, 'a.jsonl');
    logB = join(dir, 'b.jsonl');
    const hosts = join(dir, 'lab.hosts');
    await writeFile(hosts, '198.19.0.2 origin.mplab.test\n2001:2:0:2::2 origin6.mplab.test\n198.18.1.1 proxy.mplab.test\n');
    origin = await startOrigin(originNs, ['198.19.0.2:8080', '[2001:2:0:2::2]:8080']);
    httpOrigin = await startReadyInNetns(originNs, process.execPath, [join(REPO_ROOT, 'testbed', 'bin', 'origin.js'), '--host', ORIGIN.host, '--http', '80', '--messaging', '5222'], { ready: /^ready$/ });
    proxyA = await startProxy(proxyNs, ['--listen', '[::]:1080', '--allow', '198.18.1.0/24,198.18.2.0/24,2001:2:0:1::/64', '--log', logA, '--hosts', hosts, '--no-dns'], { env: { MPLAB_LOG_LEVEL: 'info' } });
    proxyB = await startProxy(proxyNs, [
      '--listen', '198.18.1.1:1082', '--allow', '198.18.1.0/24', '--log', logB, '--auth', `${AUTH.user}:${AUTH.pass}`,
      '--max-connections', '2', '--idle-timeout', '1.5', '--handshake-timeout', '2', '--connect-timeout', '1',
    ]);
    agent = await Agent.start(client);
  });

  afterAll(async () => {
    await agent?.stop();
    await proxyB?.stop();
    await proxyA?.stop();
    await origin?.stop();
    await httpOrigin?.stop();
    await removeOwnTestNamespaces();
  });

  it('relays an IPv4 CONNECT both ways and logs the connection with exact byte counts', async () => {
    const started = Date.now() / 1000;
    const up = id();
    const conn = await agent.call<Opened & { bound: { host: string } }>({ op: 'socks', id: up, proxy: PROXY, target: ORIGIN });
    expect(conn.bound.host).toBe('198.19.0.1');
    const upload = await agent.call<{ answer: string }>({ op: 'upload', id: up, bytes: 300_000 });
    expect(upload.answer).toBe(`300000 ${patternDigest(300_000)}`);
    const record = await recordFor(logA, conn);
    expect(record).toEqual({
      event: 'connection',
      id: expect.any(Number),
      client: conn.local,
      listen: '198.18.1.1:1080',
      target: ORIGIN,
      remote: '198.19.0.2:8080',
      start: expect.any(Number),
      end: expect.any(Number),
      bytes: { up: 'SINK\n'.length + 300_000, down: upload.answer.length + 1 },
      close: 'client-end',
      mptcp: null,
    });
    expect(record.start).toBeGreaterThanOrEqual(started - 0.01);
    expect(record.end).toBeGreaterThanOrEqual(record.start);
    expect(record.end).toBeLessThanOrEqual(Date.now() / 1000 + 0.01);

    const down = id();
    const opened = await agent.call<Opened>({ op: 'socks', id: down, proxy: PROXY, target: ORIGIN });
    const got = await agent.call<{ bytes: number; sha256: string }>({ op: 'download', id: down, bytes: 2_000_000 });
    expect(got).toMatchObject({ bytes: 2_000_000, sha256: patternDigest(2_000_000) });
    await agent.call({ op: 'close', id: down });
    expect(await recordFor(logA, opened)).toMatchObject({ bytes: { up: 'SOURCE 2000000\n'.length, down: 2_000_000 }, close: 'target-end' });
  });

  it('passes resets on in both directions and logs who reset', async () => {
    const fromTarget = id();
    const t = await agent.call<Opened>({ op: 'socks', id: fromTarget, proxy: PROXY, target: ORIGIN });
    await agent.call({ op: 'send', id: fromTarget, hex: Buffer.from('RESET\n').toString('hex') });
    expect(await agent.call({ op: 'recv', id: fromTarget, min: 1e9, timeoutMs: 3000 })).toMatchObject({ state: 'reset', hex: '' });
    expect(await recordFor(logA, t)).toMatchObject({ close: 'target-reset', bytes: { up: 6, down: 0 } });

    const fromClient = id();
    const c = await agent.call<Opened>({ op: 'socks', id: fromClient, proxy: PROXY, target: ORIGIN });
    await agent.call({ op: 'send', id: fromClient, hex: Buffer.from('ECHO\nabc').toString('hex') });
    expect(await agent.call({ op: 'recv', id: fromClient, min: 3, timeoutMs: 3000 })).toMatchObject({ hex: Buffer.from('abc').toString('hex') });
    await agent.call({ op: 'close', id: fromClient, reset: true });
    expect(await recordFor(logA, c)).toMatchObject({ close: 'client-reset', bytes: { up: 8, down: 3 } });
  });

  it('serves IPv6 clients and IPv6 targets', async () => {
    const c = id();
    const conn = await agent.call<Opened>({ op: 'socks', id: c, proxy: PROXY6, target: ORIGIN6 });
    expect(await agent.call({ op: 'download', id: c, bytes: 100_000 })).toMatchObject({ bytes: 100_000, sha256: patternDigest(100_000) });
    await agent.call({ op: 'close', id: c });
    expect(conn.local).toMatch(/^\[2001:2:0:1::2\]:\d+$/);
    expect(await recordFor(logA, conn)).toMatchObject({
      listen: '[2001:2:0:1::1]:1080',
      target: { host: '2001:2:0:2::2', port: 8080 },
      remote: '[2001:2:0:2::2]:8080',
      bytes: { down: 100_000 },
    });
  });

  it('resolves domain names from --hosts, for its own client and for curl --socks5-hostname', async () => {
    const c = id();
    const conn = await agent.call<Opened>({ op: 'socks', id: c, proxy: PROXY, target: { host: 'Origin.MPLAB.test', port: 8080 } });
    expect(await agent.call({ op: 'download', id: c, bytes: 1000 })).toMatchObject({ bytes: 1000 });
    await agent.call({ op: 'close', id: c });
    expect(await recordFor(logA, conn)).toMatchObject({ target: { host: 'origin.mplab.test', port: 8080 }, remote: '198.19.0.2:8080' });

    const v6 = id();
    const six = await agent.call<Opened>({ op: 'socks', id: v6, proxy: PROXY, target: { host: 'origin6.mplab.test', port: 8080 } });
    await agent.call({ op: 'download', id: v6, bytes: 10 });
    expect(await recordFor(logA, six)).toMatchObject({ remote: '[2001:2:0:2::2]:8080' });

    const curl = await inNetns(client, 'curl', ['-sS', '--socks5-hostname', '198.18.1.1:1080', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', 'http://origin.mplab.test/bytes/123456']);
    expect(curl.stdout).toBe('200 123456');

    const unknown = await agent.call({ op: 'socks', id: id(), proxy: PROXY, target: { host: 'nowhere.mplab.test', port: 8080 } });
    expect(unknown).toMatchObject({ reply: 4 });
    expect(await recordWhere(logA, (r) => r.target?.host === 'nowhere.mplab.test')).toMatchObject({ close: 'target-unreachable', remote: null });
  });

  it('gives an MPTCP client (mptcpize) an MPTCP connection with a second subflow, seen in the log and in nstat', async () => {
    const before = await nstat(proxyNs);
    const mptcpAgent = await Agent.start(client, { mptcpize: true });
    try {
      const c = 'm1';
      const conn = await mptcpAgent.call<Opened>({ op: 'socks', id: c, proxy: PROXY, target: ORIGIN });
      await mptcpAgent.call({ op: 'send', id: c, hex: Buffer.from('ECHO\n').toString('hex') });
      // wait until the client's path manager has joined the second subflow (kernel counters), then end
      const deadline = Date.now() + 5000;
      while ((await nstat(proxyNs)).get('MPTcpExtMPJoinAckRx')! <= (before.get('MPTcpExtMPJoinAckRx') ?? 0) && Date.now() < deadline) {
        await mptcpAgent.call({ op: 'pingpong', id: c, count: 20, size: 100 });
      }
      const rtts = await mptcpAgent.call<{ rttsMs: number[] }>({ op: 'pingpong', id: c, count: 50, size: 100 });
      expect(rtts.rttsMs).toHaveLength(50);
      await mptcpAgent.call({ op: 'end', id: c });
      await mptcpAgent.call({ op: 'recv', id: c, min: 1e9, timeoutMs: 3000 });
      const after = await nstat(proxyNs);
      const grew = (name: string): number => (after.get(name) ?? 0) - (before.get(name) ?? 0);
      expect(grew('MPTcpExtMPCapableSYNRX')).toBeGreaterThanOrEqual(1);
      expect(grew('MPTcpExtMPJoinSynRx')).toBeGreaterThanOrEqual(1);
      expect(await recordFor(logA, conn)).toMatchObject({ mptcp: { subflows: 2, fallback: false }, close: 'client-end' });
    } finally {
      await mptcpAgent.stop();
    }
  });

  it('refuses clients outside --allow without a byte and logs them', async () => {
    const got = await exchange(agent, id(), { ...PROXY, localAddress: '198.18.9.2' }, ['05 01 00', '05 01 00 01 c6130002 1f90']);
    expect(got.hex).toBe('');
    expect(got.state).not.toBe('open');
    expect(await recordFor(logA, got)).toMatchObject({ event: 'refused', close: 'not-allowed', target: null, remote: null, bytes: { up: 0, down: 0 } });
  });

  it('answers malformed and hostile requests with the protocol\'s error reply, logs each, and keeps serving', async () => {
    const greeting = '05 01 00';
    const long = Buffer.alloc(64, 'a');
    const cases: { name: string; send: string[]; end?: boolean; reply: string; close: string; target?: unknown }[] = [
      { name: 'greeting version 4', send: ['04 01 00'], reply: '', close: 'socks-error' },
      { name: 'no methods', send: ['05 00'], reply: '', close: 'socks-error' },
      { name: 'only username/password offered', send: ['05 01 02'], reply: '05ff', close: 'socks-error' },
      { name: 'BIND', send: [greeting, '05 02 00 01 c6130002 1f90'], reply: '0500 05070001000000000000', close: 'socks-error' },
      { name: 'UDP ASSOCIATE', send: [greeting, '05 03 00 01 00000000 0000'], reply: '0500 05070001000000000000', close: 'socks-error' },
      { name: 'address type 9', send: [greeting, '05 01 00 09 c6130002 1f90'], reply: '0500 05080001000000000000', close: 'socks-error' },
      { name: 'request version 4', send: [greeting, '04 01 00 01 c6130002 1f90'], reply: '0500 05010001000000000000', close: 'socks-error' },
      { name: 'truncated request', send: [greeting, '05 01 00 01 c613'], end: true, reply: '0500 05010001000000000000', close: 'socks-error' },
      { name: 'truncated greeting', send: ['05 02 00'], end: true, reply: '', close: 'socks-error' },
      { name: 'oversized label', send: [greeting, `05 01 00 03 40 ${long.toString('hex')} 1f90`], reply: '0500 05010001000000000000', close: 'socks-error' },
      { name: 'binary name', send: [greeting, `05 01 00 03 03 610062 1f90`], reply: '0500 05010001000000000000', close: 'socks-error' },
      { name: 'the proxy itself', send: [greeting, '05 01 00 01 c6120101 0438'], reply: '0500 05020001000000000000', close: 'not-allowed', target: { host: '198.18.1.1', port: 1080 } },
      { name: 'the proxy by name', send: [greeting, `05 01 00 03 10 ${Buffer.from('proxy.mplab.test').toString('hex')} 0438`], reply: '0500 05020001000000000000', close: 'not-allowed' },
      { name: 'the proxy over IPv4-mapped IPv6', send: [greeting, '05 01 00 04 00000000000000000000ffffc6120101 0438'], reply: '0500 05020001000000000000', close: 'not-allowed' },
      { name: 'loopback', send: [greeting, '05 01 00 01 7f000001 0016'], reply: '0500 05020001000000000000', close: 'not-allowed' },
      { name: 'refused port', send: [greeting, '05 01 00 01 c6130002 1f99'], reply: '0500 05050001000000000000', close: 'target-refused', target: { host: '198.19.0.2', port: 8089 } },
      { name: 'no route', send: [greeting, '05 01 00 01 c6130505 1f90'], reply: '0500 05030001000000000000', close: 'target-unreachable' },
    ];
    const results = await Promise.all(cases.map((c) => exchange(agent, id(), PROXY, c.send, { end: c.end, pauseMs: 100 })));
    for (const [i, c] of cases.entries()) {
      const got = results[i];
      expect({ name: c.name, reply: got.hex, closed: got.state !== 'open' }).toEqual({ name: c.name, reply: c.reply.replace(/\s+/g, ''), closed: true });
      const record = await recordFor(logA, got);
      expect({ name: c.name, close: record.close, remote: record.remote }).toEqual({ name: c.name, close: c.close, remote: null });
      if (c.target) expect(record.target).toEqual(c.target);
    }

    // pipelined: greeting, request and payload in one write; the payload reaches the target
    const pipelined = await exchange(agent, id(), PROXY, [`${greeting} 05 01 00 01 c6130002 1f90 ${Buffer.from('SOURCE 5\n').toString('hex')}`]);
    // method choice, then the reply (bound 198.19.0.1 and some port), then the origin's 5 bytes
    expect(pipelined.hex).toMatch(new RegExp(`^050005000001c6130001[0-9a-f]{4}${PATTERN.subarray(0, 5).toString('hex')}$`));

    // the same with the FIN right behind, all there at the proxy's first read (as `printf ... | socat`
    // does): still served, the FIN passed on after the data
    const answer = Buffer.from(`3 ${createHash('sha256').update('abc').digest('hex')}\n`).toString('hex');
    const finished = await exchange(agent, id(), PROXY, [`${greeting} 05 01 00 01 c6130002 1f90 ${Buffer.from('SINK\nabc').toString('hex')}`], { atOnce: true });
    expect(finished.hex).toMatch(new RegExp(`^050005000001c6130001[0-9a-f]{4}${answer}$`));
    expect(await recordFor(logA, finished)).toMatchObject({ close: 'client-end', bytes: { up: 8, down: answer.length / 2 } });
    // and a request with the FIN and nothing else: connected, the FIN passed on, the origin's FIN back
    const bare = await exchange(agent, id(), PROXY, [`${greeting} 05 01 00 01 c6130002 1f90`], { atOnce: true });
    expect(bare).toMatchObject({ hex: expect.stringMatching(/^050005000001c6130001[0-9a-f]{4}$/), state: 'ended' });
    expect(await recordFor(logA, bare)).toMatchObject({ close: 'client-end', remote: '198.19.0.2:8080', bytes: { up: 0, down: 0 } });

    // random garbage: every connection gets a line, the proxy lives on
    const junk = await Promise.all(
      Array.from({ length: 30 }, (_, n) => exchange(agent, id(), PROXY, [Buffer.from(Array.from({ length: 1 + ((n * 37) % 300) }, () => Math.floor(Math.random() * 256))).toString('hex')], { end: true })),
    );
    for (const j of junk) expect(CLOSE_REASONS).toContain((await recordFor(logA, j)).close);
    const c = id();
    await agent.call({ op: 'socks', id: c, proxy: PROXY, target: ORIGIN });
    expect(await agent.call({ op: 'download', id: c, bytes: 1000 })).toMatchObject({ bytes: 1000, sha256: patternDigest(1000) });
  });

  it('answers a target it cannot reach with the same RFC 1928 reply for IPv4 and IPv6, and brackets IPv6 in its log', async () => {
    const cases = [
      { why: 'no route', v4: '198.19.5.9', v6: '2001:2:0:5::9', reply: 3, errno: 'ENETUNREACH' },
      { why: 'blackhole route', v4: '198.19.8.1', v6: '2001:2:0:8::1', reply: 3, errno: 'EINVAL' },
      { why: 'unreachable route', v4: '198.19.6.1', v6: '2001:2:0:6::1', reply: 4, errno: 'EHOSTUNREACH' },
      { why: 'prohibit route', v4: '198.19.7.1', v6: '2001:2:0:7::1', reply: 2, errno: 'EACCES' },
    ];
    for (const c of cases) {
      for (const host of [c.v4, c.v6]) {
        const got = await agent.call<{ reply?: number }>({ op: 'socks', id: id(), proxy: PROXY, target: { host, port: 8080 } });
        expect({ why: c.why, host, reply: got.reply }).toEqual({ why: c.why, host, reply: c.reply });
        expect(await recordWhere(logA, (r) => r.target?.host === host)).toMatchObject({ close: 'target-unreachable', remote: null });
      }
      expect(await outputContains(proxyA.stderr, `connect to [${c.v6}]:8080 failed: ${c.errno}`)).toContain(`connect to [${c.v6}]:8080 failed: ${c.errno}`);
      expect(await outputContains(proxyA.stderr, `connect to ${c.v4}:8080 failed: ${c.errno}`)).toContain(`connect to ${c.v4}:8080 failed: ${c.errno}`);
    }

    // a proxy host without IPv6 (the lab's namespaces disable it): connect(2) says EADDRNOTAVAIL, still network unreachable
    const v4only = `${prefix}4`;
    await addNetns(v4only);
    await sysctl(v4only, 'net.ipv6.conf.all.disable_ipv6', 1);
    await sysctl(v4only, 'net.ipv6.conf.default.disable_ipv6', 1);
    const proxyC = await startProxy(v4only, ['--listen', '127.0.0.1:1083', '--allow', '127.0.0.0/8'], { env: { MPLAB_LOG_LEVEL: 'info' } });
    const local = await Agent.start(v4only);
    try {
      for (const host of ['2001:2:0:2::2', '198.19.0.2']) {
        const got = await local.call<{ reply?: number }>({ op: 'socks', id: id(), proxy: { host: '127.0.0.1', port: 1083 }, target: { host, port: 8080 } });
        expect({ host, reply: got.reply }).toEqual({ host, reply: 3 });
      }
      expect(await outputContains(proxyC.stderr, 'connect to [2001:2:0:2::2]:8080 failed: EADDRNOTAVAIL')).toContain('connect to [2001:2:0:2::2]:8080 failed: EADDRNOTAVAIL');
    } finally {
      await local.stop();
      await proxyC.stop();
    }
  });

  it('serves 200 concurrent connections, logs each once and releases every descriptor', async () => {
    const pid = (JSON.parse(proxyA.stdout[0]) as { pid: number }).pid;
    const fds = async (): Promise<number> => (await readdir(`/proc/${pid}/fd`)).length;
    const before = await fds();
    const conns = Array.from({ length: 200 }, () => id());
    const opened = await Promise.all(conns.map((c) => agent.call<Opened>({ op: 'socks', id: c, proxy: PROXY, target: ORIGIN })));
    const got = await Promise.all(conns.map((c, i) => agent.call<{ bytes: number; sha256: string }>({ op: 'download', id: c, bytes: 10_000 + i })));
    got.forEach((g, i) => expect(g).toMatchObject({ bytes: 10_000 + i, sha256: patternDigest(10_000 + i) }));
    await Promise.all(conns.map((c) => agent.call({ op: 'close', id: c })));
    for (const [i, o] of opened.entries()) expect(await recordFor(logA, o)).toMatchObject({ bytes: { down: 10_000 + i }, close: 'target-end' });
    // (earlier tests may still have had connections lingering when "before" was counted)
    expect(await fds()).toBeLessThanOrEqual(before);
  });

  it('checks username and password when --auth is set', async () => {
    const c = id();
    const ok = await agent.call<Opened>({ op: 'socks', id: c, proxy: LIMITED, target: ORIGIN, auth: AUTH });
    expect(await agent.call({ op: 'download', id: c, bytes: 5000 })).toMatchObject({ bytes: 5000 });
    await agent.call({ op: 'close', id: c });
    expect(await recordFor(logB, ok)).toMatchObject({ bytes: { down: 5000 }, close: 'target-end' });

    const wrong = await exchange(agent, id(), LIMITED, ['05 01 02', Buffer.from([1, 5, ...Buffer.from('mplab'), 6, ...Buffer.from('s3cr:E')]).toString('hex')]);
    expect(wrong.hex).toBe('05020101');
    expect(await recordFor(logB, wrong)).toMatchObject({ close: 'auth-failed', target: null });
    const none = await exchange(agent, id(), LIMITED, ['05 01 00']);
    expect(none.hex).toBe('05ff');
    expect(await recordFor(logB, none)).toMatchObject({ close: 'auth-failed' });
  });

  it('enforces the connection limit, the idle timeout, the handshake timeout and the connect timeout', async () => {
    const held = [id(), id()];
    const opened: Opened[] = [];
    for (const h of held) {
      opened.push(await agent.call<Opened>({ op: 'socks', id: h, proxy: LIMITED, target: ORIGIN, auth: AUTH }));
      await agent.call({ op: 'send', id: h, hex: Buffer.from('ECHO\n').toString('hex') });
    }
    const third = await exchange(agent, id(), LIMITED, ['05 01 02']);
    expect(third.hex).toBe('');
    expect(await recordFor(logB, third)).toMatchObject({ event: 'connection', close: 'limit', target: null });

    // both held connections go quiet: the proxy closes them after 1.5 s
    const t0 = Date.now();
    for (const h of held) {
      const got = await agent.call<{ state: string }>({ op: 'recv', id: h, min: 1e9, timeoutMs: 5000 });
      expect(got.state).toBe('ended');
    }
    expect(Date.now() - t0).toBeGreaterThan(1000);
    for (const o of opened) expect(await recordFor(logB, o)).toMatchObject({ close: 'idle-timeout', remote: '198.19.0.2:8080' });

    // a greeting that never completes is closed after the 2 s handshake timeout
    const stalled = await exchange(agent, id(), LIMITED, ['05 02 02'], { waitMs: 4000 });
    expect(stalled.state).toBe('ended');
    expect(await recordFor(logB, stalled)).toMatchObject({ close: 'idle-timeout', target: null });

    // an address on the origin's link that nobody answers ARP for: connect times out after 1 s
    const started = Date.now();
    const silent = await agent.call({ op: 'socks', id: id(), proxy: LIMITED, target: { host: '198.19.0.99', port: 80 }, auth: AUTH });
    expect(silent).toMatchObject({ reply: 4 });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(await recordWhere(logB, (r) => r.target?.host === '198.19.0.99')).toMatchObject({ close: 'target-unreachable', remote: null });
  });

  it('holds the handshake to a deadline from accept: a client sending one byte per second is closed after 2 s, a served one lives on', async () => {
    // greeting (username/password), credentials and request: 28 bytes, one per second
    const handshake = Buffer.concat([
      Buffer.from([5, 1, 2]),
      Buffer.from([1, AUTH.user.length, ...Buffer.from(AUTH.user), AUTH.pass.length, ...Buffer.from(AUTH.pass)]),
      Buffer.from('05010001c61300021f90', 'hex'),
    ]);
    const c = id();
    const opened = await agent.call<Opened>({ op: 'open', id: c, host: LIMITED.host, port: LIMITED.port });
    let sent = 0;
    let state = 'open';
    while (state === 'open' && sent < 8) {
      await agent.call({ op: 'send', id: c, hex: handshake.subarray(sent, sent + 1).toString('hex') }).catch(() => {});
      sent += 1;
      state = (await agent.call<{ state: string }>({ op: 'recv', id: c, min: 1e9, timeoutMs: 1000 })).state;
    }
    await agent.call({ op: 'close', id: c });
    // an inactivity timer would have been reset by every byte and never fired
    expect(state).toMatch(/^(ended|reset)$/);
    expect(sent).toBeLessThanOrEqual(4);
    const record = await recordFor(logB, opened);
    expect(record).toMatchObject({ close: 'idle-timeout', target: null, remote: null });
    expect(record.end - record.start).toBeGreaterThanOrEqual(1.9);
    expect(record.end - record.start).toBeLessThan(3);

    // a connection served within the deadline is not cut at it: it echoes for 3 s, a byte every 0.5 s
    const served = id();
    await agent.call({ op: 'socks', id: served, proxy: LIMITED, target: ORIGIN, auth: AUTH });
    await agent.call({ op: 'send', id: served, hex: Buffer.from('ECHO\n').toString('hex') });
    for (let i = 0; i < 6; i++) {
      await agent.call({ op: 'send', id: served, hex: '61' });
      expect(await agent.call({ op: 'recv', id: served, min: 1, timeoutMs: 2000 })).toMatchObject({ hex: '61', state: 'open' });
      await new Promise((r) => setTimeout(r, 500));
    }
    await agent.call({ op: 'close', id: served });
  });

  it('says that the kernel refuses MPTCP sockets, and what to do, when net.mptcp.enabled is 0', async () => {
    const noMptcp = `${prefix}n`;
    await addNetns(noMptcp);
    await sysctl(noMptcp, 'net.mptcp.enabled', 0);
    const r = await inNetns(noMptcp, process.execPath, [MPLAB_CLI, 'proxy', 'start', '--listen', '127.0.0.1:1080', '--allow', '127.0.0.1'], { reject: false, timeout: 20_000 });
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toBe('mplab: --listen 127.0.0.1:1080: this kernel refuses MPTCP sockets (socket(IPPROTO_MPTCP): Protocol not available); check sysctl net.mptcp.enabled or use --no-mptcp');
  });

  it('closes open connections on SIGTERM, logs them with close "shutdown" and exits 0', async () => {
    const c = id();
    const conn = await agent.call<Opened>({ op: 'socks', id: c, proxy: PROXY, target: ORIGIN });
    await agent.call({ op: 'send', id: c, hex: Buffer.from('ECHO\nhello').toString('hex') });
    expect(await agent.call({ op: 'recv', id: c, min: 5, timeoutMs: 3000 })).toMatchObject({ hex: Buffer.from('hello').toString('hex') });
    await proxyA.stop('SIGTERM');
    const result = await proxyA.process;
    expect(result.exitCode).toBe(0);
    expect(proxyA.stdout.at(-1)).toMatch(/"event":"stopped"/);
    expect(await recordFor(logA, conn, 100)).toMatchObject({ close: 'shutdown', bytes: { up: 'ECHO\nhello'.length, down: 5 } });
    const lines = await readLog(logA);
    expect(new Set(lines.map((r) => r.id)).size).toBe(lines.length);
  });
});
