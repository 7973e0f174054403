import { createHash } from 'node:crypto';
import net from 'node:net';
import { parseEndpoint } from '../address.js';
import { patternChunks } from './pattern.js';

/**
 * A tiny origin for the proxy's tests and benchmark, run inside the origin namespace:
 *   node --import tsx proxy/testkit/origin.ts IP:PORT [IP:PORT...]
 * Each connection starts with one command line:
 *   "SOURCE N"  N pattern bytes, then FIN
 *   "SINK"      reads to FIN, answers "<count> <sha256>\n", then FIN
 *   "SINK N"    reads N bytes, answers "<N>\n", then FIN: for throughput (no digest to compute) and
 *               for proxies that do not relay half-closed connections
 *   "ECHO"      sends back whatever arrives (FIN answers FIN)
 *   "RESET"     answers with a TCP reset
 * Prints "ready" on stdout once every address listens. (HTTP is the lab's origin's:
 * testbed/origin/server.ts.)
 */
const MAX_LINE = 4096;

function serve(socket: net.Socket): void {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    const nl = head.indexOf(0x0a);
    if (nl < 0) {
      if (head.length > MAX_LINE) socket.destroy();
      return;
    }
    socket.off('data', onData);
    const line = head.toString('latin1', 0, nl).replace(/\r$/, '');
    const rest = head.subarray(nl + 1);
    command(socket, line, rest);
  };
  socket.on('data', onData);
  // a client that closes without a command gets a close
  socket.once('end', () => head.indexOf(0x0a) < 0 && socket.end());
}

function command(socket: net.Socket, line: string, rest: Buffer): void {
  const source = /^SOURCE (\d+)$/.exec(line);
  if (source) return void send(socket, Number(source[1]));
  const sink = /^SINK(?: (\d+))?$/.exec(line);
  if (sink) {
    const expected = sink[1] === undefined ? undefined : Number(sink[1]);
    const hash = expected === undefined ? createHash('sha256') : undefined;
    let count = 0;
    const answer = (): void => void socket.end(hash ? `${count} ${hash.digest('hex')}\n` : `${count}\n`);
    const take = (chunk: Buffer): void => {
      hash?.update(chunk);
      count += chunk.length;
      if (count === expected) answer();
    };
    if (rest.length) take(rest);
    socket.on('data', take);
    if (expected === undefined) socket.on('end', answer);
    return;
  }
  if (line === 'RESET') return void socket.resetAndDestroy();
  if (line === 'ECHO') {
    if (rest.length) socket.write(rest);
    socket.pipe(socket);
    return;
  }
  socket.end(`ERROR unknown command ${JSON.stringify(line.slice(0, 64))}\n`);
}

async function send(socket: net.Socket, length: number): Promise<void> {
  for (const chunk of patternChunks(length)) {
    if (socket.destroyed) return;
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));
  }
  socket.end();
}

const endpoints = process.argv.slice(2).map((text) => {
  const parsed = parseEndpoint(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
});
await Promise.all(
  endpoints.map(
    ({ host, port }) =>
      new Promise<void>((resolve, reject) => {
        const server = net.createServer({ allowHalfOpen: true }, serve);
        server.once('error', reject);
        server.listen({ host, port, ipv6Only: true }, () => resolve());
      }),
  ),
);
process.stdout.write('ready\n');
