import http from 'node:http';
import { log } from '../channel.js';
import { drain, request } from '../http.js';
import { PlayerClock, playerJob } from '../player-clock.js';
import type { VideoJob } from '../protocol.js';
import { errorText, type JobStarter } from './run.js';

/**
 * A video player: segments fetched one after the other on a kept-alive connection of the
 * player's own (each video its own connection, as a player's data source has) while less
 * than `aheadSeconds` is buffered ahead of the play position (so traffic lasts as long as the
 * user watches), each at the video's bitrate and as fast as the network allows; a failed segment
 * is asked for again a second later while the picture stalls. Reports the player's state four
 * times a second; done when the video ended.
 */
export const runVideo: JobStarter<VideoJob> = (job, emit) => {
  const clock = new PlayerClock({ startSeconds: Math.min(job.segmentSeconds, job.durationSeconds), durationSeconds: job.durationSeconds });
  const segments = Math.ceil(job.durationSeconds / job.segmentSeconds);
  let next = 0;
  let current: http.ClientRequest | undefined;
  let fetching = false;
  let cancelled = false;
  let retry: NodeJS.Timeout | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  const fill = (): void => {
    if (cancelled || fetching || next >= segments || clock.buffered >= job.aheadSeconds) return;
    fetching = true;
    const k = next++;
    const seconds = Math.min(job.segmentSeconds, job.durationSeconds - k * job.segmentSeconds);
    const { req, response } = request(`${job.url}/${k}?kbit=${job.kbit}&seconds=${seconds}`, { agent });
    current = req;
    response
      .then((res) => drain(res))
      .then((bytes) => {
        fetching = false;
        clock.add(seconds, bytes);
        if (k === segments - 1) clock.finish();
        fill();
      })
      .catch((error: unknown) => {
        fetching = false;
        if (cancelled) return;
        log('W', 'ExoPlayerImpl', `segment ${k}: ${errorText(error)}; retrying`);
        next = k;
        retry = setTimeout(fill, 1000);
      });
  };

  const release = (): void => {
    cancelled = true;
    clearTimeout(retry);
    current?.destroy();
    agent.destroy();
  };
  const run = playerJob(clock, emit, { each: fill, release });
  fill();
  return run;
};
