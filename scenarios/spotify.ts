import { measurePlayback } from './kit/player-watch.js';
import { defineScenario } from './kit/scenario.js';

/** Spotify: a playlist shuffle-played for 75 s; start-up delay and stalls from the player. */
const S = {
  playlist: (name: string) => ({ id: 'title', text: name }),
  shuffle: { id: 'shuffle_play_button' },
  nowPlayingBar: { id: 'now_playing_bar' },
  player: { id: 'now_playing_view' },
};

export const spotify = defineScenario({
  name: 'spotify',
  app: { package: 'com.spotify.music', label: 'Spotify' },
  description: 'shuffle-play music for 75 s, measuring start-up delay and stalls',
  selectorsFrom: 'Spotify ids (home_list, shuffle_play_button, now_playing_bar, now_playing_view) as the virtual app has them; run here only against the virtual app',
  params: {
    playSeconds: { default: 75, description: 'seconds of music' },
    playlist: { default: "Today's Top Hits", description: 'the playlist to shuffle-play' },
  },
  async run(kit) {
    await kit.openFresh();
    await (await kit.scrollTo(S.playlist(kit.param<string>('playlist')))).click();
    await kit.tap(S.shuffle);
    kit.mark('shuffle');
    await kit.tap(S.nowPlayingBar);
    await measurePlayback(kit, { view: S.player, playing: /\. Playing$/, buffering: /\. Buffering$/ }, kit.param<number>('playSeconds'), 'music');
  },
});
