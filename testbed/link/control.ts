import net from 'node:net';
import type { DirectionParams } from './params.js';
import type { LinkStatus } from './emulator.js';

/**
 * The link daemon's control protocol: one JSON request per line on a Unix socket, one JSON
 * answer per line. Requests: {"op":"status"}, {"op":"set","link":"phone1.wifi","up":{...},
 * "down":{...},"outage":true|false}. Answers: {"ok":true,...} or {"ok":false,"error":"..."}.
 */
export type ControlRequest =
  | { op: 'status' }
  | { op: 'set'; link: string; up?: Partial<DirectionParams>; down?: Partial<DirectionParams>; outage?: boolean };

export type ControlAnswer = { ok: true; links: LinkStatus[] } | { ok: false; error: string };

export function sendControl(socketPath: string, request: ControlRequest, timeoutMs = 5000): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the link daemon did not answer on ${socketPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.end();
      try {
        resolve(JSON.parse(buffer.slice(0, end)) as ControlAnswer);
      } catch (err) {
        reject(err as Error);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach the link daemon on ${socketPath}: ${err.message}`));
    });
  });
}
