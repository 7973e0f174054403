import { defineApp, type App } from './kit/app.js';
import { base, SERVERS } from './servers.js';

/**
 * Facebook: the news feed (refreshed by a pull down or the Home tab: its stories from the Graph
 * API, their images from the CDN, up to 6 connections at once), a status post, a photo taken and
 * shared with a description (uploaded to rupload), and a check-in at a nearby place (the places
 * fetched first). A post shows "Posting…" with its progress, then sits at the feed's top.
 * Actions (for faults): start, refresh, post, photo, checkin.
 */
const FRIENDS = ['Alice Martin', 'Bob Dupont', 'Charlie Brown', 'Diana Prince', 'Eve Adams', 'Frank Castle', 'Grace Hopper', 'Heidi Klum', 'Ivan Petrov', 'Judy Hopps'];
const STORIES = ['Great weekend at the lake!', 'Who is up for football on Sunday?', 'New job, new city 🎉', 'Look at this sunset', 'Happy birthday to my best friend!', 'Finally finished my thesis', 'Best pizza in town', 'Throwback to last summer'];
const PLACES = [
  'Grand-Place', 'Atomium', 'Manneken Pis', 'Parc du Cinquantenaire', 'Université catholique de Louvain', 'Gare Centrale', 'Place Flagey', 'Musée Magritte', 'Mont des Arts', 'Bois de la Cambre',
  'Sablon', 'Palais Royal', 'Cathédrale Saints-Michel-et-Gudule', 'Parc de Bruxelles', 'Halles Saint-Géry', 'Place du Luxembourg', 'Botanique', 'Tour & Taxis', 'Parc Josaphat', 'Abbaye de la Cambre',
  'Louvain-la-Neuve', 'Namur Citadelle', 'Bruges Markt', 'Gent Graslei', 'Antwerpen Centraal',
];
const PHOTO_BYTES = 350_000;

interface Story {
  author: string;
  text: string;
  when: string;
  photo?: boolean;
}

interface Posting {
  kind: 'post' | 'photo' | 'checkin';
  sent: number;
  total: number;
}

interface State {
  stories: Story[];
  refreshing: boolean;
  refreshes: number;
  posting: Posting | null;
  places: string[] | null;
}

function initialStories(): Story[] {
  return Array.from({ length: 20 }, (_, i) => ({ author: FRIENDS[i % FRIENDS.length], text: STORIES[i % STORIES.length], when: `${i + 1} h`, photo: i % 3 === 0 }));
}

function refresh(app: App<State>): void {
  if (app.state.refreshing) return;
  app.action('refresh', () => {
    app.state.refreshing = true;
    const n = ++app.state.refreshes;
    app.job({ kind: 'page', url: `${base(SERVERS.facebookApi)}/page/fb-feed-${n}?objects=18&size=30000`, objectsFrom: base(SERVERS.facebookCdn) }, (event) => {
      if (event.type !== 'done' && event.type !== 'error') return;
      app.state.refreshing = false;
      if (event.type === 'done') app.state.stories.unshift({ author: FRIENDS[n % FRIENDS.length], text: STORIES[(n + 3) % STORIES.length], when: 'Just now', photo: true });
    });
  });
}

function publish(app: App<State>, kind: Posting['kind'], text: string, place?: string): void {
  app.action(kind, () => {
    const total = kind === 'photo' ? PHOTO_BYTES : 1500 + text.length;
    const posting: Posting = { kind, sent: 0, total };
    app.state.posting = posting;
    const server = kind === 'photo' ? SERVERS.facebookUpload : SERVERS.facebookApi;
    app.job({ kind: 'upload', url: `${base(server)}/upload`, bytes: total }, (event) => {
      if (event.type === 'progress') posting.sent = event.bytes;
      else if (event.type === 'done' || event.type === 'error') {
        app.state.posting = null;
        if (event.type === 'done') app.state.stories.unshift({ author: 'You', text: place ? `${text} — at ${place}.` : text, when: 'Just now', photo: kind === 'photo' });
        else app.log('W', 'ComposerPublish', event.message);
      }
    });
    app.home();
  });
}

export function facebook() {
  return defineApp<State>({
    package: 'com.facebook.katana',
    label: 'Facebook',
    activity: '.LoginActivity',
    actions: ['start', 'refresh', 'post', 'photo', 'checkin'],
    home: 'feed',
    initial: () => ({ stories: initialStories(), refreshing: false, refreshes: 0, posting: null, places: null }),
    onStart: (app) => refresh(app),
    screens: {
      feed: (screen, app) => {
        screen.toolbar('facebook', {
          actions: [
            { id: 'search_button', desc: 'Search', onTap: () => undefined },
            { id: 'messenger_button', desc: 'Messenger', onTap: () => undefined },
          ],
        });
        screen.tabs('tab_bar', [
          { text: 'Home', desc: 'Home, tab 1 of 4', selected: true, onTap: () => refresh(app) },
          { text: 'Friends', desc: 'Friends, tab 2 of 4', selected: false, onTap: () => undefined },
          { text: 'Notifications', desc: 'Notifications, tab 3 of 4', selected: false, onTap: () => undefined },
          { text: 'Menu', desc: 'Menu, tab 4 of 4', selected: false, onTap: () => undefined },
        ]);
        screen.text('feed_composer', "What's on your mind?", { onTap: () => app.navigate('composer', { kind: 'post' }) });
        screen.buttons([
          { id: 'photo_button', text: 'Photo', onTap: () => app.navigate('camera') },
          { id: 'checkin_button', text: 'Check in', onTap: () => openPlaces(app) },
        ]);
        if (app.state.refreshing) screen.progress('refresh_progress', null, 'Refreshing');
        const posting = app.state.posting;
        if (posting) {
          screen.text('posting_status', 'Posting…');
          screen.progress('upload_progress', posting.total ? posting.sent / posting.total : null);
        }
        screen.list('news_feed_list', app.state.stories, {
          scroll: app.scroll('feed'),
          rowHeight: 420,
          rowId: 'feed_story',
          rowDesc: (s) => `${s.author}, ${s.when}, ${s.text}${s.photo ? ', photo' : ''}`,
          onPullDown: () => refresh(app),
          render: (s, row) => {
            row.icon('feed_story_avatar', `${s.author} profile picture`).title('feed_story_author', s.author).trailing('feed_story_time', s.when).subtitle('feed_story_message', s.text);
            row.action('share_button', { desc: 'Share' }, () => undefined).action('comment_button', { desc: 'Comment' }, () => undefined).action('like_button', { desc: 'Like' }, () => undefined);
          },
        });
      },
      composer: (screen, app, params) => {
        const kind = params.kind as Posting['kind'];
        const place = params.place as string | undefined;
        screen.toolbar('Create post', { id: 'composer_toolbar', up: () => app.back() });
        if (kind === 'photo') screen.image('photo_preview', 'Photo', 700);
        if (place) screen.text('checkin_place', `— at ${place}.`);
        screen.field('status_text', app.input(screen, 'status_text', { hint: kind === 'photo' ? 'Say something about this photo…' : "What's on your mind?", lines: 3 }));
        screen.button('post_button', 'POST', () => publish(app, kind, app.fieldText('status_text').trim(), place));
      },
      camera: (screen, app) => {
        screen.toolbar('', { up: () => app.back() });
        screen.image('camera_preview', 'Camera preview', 1500);
        screen.button('shutter_button', '', () => app.navigate('composer', { kind: 'photo' }, { replace: false }), { desc: 'Take photo' });
      },
      places: (screen, app) => {
        screen.toolbar('Check in', { up: () => app.back() });
        screen.field('places_search', app.input(screen, 'places_search', { hint: 'Where are you?' }));
        const places = app.state.places;
        if (!places) {
          screen.progress('places_loading', null, 'Loading');
          return;
        }
        const filter = app.fieldText('places_search').trim().toLowerCase();
        screen.list('places_list', places.filter((p) => p.toLowerCase().includes(filter)), {
          scroll: app.scroll('places'),
          rowId: 'place_row',
          rowDesc: (p) => p,
          render: (p, row) => row.icon('place_icon', 'Place').title('place_name', p).subtitle('place_details', `${(Math.abs(p.length * 37) % 900) + 50} m · ${p.length * 113} were here`),
          onTap: (p) => app.navigate('composer', { kind: 'checkin', place: p }),
        });
      },
    },
  });
}

function openPlaces(app: App<State>): void {
  app.state.places = null;
  app.navigate('places');
  app.job({ kind: 'get', url: `${base(SERVERS.facebookApi)}/bytes/24000` }, (event) => {
    if (event.type === 'done' || event.type === 'error') app.state.places = PLACES;
  });
}
