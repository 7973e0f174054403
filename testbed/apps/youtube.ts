import { catalogue, slug } from './catalog.js';
import { formatClock } from './kit/format.js';
import { minutesAndSeconds, videoApp } from './kit/video-app.js';
import { SERVERS } from './servers.js';

/**
 * YouTube: a home feed, search, and a watch screen that plays HD video (1080p, 4 Mbit/s) in
 * 5-second segments from a googlevideo server, 30 s ahead of the play position.
 * Actions (for faults): start, search, play.
 */
export function youtube() {
  return videoApp({
    package: 'com.google.android.youtube',
    label: 'YouTube',
    activity: '.app.honeycomb.Shell$HomeActivity',
    servers: { api: SERVERS.youtubeApi, images: SERVERS.youtubeImages, video: SERVERS.youtubeVideo },
    kbit: 4000,
    segmentSeconds: 5,
    aheadSeconds: 30,
    videos: catalogue((title) => slug(title, 11)),
    ids: {
      toolbar: 'toolbar',
      searchButton: 'menu_item_1',
      searchField: 'search_edit_text',
      feed: 'results',
      results: 'results',
      row: 'video_card',
      rowTitle: 'title',
      rowDetails: 'details',
      watchTitle: 'video_title',
      upNext: 'watch_list',
      feedLoading: 'load_progress',
      player: {
        frame: 'watch_player',
        playPause: 'player_control_play_pause_replay_button',
        loading: 'player_loading_view',
        position: 'time_bar_current_time',
        duration: 'time_bar_total_time',
        seekBar: 'time_bar',
      },
    },
    describe: (v) => `${v.title} - ${minutesAndSeconds(v.seconds)} - Go to channel - ${v.channel} - ${v.views} views - play video (${formatClock(v.seconds)})`,
  });
}
