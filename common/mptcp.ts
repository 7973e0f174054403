import { createRequire } from 'node:module';
import net from 'node:net';

/**
 * MPTCP sockets for Node (which cannot ask for IPPROTO_MPTCP itself), through the project's small
 * native addon (native/mptcp_socket.c, built by `npm ci`).
 */
interface Native {
  listen(host: string, port: number, backlog: number, v6only: boolean): number;
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
function addon(): Native {
  if (!native) native = createRequire(import.meta.url)('../build/Release/mptcp_socket.node') as Native;
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
