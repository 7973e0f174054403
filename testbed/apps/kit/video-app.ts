import type { AppRequest } from '../../phone/app-process.js';
import { base, type AppServer } from '../servers.js';
import { App, defineApp } from './app.js';
import { formatClock } from './format.js';
import { player, type PlayerIds, type PlayerModel } from './player.js';
import type { Screen } from './screen.js';

/**
 * A video app (YouTube, Dailymotion): a home feed (its thumbnails fetched from the image
 * server when the app starts), search, and a watch screen whose player fetches the video's
 * segments at its bitrate while the user watches; leaving the watch screen stops the player and
 * its traffic. Each app gives its ids, servers, bitrate and catalogue.
 */
export interface Video {
  id: string;
  title: string;
  channel: string;
  seconds: number;
  views: string;
}

export interface VideoAppConfig {
  package: string;
  label: string;
  activity: string;
  servers: { api: AppServer; images: AppServer; video: AppServer };
  /** The HD rendition's bitrate, its segments' length, how far ahead the player buffers. */
  kbit: number;
  segmentSeconds: number;
  aheadSeconds: number;
  videos: Video[];
  ids: {
    toolbar: string;
    searchButton: string;
    searchField: string;
    feed: string;
    results: string;
    row: string;
    rowTitle: string;
    rowDetails: string;
    watchTitle: string;
    upNext: string;
    feedLoading: string;
    player: PlayerIds;
  };
  /** A row's content description (what TalkBack reads, what an accessibility-id selector matches). */
  describe: (video: Video) => string;
}

interface Watching {
  video: Video;
  request: AppRequest;
  model: PlayerModel;
  paused: boolean;
}

interface State {
  feedLoaded: boolean;
  results: Video[] | null;
  watching: Watching | null;
}

export function minutesAndSeconds(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m} minute${m === 1 ? '' : 's'}, ${s} second${s === 1 ? '' : 's'}`;
}

export function videoApp(config: VideoAppConfig) {
  const { ids } = config;

  const stopWatching = (app: App<State>): void => {
    app.state.watching?.request.cancel();
    app.state.watching = null;
  };

  const watch = (app: App<State>, video: Video): void => {
    app.action('play', () => {
      stopWatching(app);
      app.navigate('watch', {}, { replace: true });
      const model: PlayerModel = { last: null, durationSeconds: video.seconds };
      const request = app.job(
        { kind: 'video', url: `${base(config.servers.video)}/video/${video.id}`, kbit: config.kbit, segmentSeconds: config.segmentSeconds, durationSeconds: video.seconds, aheadSeconds: config.aheadSeconds },
        (event) => {
          if (event.type === 'player') model.last = event;
          else if (event.type === 'error') model.error = event.message;
        },
      );
      app.state.watching = { video, request, model, paused: false };
      app.log('I', 'PlayerController', `play ${video.id} at ${config.kbit} kbit/s`);
    });
  };

  const rows = (screen: Screen, app: App<State>, list: string, videos: Video[], height?: number): void => {
    screen.list(list, videos, {
      scroll: app.scroll(list),
      rowHeight: 315,
      rowId: ids.row,
      rowDesc: config.describe,
      height,
      render: (v, row) => row.icon('thumbnail', `${formatClock(v.seconds)}`).title(ids.rowTitle, v.title).subtitle(ids.rowDetails, `${v.channel} · ${v.views} views`),
      onTap: (v) => watch(app, v),
    });
  };

  const search = (app: App<State>): void => {
    const query = app.fieldText(ids.searchField).trim().toLowerCase();
    app.action('search', () => {
      const words = query.split(/\s+/).filter(Boolean);
      app.state.results = null;
      app.job({ kind: 'get', url: `${base(config.servers.api)}/bytes/${4000 + 40 * query.length}` }, (event) => {
        if (event.type === 'done' || event.type === 'error') app.state.results = config.videos.filter((v) => words.every((w) => `${v.title} ${v.channel}`.toLowerCase().includes(w)));
      });
    });
  };

  return defineApp<State>({
    package: config.package,
    label: config.label,
    activity: config.activity,
    actions: ['start', 'search', 'play'],
    home: 'home',
    initial: () => ({ feedLoaded: false, results: null, watching: null }),
    onStart: (app) => {
      app.job({ kind: 'page', url: `${base(config.servers.api)}/page/${config.label.toLowerCase()}-home?objects=${Math.min(30, config.videos.length)}&size=12000`, objectsFrom: base(config.servers.images) }, (event) => {
        if (event.type === 'done' || event.type === 'error') app.state.feedLoaded = true;
      });
    },
    leave: { watch: stopWatching },
    screens: {
      home: (screen, app) => {
        screen.toolbar(config.label, { id: ids.toolbar, actions: [{ id: ids.searchButton, desc: 'Search', onTap: () => app.navigate('search') }] });
        if (!app.state.feedLoaded) screen.progress(ids.feedLoading, null, 'Loading');
        rows(screen, app, ids.feed, config.videos);
      },
      search: (screen, app) => {
        screen.toolbar('', { id: ids.toolbar, up: () => app.back() });
        screen.field(ids.searchField, { ...app.input(screen, ids.searchField, { hint: `Search ${config.label}`, onSubmit: () => search(app) }) });
        if (app.state.results === null) return;
        if (app.state.results.length === 0) screen.text('empty_results', 'No results found');
        else rows(screen, app, ids.results, app.state.results);
      },
      watch: (screen, app) => {
        const watching = app.state.watching;
        screen.toolbar('', { id: ids.toolbar, up: () => app.back() });
        if (!watching) return;
        player(screen, ids.player, watching.model, {
          label: watching.video.title,
          onPlayPause: () => {
            watching.paused = !watching.paused;
            watching.request.input({ type: watching.paused ? 'pause' : 'resume' });
          },
        });
        screen.text(ids.watchTitle, watching.video.title, { lines: 2 });
        screen.text('channel_name', `${watching.video.channel} · ${watching.video.views} views`);
        rows(
          screen,
          app,
          ids.upNext,
          config.videos.filter((v) => v !== watching.video),
        );
      },
    },
  });
}
