/**
 * Runs on the phone (bundled into /system/lib/mplab/uiautomator2.mjs) as the UiAutomator2 server's
 * process, started by `am instrument`: it opens the server's listening socket on 127.0.0.1:PORT of
 * the phone's network namespace and hands it to the daemon over Node's IPC channel (the daemon,
 * which holds the screen model, serves it), then stays, named after the server's package as an
 * Android app process is, until the daemon ends the instrumentation or goes away.
 */
import net from 'node:net';

process.title = 'io.appium.uiautomator2.server';
const port = Number(process.argv[2] ?? '6790');
const server = net.createServer({ pauseOnConnect: true });

server.on('error', (error: NodeJS.ErrnoException) => {
  process.send?.({ error: `${error.code ?? error.message} on 127.0.0.1:${port}` }, undefined, {}, () => process.exit(1));
});
server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
  // Once sent, the daemon accepts; this process must not take connections itself.
  process.send?.({ listening: port }, server, {}, () => server.close());
});
process.on('disconnect', () => process.exit(0));
