import { defineApp, type App } from './kit/app.js';
import { formatBytes, formatTime } from './kit/format.js';
import { ChatSession, type DeliveryStatus, type Message } from './kit/messaging.js';
import { base, PORTS, SERVERS } from './servers.js';

/**
 * WhatsApp: chats over one long-lived connection to its chat server (port 5222, pinged every
 * minute), texts with their delivery ticks, photos (~100 kB) and videos uploaded to the media
 * server on connections of their own, and a 5 MB document from Alice that the user downloads
 * (progress, then done) on a connection of its own.
 * Actions (for faults): start, open, send, photo, video, download.
 */
export const WHATSAPP = 'com.whatsapp';
const DOCUMENTS = '/sdcard/Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Documents';
export const WHATSAPP_DOCUMENT = { name: 'report.pdf', bytes: 5_000_000 };
const PHOTO_BYTES = 102_400;
const VIDEO_BYTES = 1_600_000;

const CONTACTS = [
  'Alice', 'Bob', 'Family', 'Charlie', 'Diana', 'Work team', 'Eve', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy',
  'Mallory', 'Niaj', 'Olivia', 'Peggy', 'Rupert', 'Sybil', 'Trent', 'Victor', 'Walter', 'Football club', 'Neighbours', 'Zoe',
];

interface Download {
  bytes: number;
  total: number;
  state: 'downloading' | 'done' | 'failed';
}

interface Media {
  kind: 'photo' | 'video';
  name: string;
  bytes: number;
}

interface State {
  chat: ChatSession;
  downloads: Map<number, Download>;
  pendingMedia: Media | null;
}

const TICKS: Record<DeliveryStatus, string> = { pending: 'Pending', sent: 'Sent', delivered: 'Delivered', read: 'Read', failed: 'Not sent' };

const GALLERY: Media[] = Array.from({ length: 30 }, (_, i) =>
  i % 5 === 2 ? { kind: 'video' as const, name: `VID-20150${(i % 9) + 1}12-WA00${10 + i}.mp4`, bytes: VIDEO_BYTES } : { kind: 'photo' as const, name: `IMG-20150${(i % 9) + 1}12-WA00${10 + i}.jpg`, bytes: PHOTO_BYTES },
);

function history(chat: ChatSession): void {
  const hour = 3_600_000;
  chat.received('Alice', { kind: 'text', body: 'Hi! Here is the report from yesterday', at: Date.now() - 2 * hour });
  chat.received('Alice', { kind: 'document', body: WHATSAPP_DOCUMENT.name, bytes: WHATSAPP_DOCUMENT.bytes, at: Date.now() - 2 * hour + 60_000 });
  CONTACTS.slice(1).forEach((name, i) => chat.received(name, { kind: 'text', body: ['See you tomorrow', 'Ok 👍', 'Haha', 'Thanks!', 'On my way'][i % 5], at: Date.now() - (i + 3) * hour }));
}

function download(app: App<State>, message: Message): void {
  app.action('download', () => {
    const d: Download = { bytes: 0, total: message.bytes ?? 0, state: 'downloading' };
    app.state.downloads.set(message.id, d);
    app.job({ kind: 'get', url: `${base(SERVERS.whatsappMedia)}/bytes/${message.bytes}`, saveAs: `${DOCUMENTS}/${message.body}`, fresh: true }, (event) => {
      if (event.type === 'progress') d.bytes = event.bytes;
      else if (event.type === 'done') {
        d.bytes = event.bytes;
        d.state = 'done';
        app.log('I', 'MediaDownload', `${message.body}: ${event.bytes} bytes in ${event.ms} ms`);
      } else if (event.type === 'error') {
        d.state = 'failed';
        app.log('W', 'MediaDownload', `${message.body}: ${event.message}`);
      }
    });
  });
}

function sendPendingMedia(app: App<State>, peer: string): void {
  const media = app.state.pendingMedia;
  if (!media) return;
  app.action(media.kind, () => {
    app.state.chat.sendMedia(peer, media.kind, media.name, media.bytes, `${base(SERVERS.whatsappMedia)}/upload`);
    app.state.pendingMedia = null;
    app.backTo('conversation');
  });
}

export function whatsapp() {
  return defineApp<State>({
    package: WHATSAPP,
    label: 'WhatsApp',
    activity: '.Main',
    actions: ['start', 'open', 'send', 'photo', 'video', 'download'],
    home: 'home',
    initial: (app) => {
      const chat = new ChatSession(app);
      history(chat);
      return { chat, downloads: new Map(), pendingMedia: null };
    },
    onStart: (app) => app.state.chat.connect({ host: SERVERS.whatsappChat.address, port: PORTS.xmpp, pingMs: 60_000 }, 'mplab-phone'),
    screens: {
      home: (screen, app) => {
        screen.toolbar('WhatsApp', {
          actions: [
            { id: 'menuitem_search', desc: 'Search', onTap: () => undefined },
            { id: 'menuitem_overflow', desc: 'More options', onTap: () => undefined },
          ],
        });
        screen.tabs('tabs', [
          { text: 'Chats', selected: true, onTap: () => undefined },
          { text: 'Updates', selected: false, onTap: () => undefined },
          { text: 'Calls', selected: false, onTap: () => undefined },
        ]);
        const last = (peer: string): Message | undefined => app.state.chat.thread(peer).at(-1);
        screen.list('android:id/list', CONTACTS, {
          scroll: app.scroll('conversations'),
          rowId: 'contact_row_container',
          render: (peer, row) => {
            const m = last(peer);
            row.icon('contact_photo', `${peer} profile photo`).title('conversations_row_contact_name', peer).trailing('conversations_row_date', m ? formatTime(m.at) : '');
            row.subtitle('single_msg_tv', m ? (m.kind === 'document' ? `📄 ${m.body}` : m.kind === 'text' ? m.body : `${m.kind === 'photo' ? '📷 Photo' : '🎥 Video'}`) : '');
          },
          onTap: (peer) => app.action('open', () => app.navigate('conversation', { peer })),
        });
        screen.fab('fab', 'New chat', () => undefined);
      },
      conversation: (screen, app, params) => {
        const peer = String(params.peer);
        const { chat, downloads } = app.state;
        screen.toolbar(peer, { id: 'conversation_toolbar', up: () => app.back() });
        screen.text('conversation_contact_status', chat.connected ? 'online' : 'connecting…');
        const messages = chat.thread(peer);
        screen.list('conversation_messages', messages, {
          scroll: app.scroll('messages'),
          rowId: 'main_layout',
          height: screen.remaining - 189,
          rowDesc: (m) => {
            if (m.kind === 'document') return `${m.body}, ${formatBytes(m.bytes ?? 0)}${downloads.get(m.id)?.state === 'done' ? ', downloaded' : ''}`;
            return m.from === 'me' ? `${m.kind === 'text' ? m.body : m.kind}, ${TICKS[m.status]}` : m.body;
          },
          render: (m, row) => {
            if (m.kind === 'document') {
              const d = downloads.get(m.id);
              row.icon('icon', 'PDF').title('message_text', m.body);
              if (!d || d.state === 'failed') {
                row.subtitle('document_size', `${formatBytes(m.bytes ?? 0)} • PDF${d ? ' • Download failed' : ''}`);
                row.action('control_btn', { desc: 'Download' }, () => download(app, m));
              } else if (d.state === 'downloading') {
                row.subtitle('document_size', `${formatBytes(d.bytes)} of ${formatBytes(d.total)}`);
                row.action('control_btn', { desc: 'Cancel download' }, () => undefined);
                row.progress('progress_bar', d.total ? d.bytes / d.total : null);
              } else {
                row.subtitle('document_size', `${formatBytes(m.bytes ?? 0)} • PDF`);
              }
              return;
            }
            if (m.kind === 'text') row.title('message_text', m.body);
            else row.icon('image', m.kind === 'photo' ? 'Photo' : 'Video').title('media_name', m.body);
            if (m.progress !== undefined) row.progress('progress_bar', m.progress);
            row.subtitle('date', formatTime(m.at));
            if (m.from === 'me') row.badge('status', TICKS[m.status]);
          },
        });
        screen.composer(
          app.input(screen, 'entry', { hint: 'Message' }),
          {
            id: 'send',
            desc: 'Send',
            onTap: () => {
              const text = app.fieldText('entry').trim();
              if (!text) return;
              app.action('send', () => {
                chat.sendText(peer, text);
                app.setFieldText('entry', '');
              });
            },
          },
          [
            { id: 'input_attach_button', desc: 'Attach', onTap: () => app.navigate('attach', { peer }) },
            { id: 'camera_btn', desc: 'Camera', onTap: () => app.navigate('camera', { peer }) },
          ],
        );
      },
      attach: (screen, app, params) => {
        screen.toolbar('Share', { up: () => app.back() });
        screen.button('pickfiletype_document_holder', 'Document', () => undefined);
        screen.button('pickfiletype_camera_holder', 'Camera', () => app.navigate('camera', params));
        screen.button('pickfiletype_gallery_holder', 'Gallery', () => app.navigate('gallery', params));
      },
      gallery: (screen, app, params) => {
        screen.toolbar('Recents', { up: () => app.back() });
        screen.list('gallery_list', GALLERY, {
          scroll: app.scroll('gallery'),
          rowId: 'gallery_item',
          rowDesc: (m) => `${m.kind === 'photo' ? 'Photo' : 'Video'} ${m.name}`,
          render: (m, row) => row.icon('thumb', m.kind === 'photo' ? 'Photo' : 'Video').title('gallery_item_name', m.name).subtitle('gallery_item_size', formatBytes(m.bytes)),
          onTap: (m) => {
            app.state.pendingMedia = m;
            app.navigate('preview', params);
          },
        });
      },
      camera: (screen, app, params) => {
        screen.toolbar('', { up: () => app.back() });
        screen.image('camera_preview', 'Camera preview', 1500);
        screen.button('shutter', '', () => {
          app.state.pendingMedia = { kind: 'photo', name: `IMG-${Date.now()}.jpg`, bytes: PHOTO_BYTES };
          app.navigate('preview', params);
        }, { desc: 'Take picture' });
      },
      preview: (screen, app, params) => {
        const media = app.state.pendingMedia;
        screen.toolbar('', { up: () => app.back() });
        screen.image('media_preview', media ? `${media.kind === 'photo' ? 'Photo' : 'Video'} ${media.name}` : '', 1400);
        screen.composer(app.input(screen, 'caption', { hint: 'Add a caption…' }), { id: 'send', desc: 'Send', onTap: () => sendPendingMedia(app, String(params.peer)) });
      },
    },
  });
}
