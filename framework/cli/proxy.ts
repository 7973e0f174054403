import type { Command } from 'commander';
import { UserError, errorMessage } from '../../common/errors.js';
import { formatEndpoint, parseEndpoint } from '../../proxy/address.js';
import { parseAllowList } from '../../proxy/allow.js';
import { openConnectionLog } from '../../proxy/connection-log.js';
import { loadHosts, makeResolver } from '../../proxy/resolve.js';
import { DEFAULTS, SocksProxy } from '../../proxy/server.js';

interface StartOptions {
  listen: string;
  allow: string;
  log?: string;
  auth?: string;
  hosts?: string;
  dns: boolean;
  mptcp: boolean;
  maxConnections: string;
  idleTimeout: string;
  handshakeTimeout: string;
  connectTimeout: string;
}

export function registerProxy(program: Command): void {
  const proxy = program.command('proxy').description('the MPTCP SOCKS5 proxy that carries the phones\' traffic');

  proxy
    .command('start')
    .description(
      'run the SOCKS5 proxy in the foreground until SIGINT/SIGTERM; prints {"event":"listening",...} on stdout once it accepts connections',
    )
    .requiredOption('--listen <ip:port>', 'address and port to listen on, e.g. 198.18.0.1:1080 or [::]:1080 (dual stack)')
    .requiredOption('--allow <cidrs>', 'client networks served, comma-separated, e.g. 198.18.0.0/15,2001:2::/48; others are refused and logged')
    .option('--log <file>', 'append one JSON line per connection to this file')
    .option('--auth <user:pass>', 'require RFC 1929 username/password authentication')
    .option('--hosts <file>', 'resolve requested names from this hosts(5)-format file before the system resolver')
    .option('--no-dns', 'resolve names only from --hosts, never through the system resolver')
    .option('--no-mptcp', 'listen on a plain TCP socket (for kernels without MPTCP)')
    .option('--max-connections <n>', 'open client connections at most; more are closed at once (close "limit")', String(DEFAULTS.maxConnections))
    .option('--idle-timeout <seconds>', 'close a connection after this long without a byte either way (0: never)', String(DEFAULTS.idleTimeoutMs / 1000))
    .option('--handshake-timeout <seconds>', 'deadline from accept for the whole SOCKS greeting, authentication and request', String(DEFAULTS.handshakeTimeoutMs / 1000))
    .option('--connect-timeout <seconds>', 'time allowed for connecting to the target', String(DEFAULTS.connectTimeoutMs / 1000))
    .action(async (opts: StartOptions) => {
      await runProxy(opts);
    });
}

async function runProxy(opts: StartOptions): Promise<void> {
  const listen = parseEndpoint(opts.listen);
  if (typeof listen === 'string') throw new UserError(`--listen ${listen}`);
  const allow = parseAllowList(opts.allow);
  if (typeof allow === 'string') throw new UserError(`--allow ${allow}`);
  const auth = opts.auth === undefined ? undefined : parseAuth(opts.auth);
  const hosts = opts.hosts ? await loadHosts(opts.hosts) : undefined;
  let connectionLog;
  try {
    connectionLog = opts.log ? openConnectionLog(opts.log) : undefined;
  } catch (err) {
    throw new UserError(`--log ${opts.log}: cannot open it for appending (${errorMessage(err)})`);
  }

  const server = new SocksProxy({
    listen,
    allow,
    auth,
    log: connectionLog,
    resolve: makeResolver({ hosts, dns: opts.dns }),
    mptcp: opts.mptcp,
    maxConnections: count('--max-connections', opts.maxConnections),
    idleTimeoutMs: seconds('--idle-timeout', opts.idleTimeout),
    handshakeTimeoutMs: seconds('--handshake-timeout', opts.handshakeTimeout, true),
    connectTimeoutMs: seconds('--connect-timeout', opts.connectTimeout, true),
  });

  let bound;
  try {
    bound = await server.start();
  } catch (err) {
    connectionLog?.close();
    const code = (err as NodeJS.ErrnoException).code;
    // no MPTCP in the kernel, MPTCP switched off (net.mptcp.enabled=0), or an old kernel's answer
    if (opts.mptcp && (code === 'EPROTONOSUPPORT' || code === 'ENOPROTOOPT' || code === 'EINVAL')) {
      throw new UserError(`--listen ${opts.listen}: this kernel refuses MPTCP sockets (${errorMessage(err)}); check sysctl net.mptcp.enabled or use --no-mptcp`);
    }
    throw new UserError(`--listen ${opts.listen}: cannot listen (${errorMessage(err)})`);
  }
  process.stdout.write(`${JSON.stringify({ event: 'listening', listen: formatEndpoint(bound.host, bound.port), mptcp: opts.mptcp, pid: process.pid })}\n`);

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      // a second signal while closing ends the process at once
      const force = (): never => process.exit(1);
      process.once('SIGINT', force).once('SIGTERM', force);
      void server.stop().then(() => {
        process.stdout.write(`${JSON.stringify({ event: 'stopped', signal })}\n`);
        resolve();
      });
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  });
}

function parseAuth(text: string): { user: string; pass: string } {
  const colon = text.indexOf(':');
  const user = text.slice(0, colon);
  const pass = text.slice(colon + 1);
  const ok = (s: string): boolean => Buffer.byteLength(s) >= 1 && Buffer.byteLength(s) <= 255;
  if (colon < 0 || !ok(user) || !ok(pass)) throw new UserError('--auth: expected USER:PASS, each 1-255 bytes (the first ":" separates them)');
  return { user, pass };
}

function count(option: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new UserError(`${option} ${text}: expected a whole number of at least 1`);
  return n;
}

function seconds(option: string, text: string, positive = false): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || (positive && n === 0)) {
    throw new UserError(`${option} ${text}: expected a number of seconds${positive ? ' above 0' : ' (0 for none)'}`);
  }
  return Math.round(n * 1000);
}
