import { createRequire } from 'node:module';
import net from 'node:net';
import { assertLabName } from '../netns.js';

/**
 * Sockets in a phone's network namespace, made by the daemon itself (native/netns_socket.c: the
 * thread enters the namespace for the one system call), so that a port of the phone is served or
 * reached without a helper process in between: the UiAutomator2 server's 127.0.0.1:6790 and adb's
 * `tcp:` forwards to the phone's loopback.
 */
interface Native {
  listen(nsPath: string, host: string, port: number, backlog: number): number;
  connect(nsPath: string, host: string, port: number): number;
}

let native: Native | undefined;
function addon(): Native {
  if (!native) native = createRequire(import.meta.url)('../../build/Release/netns_socket.node') as Native;
  return native;
}

function nsPath(netns: string): string {
  assertLabName(netns);
  return `/run/netns/${netns}`;
}

/** A listening socket's descriptor on host:port of `netns`, for `server.listen({ fd })`. */
export function listenInNetns(netns: string, host: string, port: number, backlog = 511): number {
  return addon().listen(nsPath(netns), host, port, backlog);
}

/** A connection to host:port (a loopback address: the connect blocks until it completes) of `netns`. */
export function connectInNetns(netns: string, host: string, port: number): net.Socket {
  const fd = addon().connect(nsPath(netns), host, port);
  return new net.Socket({ fd, readable: true, writable: true });
}
