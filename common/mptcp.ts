import { createRequire } from 'node:module';
import net from 'node:net';

/**
 * MPTCP sockets for Node (which cannot ask for IPPROTO_MPTCP itself), through the project's small
 * native addon (native/mptcp_socket.c, built by `npm ci`).
 */
interface Native {
  listen(host: string, port: number, backlog: number, v6only: boolean): number;
  socket(family: 4 | 6): number;
  originalDst(fd: number): { address: string; port: number } | null;
  protocol(fd: number): number;
  info(fd: number): MptcpInfo | null;
}

export interface MptcpInfo {
  subflows: number;
  addAddrSignal: number;
  addAddrAccepted: number;
  flags: number;
  token: number;
  localAddrUsed: number;
  /** the connection fell back to plain TCP */
  fallback: boolean;
}

export const IPPROTO_MPTCP = 262;

let native: Native | undefined;
let addonFile = '../build/Release/mptcp_socket.node';

/**
 * Where the addon is, for a bundled program that runs away from the checkout (a virtual phone's
 * programs find it in their own folder); call before any other function here.
 */
export function useMptcpAddon(file: string): void {
  addonFile = file;
  native = undefined;
}

function addon(): Native {
  if (!native) native = createRequire(import.meta.url)(addonFile) as Native;
  return native;
}

/** A bound, listening IPPROTO_MPTCP socket's descriptor, for `server.listen({ fd })`. */
export function mptcpListenFd(host: string, port: number, backlog = 511): number {
  return addon().listen(host, port, backlog, false);
}

/** Starts `server` on an MPTCP listening socket (plain TCP clients are still accepted: they fall back). */
export function listenMptcp(server: net.Server, host: string, port: number, backlog = 511): Promise<void> {
  const fd = mptcpListenFd(host, port, backlog);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Errors of socket(IPPROTO_MPTCP) that mean "no MPTCP here" (net.mptcp.enabled=0, or no MPTCP in the kernel). */
const NO_MPTCP = new Set(['ENOPROTOOPT', 'EPROTONOSUPPORT', 'EINVAL', 'EAFNOSUPPORT']);

/**
 * A TCP connection as an MPTCP-aware client opens one: an IPPROTO_MPTCP socket where the kernel
 * allows it, else (MPTCP disabled, as in a phone's `tcp` mode) a plain TCP socket. Connect and
 * error events are Node's usual ones; `mptcp` says which kind of socket was opened (an MPTCP
 * socket may still fall back to TCP on the wire when the server does not answer MP_CAPABLE).
 */
export function connectMaybeMptcp(port: number, host: string, options: { noDelay?: boolean; allowHalfOpen?: boolean } = {}): { socket: net.Socket; mptcp: boolean } {
  let fd: number | undefined;
  try {
    fd = addon().socket(net.isIPv6(host) ? 6 : 4);
  } catch (error) {
    if (!NO_MPTCP.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
  // Node adopts the unconnected descriptor and connects it (libuv keeps a handle's own socket).
  const allowHalfOpen = options.allowHalfOpen ?? false;
  const socket = fd === undefined ? new net.Socket({ allowHalfOpen }) : new net.Socket({ fd, allowHalfOpen });
  if (options.noDelay) socket.setNoDelay(true);
  socket.connect(port, host);
  return { socket, mptcp: fd !== undefined };
}

/** The destination a connection had before netfilter redirected it to us (SO_ORIGINAL_DST); null when it was not redirected. */
export function originalDestination(socket: net.Socket): { address: string; port: number } | null {
  const fd = fdOf(socket);
  return fd === undefined ? null : addon().originalDst(fd);
}

function fdOf(socket: net.Socket | net.Server): number | undefined {
  const handle = (socket as unknown as { _handle?: { fd?: number } })._handle;
  return handle?.fd !== undefined && handle.fd >= 0 ? handle.fd : undefined;
}

/** The socket's protocol: 262 for MPTCP, 6 for TCP; undefined once closed. */
export function socketProtocol(socket: net.Socket | net.Server): number | undefined {
  const fd = fdOf(socket);
  return fd === undefined ? undefined : addon().protocol(fd);
}

/** MPTCP_INFO of a connected MPTCP socket; null for TCP sockets and before the handshake. */
export function mptcpInfo(socket: net.Socket): MptcpInfo | null {
  const fd = fdOf(socket);
  return fd === undefined ? null : addon().info(fd);
}
