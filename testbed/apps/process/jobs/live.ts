import type http from 'node:http';
import { log } from '../channel.js';
import { agentFor, drain, request, text } from '../http.js';
import { PlayerClock } from '../player-clock.js';
import type { LiveJob } from '../protocol.js';
import { errorText, type JobStarter } from './run.js';

export interface Playlist {
  mediaSequence: number;
  chunks: Array<{ seq: number; seconds: number; url: string }>;
}

/** The chunks of an HLS media playlist (#EXT-X-MEDIA-SEQUENCE, then #EXTINF and a URI per chunk). */
export function parsePlaylist(body: string, base: string): Playlist {
  let seq = 0;
  let seconds: number | null = null;
  const chunks: Playlist['chunks'] = [];
  let mediaSequence = 0;
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) seq = mediaSequence = Number(line.slice(22));
    else if (line.startsWith('#EXTINF:')) seconds = Number.parseFloat(line.slice(8));
    else if (line && !line.startsWith('#')) {
      chunks.push({ seq: seq++, seconds: seconds ?? 0, url: new URL(line, base).toString() });
      seconds = null;
    }
  }
  return { mediaSequence, chunks };
}

/**
 * A live broadcast. HLS: the chunk list is polled every 2-2.8 s (a random interval in
 * `pollMs`), every chunk not seen yet is fetched in order and played; the first poll takes the
 * chunks the list holds. RTMP: one paced stream of frames on a long connection. The player
 * starts once `startSeconds` are buffered and stalls when chunks come late. Runs until cancelled.
 */
export const runLive: JobStarter<LiveJob> = (job, emit) => {
  const hls = job.transport === 'hls';
  const clock = new PlayerClock({ startSeconds: job.startSeconds ?? (hls ? 3 : 0.5), durationSeconds: null });
  const [minPoll, maxPoll] = job.pollMs ?? [2000, 2800];
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  const requests = new Set<http.ClientRequest>();
  let lastSeq = -1;

  const get = (url: string) => {
    const r = request(url, { agent: agentFor(false) });
    requests.add(r.req);
    r.req.on('close', () => requests.delete(r.req));
    return r.response;
  };

  const poll = async (): Promise<void> => {
    const playlist = parsePlaylist(await text(await get(job.url)), job.url);
    for (const chunk of playlist.chunks) {
      if (cancelled || chunk.seq <= lastSeq) continue;
      const bytes = await drain(await get(chunk.url));
      lastSeq = chunk.seq;
      clock.add(chunk.seconds, bytes);
    }
  };
  const schedule = (): void => {
    if (cancelled) return;
    timer = setTimeout(() => {
      poll()
        .catch((error: unknown) => {
          if (!cancelled) log('W', 'HlsPlayer', `playlist: ${errorText(error)}`);
        })
        .finally(schedule);
    }, minPoll + Math.random() * (maxPoll - minPoll));
  };

  const rtmp = (): void => {
    const secondsPerByte = 8 / ((job.kbit ?? 800) * 1000);
    get(job.url)
      .then((res) => drain(res, (n) => clock.add(n * secondsPerByte, n)))
      .catch((error: unknown) => {
        if (!cancelled) log('W', 'RtmpPlayer', `stream: ${errorText(error)}`);
      })
      .finally(() => {
        if (!cancelled) timer = setTimeout(rtmp, 1000);
      });
  };

  const report = setInterval(() => emit(clock.snapshot()), 250);
  if (hls) {
    poll()
      .catch((error: unknown) => log('W', 'HlsPlayer', `playlist: ${errorText(error)}`))
      .finally(schedule);
  } else {
    rtmp();
  }
  return {
    cancel: () => {
      cancelled = true;
      clearInterval(report);
      clearTimeout(timer);
      for (const req of requests) req.destroy();
    },
  };
};
