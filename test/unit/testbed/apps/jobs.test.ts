import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJob } from '../../../../testbed/apps/process/jobs/index.js';
import { parsePlaylist } from '../../../../testbed/apps/process/jobs/live.js';
import { pageObjects } from '../../../../testbed/apps/process/jobs/page.js';
import type { Job, JobEvent } from '../../../../testbed/apps/process/protocol.js';
import { startOrigin, type Origin } from '../../../../testbed/origin/server.js';

/**
 * The app process's jobs against the lab's origin on the loopback (the lab runs both in its
 * namespaces): the traffic each makes and the events it reports.
 */
type Run = { events: JobEvent[]; done: Promise<JobEvent>; input: (i: Parameters<NonNullable<ReturnType<typeof startJob>['input']>>[0]) => void; cancel: () => void };

function run(job: Job): Run {
  const events: JobEvent[] = [];
  let finish: (e: JobEvent) => void = () => undefined;
  const done = new Promise<JobEvent>((resolve) => (finish = resolve));
  const r = startJob(job, (e) => {
    events.push(e);
    if (e.type === 'done' || e.type === 'error') finish(e);
  });
  return { events, done, input: (i) => r.input?.(i), cancel: () => r.cancel() };
}

describe('app process jobs', () => {
  let origin: Origin;
  let base: string;
  let dir: string;
  beforeAll(async () => {
    origin = await startOrigin({ host: '127.0.0.1', httpPorts: [0], messagingPort: 0, mptcp: false });
    base = `http://127.0.0.1:${origin.ports.http[0]}`;
    dir = await mkdtemp(path.join(tmpdir(), 'mplabt-jobs-'));
  });
  afterAll(async () => {
    await origin.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('get: downloads with progress and keeps the body where asked', async () => {
    const file = path.join(dir, 'media', 'doc.pdf');
    const r = run({ kind: 'get', url: `${base}/bytes/3000000`, saveAs: file, fresh: true });
    expect(await r.done).toMatchObject({ type: 'done', bytes: 3_000_000 });
    expect((await stat(file)).size).toBe(3_000_000);
    const progress = r.events.filter((e) => e.type === 'progress');
    expect(progress.at(-1)).toEqual({ type: 'progress', bytes: 3_000_000, total: 3_000_000 });
  });

  it('upload: sends a file\'s real bytes (the server counts them) or generated ones', async () => {
    const file = path.join(dir, 'up.bin');
    await writeFile(file, randomBytes(2_345_678));
    const r = run({ kind: 'upload', url: `${base}/upload`, file });
    const done = await r.done;
    expect(done).toMatchObject({ type: 'done', bytes: 2_345_678, server: { bytes: 2_345_678 } });
    const generated = await run({ kind: 'upload', url: `${base}/upload`, bytes: 100_000, fresh: true }).done;
    expect(generated).toMatchObject({ server: { bytes: 100_000 } });
    expect(await run({ kind: 'upload', url: `${base}/upload`, file: path.join(dir, 'missing.bin') }).done).toMatchObject({ type: 'error', message: expect.stringMatching(/ENOENT/) });
  });

  it('page: the page and every object it references; a second load takes them from the cache', async () => {
    const cacheDir = path.join(dir, 'cache');
    const first = await run({ kind: 'page', url: `${base}/page/site?objects=25&size=4000`, cacheDir, parallel: 6 }).done;
    expect(first).toMatchObject({ type: 'done', objects: 25, fromCache: 0 });
    expect((await readdir(cacheDir)).length).toBe(25);
    const second = await run({ kind: 'page', url: `${base}/page/site?objects=25&size=4000`, cacheDir, parallel: 6 }).done;
    expect(second).toMatchObject({ type: 'done', objects: 25, fromCache: 25 });
    expect((second as { bytes: number }).bytes).toBeLessThan((first as { bytes: number }).bytes / 10);
  });

  it('video: segments at the bitrate until the end, the player starting after the first', async () => {
    const r = run({ kind: 'video', url: `${base}/video/v1`, kbit: 800, segmentSeconds: 1, durationSeconds: 2, aheadSeconds: 10 });
    expect(await r.done).toMatchObject({ type: 'done', bytes: 200_000 });
    const states = r.events.flatMap((e) => (e.type === 'player' ? [e.state] : []));
    expect(states).toContain('playing');
    expect(states.at(-1)).toBe('ended');
    const last = r.events.filter((e) => e.type === 'player').at(-1) as Extract<JobEvent, { type: 'player' }>;
    expect(last.startupMs).not.toBeNull();
    expect(last.position).toBe(2);
  });

  it('stream: paced at the bitrate, played as it arrives', async () => {
    const started = Date.now();
    const r = run({ kind: 'stream', url: `${base}/stream`, kbit: 80, durationSeconds: 1 });
    expect(await r.done).toMatchObject({ type: 'done', bytes: 10_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('live HLS: polls the chunk list and plays the chunks as they come; cancel stops it', async () => {
    const r = run({ kind: 'live', transport: 'hls', url: `${base}/live/playlist.m3u8?seconds=0.5&kbit=100`, pollMs: [300, 400], startSeconds: 0.5 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    r.cancel();
    const players = r.events.filter((e): e is Extract<JobEvent, { type: 'player' }> => e.type === 'player');
    expect(players.some((p) => p.state === 'playing')).toBe(true);
    // three chunks at the first poll, then about one per half second
    expect(players.at(-1)!.bytes).toBeGreaterThanOrEqual(4 * 6250);
  });

  it('chat: hello, then each message acknowledged, delivered and read', async () => {
    const r = run({ kind: 'chat', host: '127.0.0.1', port: origin.ports.messaging, user: 'u', pingMs: 10_000 });
    r.input({ type: 'send', messageId: 5, body: 'queued before the welcome' });
    await new Promise((resolve) => setTimeout(resolve, 1800));
    r.cancel();
    expect(r.events).toEqual([
      { type: 'connected' },
      { type: 'ack', messageId: 5 },
      { type: 'receipt', messageId: 5, status: 'delivered' },
      { type: 'receipt', messageId: 5, status: 'read' },
    ]);
  });

  it('list: a folder\'s files, newest first', async () => {
    const folder = await mkdtemp(path.join(dir, 'dl-'));
    await writeFile(path.join(folder, 'a.bin'), 'aa');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writeFile(path.join(folder, 'b.bin'), 'bbb');
    const r = run({ kind: 'list', dir: folder });
    await r.done;
    expect(r.events[0]).toMatchObject({ type: 'files', files: [{ name: 'b.bin', size: 3 }, { name: 'a.bin', size: 2 }] });
  });

  it('parses pages and playlists as the origin writes them', async () => {
    const html = await (await fetch(`${base}/page/x?objects=3&size=10`)).text();
    expect(pageObjects(html, 'http://10.0.0.1:443/page/x')).toEqual([0, 1, 2].map((i) => expect.stringMatching(new RegExp(`^http://10\\.0\\.0\\.1:443/object/x/${i}\\?size=\\d+$`))));
    const playlist = parsePlaylist('#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:41\n#EXTINF:3.000,\n/live/41.ts\n#EXTINF:3.000,\n/live/42.ts\n', 'http://h:1/live/playlist.m3u8');
    expect(playlist.chunks).toEqual([
      { seq: 41, seconds: 3, url: 'http://h:1/live/41.ts' },
      { seq: 42, seconds: 3, url: 'http://h:1/live/42.ts' },
    ]);
  });
});
