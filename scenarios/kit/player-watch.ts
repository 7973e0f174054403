import type { ScenarioKit } from './scenario-kit.js';
import type { Selector } from './selectors.js';

/**
 * Watching a player as a user does, from what the screen shows: the start-up delay (from the tap
 * to the first moment it plays), then, for a given time, whether it plays or waits for data. The
 * stall time is the time spent waiting after it first played; the stalling ratio (001_fc72a23e1433fd38.txt)
 * that time over the watching time. Sampled every `everyMs`, so each figure is good to about that.
 */
export interface PlayerState {
  /** The view that says what the player is doing. */
  view: Selector;
  /** Its text or description reads this while playing... */
  playing: RegExp;
  /** ...and this while it waits for data. */
  buffering: RegExp;
  /** Read the description (default) or the text. */
  from?: 'description' | 'text';
}

export interface WatchResult {
  startupSeconds: number | null;
  watchedSeconds: number;
  stallSeconds: number;
  stalls: number;
}

async function readState(kit: ScenarioKit, p: PlayerState): Promise<'playing' | 'buffering' | 'other'> {
  const value = p.from === 'text' ? ((await kit.exists(p.view)) ? await kit.text(p.view, 1) : null) : await kit.description(p.view);
  if (value === null) return 'other';
  if (p.playing.test(value)) return 'playing';
  if (p.buffering.test(value)) return 'buffering';
  return 'other';
}

/** From now (the tap that started playback) until `startupTimeoutS`: the seconds until it plays, or null. */
export async function waitUntilPlaying(kit: ScenarioKit, p: PlayerState, startupTimeoutS: number, everyMs = 100): Promise<number | null> {
  const started = performance.now();
  for (;;) {
    if ((await readState(kit, p)) === 'playing') return (performance.now() - started) / 1000;
    if (performance.now() - started > startupTimeoutS * 1000) return null;
    await kit.pause(everyMs / 1000);
  }
}

/** Watches for `seconds` after it first played, summing the time it waited for data. */
export async function watchPlayer(kit: ScenarioKit, p: PlayerState, seconds: number, everyMs = 250): Promise<Omit<WatchResult, 'startupSeconds'>> {
  const started = performance.now();
  let last = started;
  let stalled = 0;
  let stalls = 0;
  let wasBuffering = false;
  while (performance.now() - started < seconds * 1000) {
    await kit.pause(everyMs / 1000);
    const state = await readState(kit, p);
    const now = performance.now();
    if (state === 'buffering') {
      stalled += now - last;
      if (!wasBuffering) stalls++;
    }
    wasBuffering = state === 'buffering';
    last = now;
  }
  return { watchedSeconds: (performance.now() - started) / 1000, stallSeconds: stalled / 1000, stalls };
}

/** Start-up, then watching, with the measures recorded on the kit under `item`. */
export async function measurePlayback(kit: ScenarioKit, p: PlayerState, seconds: number, item: string, startupTimeoutS = 30): Promise<WatchResult> {
  const startupSeconds = await waitUntilPlaying(kit, p, startupTimeoutS);
  kit.measureSeconds('startup-delay', startupSeconds === null ? null : round(startupSeconds), { item });
  if (startupSeconds === null) return { startupSeconds, watchedSeconds: 0, stallSeconds: 0, stalls: 0 };
  const watched = await watchPlayer(kit, p, seconds);
  kit.measureSeconds('stall-time', round(watched.stallSeconds), { item });
  kit.measure({ name: 'stall-ratio', item, value: round(watched.stallSeconds / Math.max(watched.watchedSeconds, 1e-9)), unit: 'ratio' });
  kit.measure({ name: 'stalls', item, value: watched.stalls, unit: 'count' });
  return { startupSeconds, ...watched };
}

function round(x: number): number {
  return Number(x.toFixed(3));
}
