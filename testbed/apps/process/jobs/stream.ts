import type http from 'node:http';
import { log } from '../channel.js';
import { agentFor, drain, request } from '../http.js';
import { PlayerClock, playerJob } from '../player-clock.js';
import type { StreamJob } from '../protocol.js';
import { errorText, type JobStarter } from './run.js';

const FRAME_MS = 40;

/**
 * Music streamed at its rate: the server paces the audio (`/stream?kbit=..&seconds=..`), the
 * player plays what arrived; a broken connection is opened again for the rest of the track.
 * Done at the track's end.
 */
export const runStream: JobStarter<StreamJob> = (job, emit) => {
  const clock = new PlayerClock({ startSeconds: 0.5, durationSeconds: job.durationSeconds });
  const secondsPerByte = 8 / (job.kbit * 1000);
  let received = 0;
  let current: http.ClientRequest | undefined;
  let cancelled = false;
  let retry: NodeJS.Timeout | undefined;

  const open = (): void => {
    const left = job.durationSeconds - received;
    if (cancelled || left <= 0.01) return;
    const { req, response } = request(`${job.url}?kbit=${job.kbit}&seconds=${left.toFixed(3)}&frameMs=${FRAME_MS}`, { agent: agentFor(false) });
    current = req;
    response
      .then((res) =>
        drain(res, (n) => {
          received += n * secondsPerByte;
          clock.add(n * secondsPerByte, n);
        }),
      )
      .then(() => clock.finish())
      .catch((error: unknown) => {
        if (cancelled) return;
        log('W', 'AudioPlayer', `stream: ${errorText(error)}; reconnecting`);
        retry = setTimeout(open, 1000);
      });
  };
  const release = (): void => {
    cancelled = true;
    clearTimeout(retry);
    current?.destroy();
  };
  const run = playerJob(clock, emit, { release });
  open();
  return run;
};
