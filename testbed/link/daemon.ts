import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { errorMessage } from '../../common/errors.js';
import { onLines } from '../../common/lines.js';
import { log } from '../../common/log.js';
import type { ControlAnswer, ControlRequest } from './control.js';
import { LinkEmulator, type LinkSpec } from './emulator.js';

/**
 * The link daemon: runs inside the lab's links namespace, attaches to the TUN devices named in
 * its configuration, emulates the links, and takes changes on a Unix control socket.
 * Started as `node testbed/bin/linkd.js CONFIG.json`; prints "ready" on stdout once serving.
 */
export interface DaemonConfig {
  control: string;
  links: LinkSpec[];
}

export function answer(emulator: LinkEmulator, request: ControlRequest): ControlAnswer {
  try {
    if (request.op === 'status') return { ok: true, links: emulator.statusAll() };
    if (request.op === 'set') {
      const { link, up, down, outage } = request;
      return { ok: true, links: [emulator.change(link, { up, down, outage })] };
    }
    return { ok: false, error: `unknown op ${JSON.stringify((request as { op: unknown }).op)}` };
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
}

export async function runLinkDaemon(configFile: string): Promise<void> {
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as DaemonConfig;
  const logger = log('linkd', { links: config.links.length });
  const emulator = new LinkEmulator(config.links);
  emulator.start();
  rmSync(config.control, { force: true });
  const server = net.createServer((socket) => {
    onLines(socket, (line) => {
      let reply: ControlAnswer;
      try {
        const request = JSON.parse(line) as ControlRequest;
        reply = answer(emulator, request);
        if (request.op === 'set') logger.info({ request, ok: reply.ok }, 'link changed');
      } catch (err) {
        reply = { ok: false, error: `bad request: ${errorMessage(err)}` };
      }
      socket.write(`${JSON.stringify(reply)}\n`);
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.control, resolve);
  });
  const stop = (): void => {
    server.close();
    emulator.close();
    rmSync(config.control, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  logger.info({ control: config.control, links: emulator.names() }, 'link daemon ready');
  process.stdout.write('ready\n');
}
