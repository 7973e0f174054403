import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onLines } from '../../../common/lines.js';
import { objectSize, RECEIPT_MS, startOrigin, type Origin } from '../../../testbed/origin/server.js';

// The origin on the loopback with ports from the OS (the lab runs it in its origin namespace).
describe('origin servers', () => {
  let origin: Origin;
  let base: string;
  beforeAll(async () => {
    origin = await startOrigin({ host: '127.0.0.1', httpPorts: [0], messagingPort: 0, mptcp: false });
    base = `http://127.0.0.1:${origin.ports.http[0]}`;
  });
  afterAll(() => origin.close());

  it('/bytes/N sends N random bytes', async () => {
    const res = await fetch(`${base}/bytes/300000`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('300000');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(300_000);
    // random: no byte value dominates, and two downloads differ
    const counts = new Array<number>(256).fill(0);
    for (const b of body) counts[b]++;
    expect(Math.max(...counts)).toBeLessThan(1600);
    const again = Buffer.from(await (await fetch(`${base}/bytes/300000`)).arrayBuffer());
    expect(again.equals(body)).toBe(false);
  });

  it('POST /upload answers the byte count', async () => {
    const res = await fetch(`${base}/upload`, { method: 'POST', body: Buffer.alloc(1_234_567) });
    expect(await res.json()).toMatchObject({ bytes: 1_234_567 });
  });

  it('serves video segments of kbit x seconds', async () => {
    const res = await fetch(`${base}/video/v1/3?kbit=800&seconds=2`);
    expect((await res.arrayBuffer()).byteLength).toBe(200_000);
  });

  it('paces a stream at the bitrate', async () => {
    const started = Date.now();
    const res = await fetch(`${base}/stream?kbit=400&seconds=1&frameMs=50`);
    const bytes = (await res.arrayBuffer()).byteLength;
    const elapsed = Date.now() - started;
    expect(bytes).toBe(20 * 2500);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3000);
  });

  it('serves a page of many small objects and each object', async () => {
    const html = await (await fetch(`${base}/page/news?objects=30&size=5000`)).text();
    const urls = [...html.matchAll(/src="([^"]+)"/g)].map((m) => m[1]);
    expect(urls).toHaveLength(30);
    const sizes = await Promise.all(urls.slice(0, 5).map(async (u) => (await (await fetch(`${base}${u}`)).arrayBuffer()).byteLength));
    expect(sizes).toEqual([0, 1, 2, 3, 4].map((i) => objectSize('news', i, 5000)));
    for (const s of sizes) expect(s).toBeGreaterThanOrEqual(1250);
  });

  it('lists live chunks and serves them', async () => {
    const list = await (await fetch(`${base}/live/playlist.m3u8?seconds=2&kbit=100`)).text();
    const chunks = list.split('\n').filter((l) => l.startsWith('/live/'));
    expect(chunks).toHaveLength(3);
    expect((await (await fetch(`${base}${chunks[2]}`)).arrayBuffer()).byteLength).toBe(25_000);
  });

  it('answers bad requests with 400 and unknown paths with 404', async () => {
    expect((await fetch(`${base}/bytes/-1`)).status).toBe(400);
    expect(await (await fetch(`${base}/stream?kbit=abc`)).text()).toMatch(/kbit: expected a number/);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
  });

  /** A messaging client: what it sent goes out at once, what the server says is collected. */
  function chat(port: number, send: string): { socket: net.Socket; lines: Record<string, unknown>[] } {
    const socket = net.createConnection(port, '127.0.0.1');
    const lines: Record<string, unknown>[] = [];
    onLines(socket, (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    socket.write(send);
    return { socket, lines };
  }

  it('keeps a messaging connection: acks, pongs and pushed messages', async () => {
    const { socket, lines } = chat(
      origin.ports.messaging,
      '{"type":"hello","user":"alice"}\n{"type":"message","id":7,"body":"hi"}\n{"type":"ping"}\nnot json\n{"type":"subscribe","everyMs":50,"bytes":10}\n',
    );
    await new Promise((r) => setTimeout(r, 300));
    socket.destroy();('{"type":"hello","user":"alice"}\n{"type":"message","id":7,"body":"hi"}\n{"type":"ping"}\nnot json\n{"type":"subscribe","everyMs":50,"bytes":10}\n');
    await new Promise((r) => setTimeout(r, 300));
    socket.destroy();
    expect(lines.slice(0, 4)).toEqual([
      { type: 'welcome', user: 'alice' },
      { type: 'ack', id: 7, bytes: Buffer.byteLength('{"type":"message","id":7,"body":"hi"}') },
      { type: 'pong' },
      { type: 'error', error: 'expected one JSON object per line' },
    ]);
    const incoming = lines.filter((l) => l.type === 'incoming');
    expect(incoming.length).toBeGreaterThanOrEqual(2);
    expect(incoming[0]).toEqual({ type: 'incoming', seq: 1, body: 'x'.repeat(10) });
  });

  it('sends delivery and read receipts after the ack when a message asks for them', async () => {
    const { socket, lines } = chat(origin.ports.messaging, '{"type":"message","id":3,"body":"x","receipts":true}\n');
    await new Promise((r) => setTimeout(r, RECEIPT_MS.delivered + 100));
    expect(lines.map((l) => [l.type, l.status])).toEqual([['ack', undefined], ['receipt', 'delivered']]);
    await new Promise((r) => setTimeout(r, RECEIPT_MS.read - RECEIPT_MS.delivered));
    socket.destroy();
    expect(lines.at(-1)).toEqual({ type: 'receipt', id: 3, status: 'read' });
  });

  it('speaks the messaging protocol on an HTTP port to a client whose first byte opens a JSON object, and HTTP to the others', async () => {
    const { socket, lines } = chat(origin.ports.http[0], '{"type":"hello","user":"bob"}\n{"type":"ping"}\n');
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    expect(lines).toEqual([{ type: 'welcome', user: 'bob' }, { type: 'pong' }]);
    expect(await (await fetch(`${base}/health`)).text()).toBe('ok\n');
  });
});
