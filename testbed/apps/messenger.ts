import { defineApp, type App } from './kit/app.js';
import { formatTime } from './kit/format.js';
import { ChatSession, type DeliveryStatus, type Message } from './kit/messaging.js';
import { base, PORTS, SERVERS } from './servers.js';

/**
 * Messenger: threads over one long-lived MQTT-like connection to edge-mqtt on port 443 (pinged
 * every minute), texts, a like or a smiley, and photos uploaded to Facebook's upload server
 * on connections of their own. Each message shows Sending, Sent, Delivered, then Seen.
 * Actions (for faults): start, open, send, smiley, photo.
 */
const PEOPLE = [
  'Alice Martin', 'Bob Dupont', 'Charlie Brown', 'Diana Prince', 'Eve Adams', 'Frank Castle', 'Grace Hopper', 'Heidi Klum', 'Ivan Petrov', 'Judy Hopps',
  'Karl Marx', 'Laura Palmer', 'Mike Ross', 'Nina Simone', 'Oscar Wilde', 'Paul Simon', 'Quinn Fabray', 'Rita Ora', 'Sam Wilson', 'Tina Turner',
];
const SMILEYS = [
  ['😊', 'Smiling face with smiling eyes'],
  ['😂', 'Face with tears of joy'],
  ['😍', 'Smiling face with heart-eyes'],
  ['😎', 'Smiling face with sunglasses'],
  ['😢', 'Crying face'],
  ['👍', 'Thumbs up'],
  ['❤️', 'Red heart'],
  ['🎉', 'Party popper'],
] as const;
const PHOTOS = Array.from({ length: 24 }, (_, i) => ({ name: `IMG_2015${String(i + 1).padStart(4, '0')}.jpg`, bytes: 150_000 + 4000 * i }));
const SEEN: Record<DeliveryStatus, string> = { pending: 'Sending', sent: 'Sent', delivered: 'Delivered', read: 'Seen', failed: 'Failed to send' };

interface State {
  chat: ChatSession;
  selected: (typeof PHOTOS)[number] | null;
}

function smiley(app: App<State>, peer: string, emoji: string): void {
  app.action('smiley', () => {
    app.state.chat.sendText(peer, emoji, emoji === '👍' ? 'like' : 'text');
    app.backTo('thread');
  });
}

export function messenger() {
  return defineApp<State>({
    package: 'com.facebook.orca',
    label: 'Messenger',
    activity: '.auth.StartScreenActivity',
    actions: ['start', 'open', 'send', 'smiley', 'photo'],
    home: 'home',
    initial: (app) => {
      const chat = new ChatSession(app);
      PEOPLE.forEach((name, i) => chat.received(name, { kind: 'text', body: ['Are you coming tonight?', 'lol', 'Sent a photo.', 'Thanks :)', 'Call me'][i % 5], at: Date.now() - (i + 1) * 2_400_000 }));
      return { chat, selected: null };
    },
    onStart: (app) => app.state.chat.connect({ host: SERVERS.facebookMqtt.address, port: PORTS.https, pingMs: 60_000 }, 'mplab-phone'),
    screens: {
      home: (screen, app) => {
        screen.toolbar('Chats', { actions: [{ id: 'new_message_button', desc: 'New message', onTap: () => undefined }] });
        screen.reserveBottom(147);
        screen.list('thread_list', PEOPLE, {
          scroll: app.scroll('threads'),
          rowId: 'thread_row',
          rowDesc: (peer) => peer,
          render: (peer, row) => {
            const m = app.state.chat.thread(peer).at(-1);
            row.icon('thread_tile', `${peer} profile picture`).title('thread_title', peer).trailing('thread_time', m ? formatTime(m.at) : '').subtitle('thread_snippet', m ? (m.from === 'me' ? `You: ${m.body}` : m.body) : '');
          },
          onTap: (peer) => app.action('open', () => app.navigate('thread', { peer })),
        });
        screen.bottomBar('bottom_tabs', [
          { text: 'Chats', selected: true, onTap: () => undefined },
          { text: 'People', selected: false, onTap: () => undefined },
          { text: 'Stories', selected: false, onTap: () => undefined },
        ]);
      },
      thread: (screen, app, params) => {
        const peer = String(params.peer);
        const { chat } = app.state;
        screen.toolbar(peer, { id: 'thread_toolbar', up: () => app.back() });
        screen.text('thread_status', chat.connected ? 'Active now' : 'Connecting…');
        screen.list('message_list', chat.thread(peer), {
          scroll: app.scroll('messages'),
          rowId: 'message_row',
          height: screen.remaining - 189,
          rowDesc: (m: Message) => (m.from === 'me' ? `${m.kind === 'photo' ? 'Photo' : m.body}, ${SEEN[m.status]}` : m.body),
          render: (m, row) => {
            if (m.kind === 'photo') row.icon('message_image', 'Photo').title('message_text', m.body);
            else row.title('message_text', m.body);
            if (m.progress !== undefined) row.progress('upload_progress', m.progress);
            row.subtitle('message_time', formatTime(m.at));
            if (m.from === 'me') row.badge('message_status', SEEN[m.status]);
          },
        });
        const typed = app.fieldText('composer_edit_text').trim();
        screen.composer(
          app.input(screen, 'composer_edit_text', { hint: 'Aa' }),
          typed
            ? {
                id: 'send_button',
                desc: 'Send',
                onTap: () =>
                  app.action('send', () => {
                    chat.sendText(peer, typed);
                    app.setFieldText('composer_edit_text', '');
                  }),
              }
            : { id: 'like_button', desc: 'Send a like', onTap: () => smiley(app, peer, '👍') },
          [
            { id: 'emoji_button', desc: 'Choose an emoji', onTap: () => app.navigate('emoji', { peer }) },
            { id: 'gallery_button', desc: 'Choose photo', onTap: () => app.navigate('gallery', { peer }) },
          ],
        );
      },
      emoji: (screen, app, params) => {
        screen.toolbar('Emoji', { up: () => app.back() });
        screen.list('emoji_list', SMILEYS, {
          scroll: app.scroll('emoji'),
          rowId: 'emoji_item',
          rowDesc: ([, name]) => name,
          render: ([emoji, name], row) => row.title('emoji_text', emoji).subtitle('emoji_name', name),
          onTap: ([emoji]) => smiley(app, String(params.peer), emoji),
        });
      },
      gallery: (screen, app, params) => {
        const peer = String(params.peer);
        screen.toolbar('Camera Roll', { up: () => app.back() });
        const selected = app.state.selected;
        screen.list('media_grid', PHOTOS, {
          scroll: app.scroll('photos'),
          rowId: 'media_item',
          height: screen.remaining - 189,
          rowDesc: (p) => `Photo ${p.name}${selected === p ? ', selected' : ''}`,
          render: (p, row) => row.icon('media_thumbnail', 'Photo').title('media_name', p.name),
          onTap: (p) => (app.state.selected = p),
        });
        screen.button('send_button', 'Send', () => {
          const photo = app.state.selected;
          if (!photo) return;
          app.action('photo', () => {
            app.state.chat.sendMedia(peer, 'photo', photo.name, photo.bytes, `${base(SERVERS.facebookUpload)}/upload`);
            app.state.selected = null;
            app.backTo('thread');
          });
        }, { desc: 'Send', enabled: selected !== null });
      },
    },
  });
}
