/**
 * The redirector as it runs on a virtual phone (bundled into /system/lib/mplab/redirector.mjs,
 * started by the phone's daemon as the system user):
 *   node redirector.mjs --listen 127.0.0.1:8123 --proxy 198.18.0.1:1080 --addon /system/lib/mplab/mptcp_socket.node
 * Prints "ready" once it listens, one line per carried connection on stderr (the daemon puts them
 * in logcat), and ends when its stdin closes (the daemon went away).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { useMptcpAddon } from '../../../common/mptcp.js';
import { startRedirector, type Redirector } from './relay.js';

function hostPort(text: string, what: string): { host: string; port: number } {
  const at = text.lastIndexOf(':');
  const port = Number(text.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--${what} ${text}: expected IP:PORT`);
  return { host: text.slice(0, at), port };
}

const { values } = parseArgs({ options: { listen: { type: 'string' }, proxy: { type: 'string' }, addon: { type: 'string' } } });
process.title = 'mplab.redirector';
if (values.addon) useMptcpAddon(values.addon);
const listen = hostPort(values.listen ?? '127.0.0.1:8123', 'listen');
const proxy = hostPort(values.proxy ?? '198.18.0.1:1080', 'proxy');

let redirector: Redirector | undefined;
// A redirector of an earlier daemon may still be going away: try for a few seconds.
for (let attempt = 0; !redirector; attempt++) {
  try {
    redirector = await startRedirector({
      listen,
      proxy,
      onConnection: (r) => process.stderr.write(`${r.error ? 'W' : 'D'} ${r.client} -> ${r.target ?? '?'} via ${r.mptcp ? 'MPTCP' : 'TCP'}: up ${r.bytes.up} down ${r.bytes.down}${r.error ? ` (${r.error})` : ''}\n`),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 50) throw error;
    await sleep(100);
  }
}
process.stdout.write(`ready ${redirector.port}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
