import type { AppRequest } from '../phone/app-process.js';
import { defineApp, type App } from './kit/app.js';
import { player, type PlayerModel } from './kit/player.js';
import { base, PORTS, SERVERS } from './servers.js';

/**
 * Periscope: live broadcasts, watched as the study describes: over HLS (the chunk list polled
 * every 2-2.8 s, 3-second chunks fetched as they appear) or over RTMP (one connection to port
 * 1935 with the frames pushed every 40 ms). The broadcasts list says which ("HLS" or "RTMP" in a
 * row's description); the player shows LIVE, a spinner while it stalls, and the viewers.
 * Actions (for faults): start, watch.
 */
const KBIT = 800;

export interface Broadcast {
  title: string;
  broadcaster: string;
  viewers: number;
  transport: 'hls' | 'rtmp';
}

const TITLES = [
  'Sunset over the harbour', 'Morning run in the park', 'Live from the concert', 'Cooking dinner with friends', 'Street art tour', 'Q&A about startups', 'Storm chasing',
  'Walking through Tokyo', 'Football match warm-up', 'Behind the scenes', 'Rainy day in London', 'Protest downtown', 'Festival main stage', 'Skiing in the Alps',
  'City lights at night', 'Live music session', 'Farmers market', 'Beach volleyball', 'Late night talk', 'Road trip day 3',
];

export const BROADCASTS: Broadcast[] = TITLES.map((title, i) => ({ title, broadcaster: `@user${1000 + i * 37}`, viewers: 40 + ((i * 733) % 4000), transport: i % 2 === 0 ? 'hls' : 'rtmp' }));

interface Watching {
  broadcast: Broadcast;
  request: AppRequest;
  model: PlayerModel;
}

interface State {
  watching: Watching | null;
}

function watch(app: App<State>, broadcast: Broadcast): void {
  app.action('watch', () => {
    app.navigate('broadcast');
    const model: PlayerModel = { last: null, durationSeconds: null };
    const url = broadcast.transport === 'hls' ? `${base(SERVERS.periscopeHls)}/live/playlist.m3u8?seconds=3&kbit=${KBIT}` : `${base(SERVERS.periscopeRtmp, PORTS.rtmp)}/stream?kbit=${KBIT}&seconds=3600&frameMs=40`;
    const request = app.job({ kind: 'live', transport: broadcast.transport, url, pollMs: [2000, 2800], kbit: KBIT }, (event) => {
      if (event.type === 'player') model.last = event;
      else if (event.type === 'error') model.error = event.message;
    });
    app.state.watching = { broadcast, request, model };
    app.log('I', 'PlayerHelper', `watching ${broadcast.broadcaster} over ${broadcast.transport.toUpperCase()}`);
  });
}

function stopWatching(app: App<State>): void {
  app.state.watching?.request.cancel();
  app.state.watching = null;
}

export function periscope() {
  return defineApp<State>({
    package: 'tv.periscope.android',
    label: 'Periscope',
    activity: '.LaunchActivity',
    actions: ['start', 'watch'],
    home: 'home',
    initial: () => ({ watching: null }),
    onStart: (app) => app.job({ kind: 'get', url: `${base(SERVERS.periscopeApi)}/bytes/40000` }, () => undefined),
    leave: { broadcast: stopWatching },
    screens: {
      home: (screen, app) => {
        screen.toolbar('Periscope', { actions: [{ id: 'menu_search', desc: 'Search', onTap: () => undefined }] });
        screen.tabs('tabs', [
          { text: 'Watch', selected: true, onTap: () => undefined },
          { text: 'Go live', selected: false, onTap: () => undefined },
        ]);
        screen.list('broadcast_list', BROADCASTS, {
          scroll: app.scroll('broadcasts'),
          rowHeight: 252,
          rowId: 'broadcast_row',
          rowDesc: (b) => `${b.title}, ${b.broadcaster}, live, ${b.viewers} viewers, ${b.transport.toUpperCase()}`,
          render: (b, row) => row.icon('broadcast_thumbnail', 'Live broadcast').title('broadcast_title', b.title).subtitle('broadcaster_name', `LIVE · ${b.broadcaster} · ${b.viewers.toLocaleString('en-US')} viewers`),
          onTap: (b) => watch(app, b),
        });
      },
      broadcast: (screen, app) => {
        const watching = app.state.watching;
        screen.toolbar('', { id: 'broadcast_toolbar', up: () => app.back(), upDesc: 'Close' });
        if (!watching) return;
        player(screen, { frame: 'broadcast_player', playPause: 'play_pause', loading: 'loading_spinner', position: 'elapsed_time', duration: 'live_badge', seekBar: 'progress' }, watching.model, { height: 1500, label: watching.broadcast.title, onPlayPause: () => undefined });
        screen.text('broadcast_title', watching.broadcast.title);
        screen.text('viewer_count', `${watching.broadcast.viewers.toLocaleString('en-US')} viewers`);
        screen.text('broadcaster_name', watching.broadcast.broadcaster);
      },
    },
  });
}
