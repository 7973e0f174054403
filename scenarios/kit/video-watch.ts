import { measurePlayback, type PlayerState } from './player-watch.js';
import type { ScenarioKit } from './scenario-kit.js';
import type { Selector } from './selectors.js';

/** The three HD films the YouTube and Dailymotion scenarios play, in order (the same on both). */
export const HD_FILMS = ['Big Buck Bunny', 'Sintel', 'Tears of Steel'];

/** Plays each film for `seconds`: found by scrolling the feed, tapped, measured, then back. */
export async function watchFilms(kit: ScenarioKit, ids: { feedTitle: string; player: string }, seconds: number, films = HD_FILMS): Promise<void> {
  const player: PlayerState = { view: { id: ids.player }, playing: /\. Playing$/, buffering: /\. Buffering$/ };
  for (const [i, film] of films.entries()) {
    const title: Selector = { id: ids.feedTitle, textContains: film };
    await (await kit.scrollTo(title)).click();
    kit.mark(`video ${i + 1} tapped`);
    await measurePlayback(kit, player, seconds, `video ${i + 1} (${film})`);
    await kit.back();
  }
}
