import type { AppRequest } from '../phone/app-process.js';
import { defineApp, type App } from './kit/app.js';
import { player, type PlayerModel } from './kit/player.js';
import type { Screen } from './kit/screen.js';
import { base, PORTS, SERVERS } from './servers.js';

/**
 * Spotify: a long-lived connection to its access point (port 4070, pinged every 30 s) while the
 * app runs, playlists, and music streamed at 320 kbit/s, paced by the server, while it plays:
 * "Shuffle play" plays the playlist's tracks in a shuffled order, one stream per track; pause
 * stops the clock (the stream's connection stays). The now-playing bar and the player show what
 * plays and whether it buffers.
 * Actions (for faults): start, play, pause.
 */
const KBIT = 320;
const PLAYLISTS = ["Today's Top Hits", 'RapCaviar', 'Rock Classics', 'Peaceful Piano', 'Mint', 'Chill Hits', 'Hot Country', 'Viva Latino', 'Songs to Sing in the Car', 'Deep Focus', 'All Out 80s', 'Jazz Vibes'];
const ARTISTS = ['Adele', 'The Weeknd', 'Ed Sheeran', 'Taylor Swift', 'Drake', 'Coldplay', 'Rihanna', 'Daft Punk', 'Stromae', 'Muse'];

interface Track {
  title: string;
  artist: string;
  seconds: number;
}

export function tracksOf(playlist: string): Track[] {
  return Array.from({ length: 50 }, (_, i) => ({ title: `${playlist.split(' ')[0]} Song ${i + 1}`, artist: ARTISTS[(i * 7 + playlist.length) % ARTISTS.length], seconds: 150 + ((i * 37 + playlist.length * 11) % 120) }));
}

interface Playing {
  queue: Track[];
  index: number;
  request: AppRequest;
  model: PlayerModel;
  paused: boolean;
}

interface State {
  playing: Playing | null;
}

function shuffled<T>(items: T[], first: number): T[] {
  const rest = items.filter((_, i) => i !== first);
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [rest[i], rest[j]] = [rest[j], rest[i]];
  }
  return [items[first], ...rest];
}

function playTrack(app: App<State>, queue: Track[], index: number): void {
  app.state.playing?.request.cancel();
  const track = queue[index];
  const model: PlayerModel = { last: null, durationSeconds: track.seconds };
  const playing: Playing = { queue, index, model, paused: false, request: { input: () => undefined, cancel: () => undefined } };
  playing.request = app.job({ kind: 'stream', url: `${base(SERVERS.spotifyAudio)}/stream`, kbit: KBIT, durationSeconds: track.seconds }, (event) => {
    if (event.type === 'player') model.last = event;
    else if (event.type === 'error') model.error = event.message;
    else if (event.type === 'done' && app.state.playing === playing && index + 1 < queue.length) playTrack(app, queue, index + 1);
  });
  app.state.playing = playing;
  app.log('I', 'PlayerState', `playing ${track.artist} - ${track.title}`);
}

function togglePause(app: App<State>): void {
  const playing = app.state.playing;
  if (!playing) return;
  app.action(playing.paused ? 'play' : 'pause', () => {
    playing.paused = !playing.paused;
    playing.request.input({ type: playing.paused ? 'pause' : 'resume' });
  });
}

function nowPlayingBar(screen: Screen, app: App<State>): void {
  const playing = app.state.playing;
  if (!playing) return;
  const track = playing.queue[playing.index];
  screen.frame(
    'now_playing_bar',
    168,
    (place) => {
      const button = { class: 'android.widget.ImageButton', resourceId: screen.id('play_pause_button'), contentDesc: playing.paused ? 'Play' : 'Pause', clickable: true, bounds: place(912, 21, 1059, 147) };
      screen.on(button, { tap: () => togglePause(app) });
      return [
        { class: 'android.widget.TextView', resourceId: screen.id('track_info_view_title'), text: track.title, bounds: place(42, 21, 890, 84) },
        { class: 'android.widget.TextView', resourceId: screen.id('track_info_view_subtitle'), text: track.artist, bounds: place(42, 84, 890, 147) },
        button,
      ];
    },
    { desc: `${track.title} by ${track.artist}`, onTap: () => app.navigate('player') },
  );
}

export function spotify() {
  return defineApp<State>({
    package: 'com.spotify.music',
    label: 'Spotify',
    activity: '.MainActivity',
    actions: ['start', 'play', 'pause'],
    home: 'home',
    initial: () => ({ playing: null }),
    onStart: (app) => {
      app.job({ kind: 'chat', host: SERVERS.spotifyAccessPoint.address, port: PORTS.spotify, user: 'mplab', pingMs: 30_000 }, () => undefined);
      app.job({ kind: 'get', url: `${base(SERVERS.spotifyApi)}/bytes/30000` }, () => undefined);
    },
    screens: {
      home: (screen, app) => {
        screen.toolbar('Good evening', { actions: [{ id: 'settings_button', desc: 'Settings', onTap: () => undefined }] });
        screen.reserveBottom(147 + (app.state.playing ? 168 : 0));
        screen.list('home_list', PLAYLISTS, {
          scroll: app.scroll('playlists'),
          rowId: 'playlist_row',
          rowDesc: (p) => p,
          render: (p, row) => row.icon('playlist_image', p).title('title', p).subtitle('subtitle', 'Playlist • Spotify'),
          onTap: (p) => app.navigate('playlist', { name: p }),
        });
        nowPlayingBar(screen, app);
        screen.bottomBar('navigation_bar', [
          { id: 'home_tab', text: 'Home', selected: true, onTap: () => undefined },
          { id: 'search_tab', text: 'Search', selected: false, onTap: () => undefined },
          { id: 'your_library_tab', text: 'Your Library', selected: false, onTap: () => undefined },
        ]);
      },
      playlist: (screen, app, params) => {
        const name = String(params.name);
        const tracks = tracksOf(name);
        screen.toolbar(name, { up: () => app.back() });
        screen.button('shuffle_play_button', 'SHUFFLE PLAY', () => app.action('play', () => playTrack(app, shuffled(tracks, Math.floor(Math.random() * tracks.length)), 0)), { desc: 'Shuffle play' });
        screen.list('track_list', tracks, {
          scroll: app.scroll('tracks'),
          rowId: 'track_row',
          height: screen.remaining - (app.state.playing ? 168 : 0),
          rowDesc: (t) => `${t.title}, ${t.artist}`,
          render: (t, row) => row.title('track_title', t.title).subtitle('track_artist', t.artist).action('context_menu_button', { desc: `More options for ${t.title}` }, () => undefined),
          onTap: (_t, i) => app.action('play', () => playTrack(app, tracks, i)),
        });
        nowPlayingBar(screen, app);
      },
      player: (screen, app) => {
        const playing = app.state.playing;
        screen.toolbar('Now playing', { up: () => app.back(), upDesc: 'Close' });
        if (!playing) return;
        const track = playing.queue[playing.index];
        screen.image('cover_art', `${track.title} cover art`, 900);
        screen.text('track_title', track.title);
        screen.text('track_artist', track.artist);
        player(screen, { frame: 'now_playing_view', playPause: 'play_pause_button', loading: 'buffering_indicator', position: 'position', duration: 'duration', seekBar: 'seek_bar' }, playing.model, { height: 420, label: track.title, onPlayPause: () => togglePause(app) });
        screen.buttons([{ id: 'next_button', desc: 'Next', onTap: () => playing.index + 1 < playing.queue.length && playTrack(app, playing.queue, playing.index + 1) }]);
      },
    },
  });
}
