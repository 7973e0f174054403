import type { ChildProcess } from 'node:child_process';
import type net from 'node:net';
import { constants } from 'node:os';
import type { Logger } from '../../common/log.js';
import { encodeShellPacket } from '../../common/shell-packets.js';
import { connectInNetns } from './netns-socket.js';
import { PacketId, exitStatus, onShellPackets } from './packets.js';
import { NODE, PHONE_LIB, SHELL_UID } from './paths.js';
import { hangUp, shellEnvironment, type PhoneSandbox } from './sandbox.js';
import type { AdbStream } from './transport.js';

/**
 * The device services behind OPEN: shell (legacy and shell protocol v2), exec, sync, tcp
 * forwarding, and adbd's own root/unroot/reboot/reconnect/remount.
 */

export interface ShellRequest {
  /** Shell protocol v2 (exit status, separate stderr, stdin packets) or raw bytes. */
  protocol: 'shell' | 'none';
  pty: boolean;
  term: string;
  command: string;
}

/** `shell[,ARG...]:[COMMAND]` and `exec:COMMAND` as adbd reads them. */
export function parseShellService(service: string): ShellRequest | undefined {
  if (service.startsWith('exec:')) return { protocol: 'none', pty: false, term: 'dumb', command: service.slice(5) };
  if (!service.startsWith('shell')) return undefined;
  const colon = service.indexOf(':');
  if (colon < 0) return undefined;
  const args = service.slice('shell'.length, colon).split(',').filter(Boolean);
  const command = service.slice(colon + 1);
  const request: ShellRequest = { protocol: 'none', pty: command === '', term: 'dumb', command };
  for (const arg of args) {
    if (arg === 'raw') request.pty = false;
    else if (arg === 'pty') request.pty = true;
    else if (arg === 'v2') request.protocol = 'shell';
    else if (arg.startsWith('TERM=')) request.term = arg.slice(5);
  }
  return request;
}

/** Carries the command into the terminal's shell, which takes no positional arguments. */
const COMMAND_VARIABLE = 'MPLAB_ADB_COMMAND';

/**
 * The program a shell request runs on the phone, and what to add to its environment. Like adbd:
 * with the shell protocol and no PTY, plain pipes (stderr apart); with a PTY, a terminal
 * (script(1)); without the shell protocol, a terminal in raw mode (no echo, no CR/LF rewriting),
 * so that stdout and stderr arrive merged in order, binary-safe, and /dev/tty exists.
 */
export function shellLaunch(request: ShellRequest): { argv: string[]; env: Record<string, string> } {
  if (request.protocol === 'shell' && !request.pty) {
    // No command: a shell reading its commands from stdin.
    return { argv: request.command ? ['/system/bin/sh', '-c', request.command] : ['/system/bin/sh', '-'], env: {} };
  }
  const raw = !request.pty;
  if (!request.command && !raw) return { argv: ['/usr/bin/script', '-q', '-e', '/dev/null'], env: {} };
  const inner = [
    `c=$${COMMAND_VARIABLE}; unset ${COMMAND_VARIABLE}`,
    raw ? 'stty raw -echo 2>/dev/null' : '',
    request.command ? 'exec /system/bin/sh -c "$c"' : 'exec /system/bin/sh -',
  ].filter(Boolean);
  return {
    argv: ['/usr/bin/script', '-q', '-e', ...(raw ? ['-E', 'never'] : []), '-c', inner.join('; '), '/dev/null'],
    env: { [COMMAND_VARIABLE]: request.command },
  };
}

export interface ServiceHost {
  sandbox: PhoneSandbox;
  hostname: string;
  rooted: boolean;
  /** Whether adbd currently runs as root (`adb root`). */
  adbdRoot(): boolean;
  setAdbdRoot(root: boolean): void;
  /** Drops every adb connection (adbd restarting); the listener stays. */
  restartAdbd(): void;
  reboot(reason: string): void;
  logger: Logger;
}

const SERVICE_PREFIXES = ['shell:', 'shell,', 'exec:', 'sync:', 'tcp:', 'reboot:', 'root:', 'unroot:', 'remount:'];

export function knowsService(service: string): boolean {
  return service === 'reconnect' || SERVICE_PREFIXES.some((p) => service.startsWith(p));
}

/** The stream's host side went away before the process ended: hang it up as a closing terminal would. */
function hangUpOnRemoteClose(stream: AdbStream, child: ChildProcess): void {
  let exited = false;
  child.on('exit', () => (exited = true));
  stream.on('remote-close', () => {
    if (exited) return;
    hangUp(child);
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
  });
}

/** Copies a child's output to the stream, pausing the child while adb's flow control holds the stream. */
function forward(from: NodeJS.ReadableStream, stream: AdbStream, wrap: (d: Buffer) => Buffer): void {
  from.on('data', (data: Buffer) => {
    if (stream.destroyed) return;
    if (!stream.write(wrap(data))) {
      from.pause();
      stream.once('drain', () => from.resume());
    }
  });
}

async function runShell(host: ServiceHost, stream: AdbStream, request: ShellRequest): Promise<void> {
  const uid = host.adbdRoot() ? 0 : SHELL_UID;
  const launch = shellLaunch(request);
  const child = await host.sandbox.spawn(launch.argv, { uid, env: { ...shellEnvironment(uid, host.hostname, request.term), ...launch.env } });
  hangUpOnRemoteClose(stream, child);
  child.stdin!.on('error', () => undefined);
  const done = new Promise<number>((resolve) => {
    child.on('error', (error) => {
      host.logger.warn({ err: error.message }, 'shell failed to start');
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(exitStatus(code, signal, constants.signals)));
  });

  if (request.protocol === 'shell') {
    onShellPackets(stream, (packet) => {
      if (packet.id === PacketId.stdin) child.stdin!.write(packet.data);
      else if (packet.id === PacketId.closeStdin) child.stdin!.end();
    });
    forward(child.stdout!, stream, (d) => encodeShellPacket(PacketId.stdout, d));
    forward(child.stderr!, stream, (d) => encodeShellPacket(PacketId.stderr, d));
    const status = await done;
    if (!stream.destroyed) stream.end(encodeShellPacket(PacketId.exit, Buffer.from([status])));
  } else {
    stream.on('data', (chunk: Buffer) => child.stdin!.write(chunk));
    stream.on('end', () => child.stdin!.end());
    forward(child.stdout!, stream, (d) => d);
    forward(child.stderr!, stream, (d) => d);
    await done;
    if (!stream.destroyed) stream.end();
  }
}

/** A program on the phone whose stdin and stdout are the stream (sync, tcp forwarding). */
async function runPiped(host: ServiceHost, stream: AdbStream, argv: string[]): Promise<void> {
  const uid = host.adbdRoot() ? 0 : SHELL_UID;
  const child = await host.sandbox.spawn(argv, { uid, env: shellEnvironment(uid, host.hostname), stdio: ['pipe', 'pipe', 'pipe'] });
  hangUpOnRemoteClose(stream, child);
  child.stdin!.on('error', () => undefined);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  stream.pipe(child.stdin!);
  forward(child.stdout!, stream, (d) => d);
  await new Promise<void>((resolve) => {
    child.on('error', () => resolve());
    child.on('close', (code) => {
      if (code) host.logger.debug({ argv, code, stderr: stderr.trim() }, 'service program failed');
      resolve();
    });
  });
  if (!stream.destroyed) stream.end();
}

/**
 * `tcp:PORT[:HOST]` (adb forward). The host becomes part of a socat address, where `,` starts
 * options and `!!` a second address (EXEC included): only host names and IPv4 literals pass.
 */
export function parseTcpService(service: string): { port: number; host: string } | undefined {
  const m = /^tcp:(\d{1,5})(?::([A-Za-z0-9.-]{1,253}))?$/.exec(service);
  if (!m || Number(m[1]) > 65535) return undefined;
  return { port: Number(m[1]), host: m[2] ?? '127.0.0.1' };
}

/** A `tcp:` stream to the phone's loopback: a socket made in its namespace, piped both ways with adb's flow control. */
function forwardLoopback(host: ServiceHost, stream: AdbStream, target: { host: string; port: number }): void {
  let socket: net.Socket;
  try {
    socket = connectInNetns(host.sandbox.netns, target.host, target.port);
  } catch (error) {
    // as socat would: the port is closed, the stream ends at once
    host.logger.debug({ target, err: (error as Error).message }, 'tcp forward refused');
    stream.destroy();
    return;
  }
  socket.on('error', () => undefined);
  stream.pipe(socket);
  forward(socket, stream, (d) => d);
  socket.on('end', () => {
    if (!stream.destroyed) stream.end();
  });
  socket.on('close', () => {
    if (!stream.destroyed) stream.end();
  });
  stream.on('remote-close', () => socket.destroy());
}

function reply(stream: AdbStream, text: string, then?: () => void): void {
  stream.end(text, () => then?.());
}

export function openService(host: ServiceHost, service: string, stream: AdbStream): void {
  const shell = parseShellService(service);
  const fail = (error: Error) => {
    host.logger.warn({ service, err: error.message }, 'service failed');
    stream.destroy();
  };
  if (shell) {
    runShell(host, stream, shell).catch(fail);
    return;
  }
  if (service.startsWith('sync:')) {
    runPiped(host, stream, [NODE, `${PHONE_LIB}/sync.mjs`]).catch(fail);
    return;
  }
  if (service.startsWith('tcp:')) {
    const target = parseTcpService(service);
    if (!target) {
      stream.destroy();
      return;
    }
    // The phone's own loopback is reached directly from here; other hosts through socat in the
    // phone, which resolves names with the phone's /etc/hosts as an app would.
    if (/^127\.\d+\.\d+\.\d+$/.test(target.host)) forwardLoopback(host, stream, target);
    else runPiped(host, stream, ['/usr/bin/socat', '-', `TCP:${target.host}:${target.port}`]).catch(fail);
    return;
  }
  if (service.startsWith('reboot:')) {
    reply(stream, '', () => host.reboot(service.slice('reboot:'.length)));
    return;
  }
  if (service.startsWith('root:')) {
    if (!host.rooted) return reply(stream, 'adbd cannot run as root in production builds\n');
    if (host.adbdRoot()) return reply(stream, 'adbd is already running as root\n');
    host.setAdbdRoot(true);
    return reply(stream, 'restarting adbd as root\n', () => host.restartAdbd());
  }
  if (service.startsWith('unroot:')) {
    if (!host.adbdRoot()) return reply(stream, 'adbd not running as root\n');
    host.setAdbdRoot(false);
    return reply(stream, 'restarting adbd as non root\n', () => host.restartAdbd());
  }
  if (service.startsWith('remount:')) {
    return reply(stream, host.adbdRoot() ? 'remount succeeded\n' : 'Not running as root. Try "adb root" first.\n');
  }
  if (service === 'reconnect') {
    reply(stream, 'done', () => host.restartAdbd());
    return;
  }
  stream.destroy();
}
