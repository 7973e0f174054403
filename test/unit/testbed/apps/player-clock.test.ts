import { describe, expect, it } from 'vitest';
import { PlayerClock } from '../../../../testbed/apps/process/player-clock.js';

/** A clock on a hand-moved time: what a viewer sees as content arrives early, late, or not at all. */
function clock(options: { startSeconds: number; durationSeconds: number | null }) {
  let now = 1000;
  const c = new PlayerClock({ ...options, now: () => now });
  return { c, at: (ms: number) => (now = 1000 + ms) };
}

describe('a player clock', () => {
  it('starts when enough is buffered (the start-up delay), plays in real time, and stalls when the buffer runs dry', () => {
    const { c, at } = clock({ startSeconds: 4, durationSeconds: 60 });
    at(500);
    c.add(2, 100);
    expect(c.snapshot()).toMatchObject({ state: 'buffering', position: 0, startupMs: null });
    at(900);
    c.add(4, 100);
    expect(c.snapshot()).toMatchObject({ state: 'playing', position: 0, buffered: 6, startupMs: 900, bytes: 200 });
    at(3900);
    expect(c.snapshot()).toMatchObject({ state: 'playing', position: 3, buffered: 3 });
    // the buffer runs dry 6 s after playing started: a stall from that moment, not from the next look
    at(8000);
    expect(c.snapshot()).toMatchObject({ state: 'buffering', position: 6, stalls: 1, stallMs: 1100 });
    at(9000);
    c.add(2);
    expect(c.snapshot()).toMatchObject({ state: 'buffering', stallMs: 2100 });
    c.add(2);
    expect(c.snapshot()).toMatchObject({ state: 'playing', stalls: 1, stallMs: 2100 });
  });

  it('a pause stops the position and the stall time; resume plays on', () => {
    const { c, at } = clock({ startSeconds: 1, durationSeconds: 60 });
    c.add(10);
    at(2000);
    c.pause();
    at(9000);
    expect(c.snapshot()).toMatchObject({ state: 'paused', position: 2 });
    c.resume();
    at(10_000);
    expect(c.snapshot()).toMatchObject({ state: 'playing', position: 3, stalls: 0, stallMs: 0 });
  });

  it('ends once the content is played (a finished stream plays out its buffer first)', () => {
    const { c, at } = clock({ startSeconds: 2, durationSeconds: 5 });
    c.add(5);
    at(4000);
    expect(c.snapshot().state).toBe('playing');
    at(5000);
    expect(c.snapshot()).toMatchObject({ state: 'ended', position: 5, stalls: 0 });
    const live = clock({ startSeconds: 2, durationSeconds: null });
    live.c.add(1);
    live.c.finish();
    expect(live.c.snapshot().state).toBe('playing');
    live.at(1000);
    expect(live.c.snapshot().state).toBe('ended');
  });
});
