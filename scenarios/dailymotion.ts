import { defineScenario } from './kit/scenario.js';
import { watchFilms } from './kit/video-watch.js';

/** Dailymotion: the same three HD videos in order, 25 s each; start-up delay and stalls of each. */
export const dailymotion = defineScenario({
  name: 'dailymotion',
  app: { package: 'com.dailymotion.dailymotion', label: 'Dailymotion' },
  description: 'play three HD videos in order, 25 s each, measuring start-up delay and stalls',
  selectorsFrom: 'Dailymotion ids (feed_recycler_view, video_title, player_view) as the virtual app has them; run here only against the virtual app',
  params: { watchSeconds: { default: 25, description: 'seconds each video plays' } },
  async run(kit) {
    await kit.openFresh();
    await watchFilms(kit, { feedTitle: 'video_title', player: 'player_view' }, kit.param<number>('watchSeconds'));
  },
});
