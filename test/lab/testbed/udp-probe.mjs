// UDP probe for the lab's fidelity tests, run inside lab namespaces. Both ends read the same
// system-wide monotonic clock, so one-way delays are measured directly.
//   node udp-probe.mjs recv IP PORT IDLE_MS      prints "ready", then one JSON summary when no packet came for IDLE_MS
//   node udp-probe.mjs send IP PORT COUNT SIZE KBIT [SRC_IP]   sends COUNT datagrams of SIZE bytes at KBIT kbit/s (IP bytes)
import dgram from 'node:dgram';

const [mode, ip, port, a, b, c, source] = process.argv.slice(2);
const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });

if (mode === 'recv') {
  const idleMs = Number(a);
  const seqs = [];
  const delays = [];
  let first = 0n;
  let last = 0n;
  let bytes = 0;
  let timer;
  const finish = () => {
    socket.close();
    process.stdout.write(`${JSON.stringify({ count: seqs.length, seqs, delaysMs: delays, firstNs: String(first), lastNs: String(last), bytes })}\n`);
  };
  socket.on('message', (msg) => {
    const now = process.hrtime.bigint();
    if (seqs.length === 0) first = now;
    last = now;
    seqs.push(msg.readUInt32BE(0));
    delays.push(Number(now - msg.readBigUInt64BE(4)) / 1e6);
    bytes += msg.length + 28;
    clearTimeout(timer);
    timer = setTimeout(finish, idleMs);
  });
  socket.bind(Number(port), ip, () => {
    process.stdout.write('ready\n');
    timer = setTimeout(finish, 30_000);
  });
} else if (mode === 'send') {
  const count = Number(a);
  const size = Number(b);
  const bitsPerMs = Number(c);
  const started = process.hrtime.bigint();
  let sent = 0;
  const tick = () => {
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const due = Math.min(count, Math.floor((elapsedMs * bitsPerMs) / ((size + 28) * 8)) + 1);
    while (sent < due) {
      const payload = Buffer.alloc(size);
      payload.writeUInt32BE(sent, 0);
      payload.writeBigUInt64BE(process.hrtime.bigint(), 4);
      socket.send(payload);
      sent += 1;
    }
    if (sent < count) setTimeout(tick, 1);
    else setTimeout(() => socket.close(), 200);
  };
  socket.bind(0, source ?? '0.0.0.0', () => socket.connect(Number(port), ip, tick));
} else {
  process.stderr.write('usage: udp-probe.mjs recv IP PORT IDLE_MS | send IP PORT COUNT SIZE KBIT\n');
  process.exit(2);
}
