import { catalogue, slug } from './catalog.js';
import { videoApp } from './kit/video-app.js';
import { SERVERS } from './servers.js';

/**
 * Dailymotion: a feed, search, and a player of HD video (720p, 2.2 Mbit/s) in 6-second segments
 * from its CDN, 24 s ahead of the play position.
 * Actions (for faults): start, search, play.
 */
export function dailymotion() {
  return videoApp({
    package: 'com.dailymotion.dailymotion',
    label: 'Dailymotion',
    activity: 'com.dailymotion.android.ui.SplashScreenActivity',
    servers: { api: SERVERS.dailymotionApi, images: SERVERS.dailymotionApi, video: SERVERS.dailymotionVideo },
    kbit: 2200,
    segmentSeconds: 6,
    aheadSeconds: 24,
    videos: catalogue((title) => `x${slug(title, 6)}`),
    ids: {
      toolbar: 'toolbar',
      searchButton: 'action_search',
      searchField: 'search_src_text',
      feed: 'feed_recycler_view',
      results: 'search_results',
      row: 'video_item',
      rowTitle: 'video_title',
      rowDetails: 'video_owner',
      watchTitle: 'title_text',
      upNext: 'up_next_list',
      feedLoading: 'progress_bar',
      player: {
        frame: 'player_view',
        playPause: 'play_pause_button',
        loading: 'player_loader',
        position: 'current_time',
        duration: 'total_time',
        seekBar: 'seek_bar',
      },
    },
    describe: (v) => `${v.title}, ${v.channel}, ${v.views} views`,
  });
}
