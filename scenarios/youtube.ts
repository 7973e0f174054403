import { defineScenario } from './kit/scenario.js';
import { watchFilms } from './kit/video-watch.js';

/** YouTube: the same three HD videos in order, 25 s each; start-up delay and stalls of each. */
export const youtube = defineScenario({
  name: 'youtube',
  app: { package: 'com.google.android.youtube', label: 'YouTube' },
  description: 'play three HD videos in order, 25 s each, measuring start-up delay and stalls',
  selectorsFrom: 'YouTube ids (results, title, watch_player, player_control_play_pause_replay_button) as the virtual app has them; run here only against the virtual app',
  params: { watchSeconds: { default: 25, description: 'seconds each video plays' } },
  async run(kit) {
    await kit.openFresh();
    await watchFilms(kit, { feedTitle: 'title', player: 'watch_player' }, kit.param<number>('watchSeconds'));
  },
});
