// The alternative link emulator measured by `npm run bench:link`: socat copies a TUN device's
// packets to UDP datagrams; this Node dgram socket holds each for `delayMs` (setTimeout) and
// sends it back, and socat writes it into the TUN device. Usage: node udp-pump.mjs PORT DELAY_MS
import dgram from 'node:dgram';

const [port, delayMs] = process.argv.slice(2).map(Number);
const socket = dgram.createSocket('udp4');
socket.on('message', (packet, from) => {
  const send = () => socket.send(packet, from.port, from.address);
  if (delayMs > 0) setTimeout(send, delayMs);
  else send();
});
socket.bind(port, '127.0.0.1', () => process.stdout.write('ready\n'));
