import { describe, expect, it } from 'vitest';
import { dailymotion } from '../../../../testbed/apps/dailymotion.js';
import { drive } from '../../../../testbed/apps/drive.js';
import { dropbox } from '../../../../testbed/apps/dropbox.js';
import { facebook } from '../../../../testbed/apps/facebook.js';
import { firefox } from '../../../../testbed/apps/firefox.js';
import { virtualApps } from '../../../../testbed/apps/index.js';
import { messenger } from '../../../../testbed/apps/messenger.js';
import { periscope } from '../../../../testbed/apps/periscope.js';
import { SERVERS, WEB_SITES } from '../../../../testbed/apps/servers.js';
import { spotify } from '../../../../testbed/apps/spotify.js';
import { whatsapp } from '../../../../testbed/apps/whatsapp.js';
import { youtube } from '../../../../testbed/apps/youtube.js';
import type { JobEvent } from '../../../../testbed/apps/process/protocol.js';
import { ScriptedPhone, settle } from '../../../support/scripted-app.js';

/**
 * Each app's screens and what its actions ask of its process, with the process played by the
 * test (test/support/scripted-app.ts): the jobs' targets, and the UI's answer to their events.
 */
const player = (state: 'buffering' | 'playing' | 'paused', position: number): JobEvent => ({ type: 'player', state, position, buffered: 5, startupMs: 800, stalls: 0, stallMs: 0, bytes: 1 });

describe('the ten apps', () => {
  it('carry the real apps\' package names, launcher labels and activities', () => {
    expect(virtualApps().map((a) => [a.package, a.label])).toEqual([
      ['com.facebook.katana', 'Facebook'],
      ['com.facebook.orca', 'Messenger'],
      ['com.dropbox.android', 'Dropbox'],
      ['com.google.android.apps.docs', 'Drive'],
      ['org.mozilla.firefox', 'Firefox'],
      ['com.spotify.music', 'Spotify'],
      ['com.google.android.youtube', 'YouTube'],
      ['com.dailymotion.dailymotion', 'Dailymotion'],
      ['com.whatsapp', 'WhatsApp'],
      ['tv.periscope.android', 'Periscope'],
    ]);
  });
});

describe('WhatsApp', () => {
  const W = (id: string) => `com.whatsapp:id/${id}`;

  it('keeps a chat connection to port 5222; a text goes pending, sent, delivered, read', async () => {
    const phone = new ScriptedPhone([whatsapp()]);
    const proc = phone.start('com.whatsapp');
    await settle();
    const chat = proc.last('chat');
    expect(chat.job).toMatchObject({ host: SERVERS.whatsappChat.address, port: 5222 });
    phone.scrollTo({ id: 'android:id/list' }, { id: W('conversations_row_contact_name'), text: 'Zoe' });
    while (phone.system.swipe(540, 600, 540, 2200, 300));
    phone.tap({ id: W('conversations_row_contact_name'), text: 'Alice' });
    expect(phone.get({ id: W('conversation_contact_status') }).text).toBe('connecting…');
    proc.event(chat.id, { type: 'connected' });
    await settle();
    expect(phone.get({ id: W('conversation_contact_status') }).text).toBe('online');

    phone.tap({ id: W('entry') });
    phone.type('Hello');
    phone.tap({ id: W('send') });
    await settle();
    const [sent] = proc.inputs;
    expect(sent.id).toBe(chat.id);
    expect(sent.input).toMatchObject({ type: 'send' });
    expect(phone.get({ id: W('entry') }).text).toBe('Message');
    const messageId = (sent.input as { messageId: number }).messageId;
    expect(phone.get({ id: W('status') }).contentDesc).toBe('Pending');
    for (const [event, tick] of [
      [{ type: 'ack', messageId }, 'Sent'],
      [{ type: 'receipt', messageId, status: 'delivered' }, 'Delivered'],
      [{ type: 'receipt', messageId, status: 'read' }, 'Read'],
    ] as const) {
      proc.event(chat.id, event);
      await settle();
      expect(phone.get({ id: W('status') }).contentDesc).toBe(tick);
    }
  });

  it('downloads the 5 MB document on its own connection, showing progress, then done', async () => {
    const phone = new ScriptedPhone([whatsapp()]);
    const proc = phone.start('com.whatsapp');
    phone.tap({ id: W('conversations_row_contact_name'), text: 'Alice' });
    phone.tap({ id: W('control_btn'), desc: 'Download' });
    await settle();
    const get = proc.last('get');
    expect(get.job).toMatchObject({ url: `http://${SERVERS.whatsappMedia.address}:443/bytes/5000000`, fresh: true });
    expect(get.job.saveAs).toMatch(/WhatsApp Documents\/report\.pdf$/);
    proc.event(get.id, { type: 'progress', bytes: 2_500_000, total: 5_000_000 });
    await settle();
    expect(phone.get({ id: W('document_size') }).text).toBe('2.5 MB of 5.0 MB');
    expect(phone.get({ id: W('progress_bar') }).contentDesc).toBe('50%');
    expect(phone.get({ id: W('control_btn') }).contentDesc).toBe('Cancel download');
    proc.event(get.id, { type: 'done', bytes: 5_000_000, ms: 900 });
    await settle();
    expect(phone.find({ id: W('control_btn') })).toBeUndefined();
    expect(phone.find({ id: W('progress_bar') })).toBeUndefined();
    expect(phone.get({ desc: /^report\.pdf/ }).contentDesc).toBe('report.pdf, 5.0 MB, downloaded');
  });

  it('sends a photo from the gallery as an upload of its own, then announces it on the chat connection', async () => {
    const phone = new ScriptedPhone([whatsapp()]);
    const proc = phone.start('com.whatsapp');
    phone.tap({ id: W('conversations_row_contact_name'), text: 'Bob' });
    phone.tap({ id: W('input_attach_button') });
    phone.tap({ id: W('pickfiletype_gallery_holder') });
    phone.tap({ id: W('gallery_item_name'), text: /^IMG/ });
    phone.tap({ id: W('send'), desc: 'Send' });
    await settle();
    const upload = proc.last('upload');
    expect(upload.job).toMatchObject({ url: `http://${SERVERS.whatsappMedia.address}:443/upload`, bytes: 102_400, fresh: true });
    expect(phone.get({ id: W('conversation_contact_status') })).toBeDefined();
    proc.event(upload.id, { type: 'done', bytes: 102_400, ms: 100 });
    await settle();
    expect(proc.inputs.at(-1)!.input).toMatchObject({ type: 'send' });
  });
});

describe('Messenger', () => {
  const M = (id: string) => `com.facebook.orca:id/${id}`;

  it('sends a text, a like, a smiley and a photo over its MQTT connection on 443 and rupload', async () => {
    const phone = new ScriptedPhone([messenger()]);
    const proc = phone.start('com.facebook.orca');
    await settle();
    expect(proc.last('chat').job).toMatchObject({ host: SERVERS.facebookMqtt.address, port: 443 });
    phone.tap({ id: M('thread_title'), text: 'Alice Martin' });
    phone.tap({ id: M('like_button'), desc: 'Send a like' });
    phone.tap({ id: M('composer_edit_text') });
    phone.type('Hi');
    phone.tap({ id: M('send_button') });
    phone.tap({ id: M('emoji_button') });
    phone.tap({ id: M('emoji_name'), text: 'Smiling face with smiling eyes' });
    await settle();
    expect(proc.inputs.map((i) => JSON.parse((i.input as { body: string }).body).body)).toEqual(['👍', 'Hi', '😊']);
    expect(phone.find({ id: M('message_status'), desc: 'Sending' })).toBeDefined();
    phone.tap({ id: M('gallery_button') });
    phone.tap({ id: M('media_name'), text: 'IMG_20150003.jpg' });
    phone.tap({ id: M('send_button'), text: 'Send' });
    await settle();
    expect(proc.last('upload').job).toMatchObject({ url: `http://${SERVERS.facebookUpload.address}:443/upload`, fresh: true });
  });
});

describe('Facebook', () => {
  const F = (id: string) => `com.facebook.katana:id/${id}`;

  it('refreshes its feed (stories from the Graph API, images from the CDN), on start and on a pull down', async () => {
    const phone = new ScriptedPhone([facebook()]);
    const proc = phone.start('com.facebook.katana');
    await settle();
    const page = proc.last('page');
    expect(page.job.url).toMatch(new RegExp(`^http://${SERVERS.facebookApi.address}:443/page/`));
    expect(page.job.objectsFrom).toBe(`http://${SERVERS.facebookCdn.address}:443`);
    expect(phone.get({ id: F('refresh_progress') })).toBeDefined();
    proc.event(page.id, { type: 'done', bytes: 600_000, ms: 700, objects: 18, fromCache: 0 });
    await settle();
    expect(phone.find({ id: F('refresh_progress') })).toBeUndefined();
    expect(phone.get({ id: F('feed_story_time') }).text).toBe('Just now');
    const [l, t, r] = phone.get({ id: F('news_feed_list') }).bounds;
    phone.system.swipe((l + r) / 2, t + 40, (l + r) / 2, t + 800, 300);
    await settle();
    expect(proc.jobs.filter((j) => j.job.kind === 'page')).toHaveLength(2);
  });

  it('posts a status, shares a photo with a description, and checks in at a place', async () => {
    const phone = new ScriptedPhone([facebook()]);
    const proc = phone.start('com.facebook.katana');
    phone.tap({ id: F('feed_composer') });
    phone.tap({ id: F('status_text') });
    phone.type('Hello world');
    phone.tap({ id: F('post_button') });
    await settle();
    const status = proc.last('upload');
    expect(status.job.url).toBe(`http://${SERVERS.facebookApi.address}:443/upload`);
    expect(phone.get({ id: F('posting_status') }).text).toBe('Posting…');
    proc.event(status.id, { type: 'done', bytes: 1511, ms: 50 });
    await settle();
    expect(phone.get({ id: F('feed_story_message') }).text).toBe('Hello world');

    phone.tap({ id: F('photo_button') });
    phone.tap({ id: F('shutter_button') });
    phone.tap({ id: F('status_text') });
    phone.type('Sunset');
    phone.tap({ id: F('post_button') });
    await settle();
    expect(proc.last('upload').job).toMatchObject({ url: `http://${SERVERS.facebookUpload.address}:443/upload`, bytes: 350_000 });

    phone.tap({ id: F('checkin_button') });
    await settle();
    expect(phone.get({ id: F('places_loading') })).toBeDefined();
    proc.event(proc.last('get').id, { type: 'done', bytes: 24_000, ms: 30 });
    await settle();
    phone.scrollTo({ id: F('places_list') }, { id: F('place_name'), text: 'Antwerpen Centraal' });
    phone.tap({ id: F('place_name'), text: 'Antwerpen Centraal' });
    expect(phone.get({ id: F('checkin_place') }).text).toBe('— at Antwerpen Centraal.');
  });
});

for (const [app, make, fab, upload, server] of [
  ['com.dropbox.android', dropbox, { id: 'com.dropbox.android:id/fab_button' }, { id: 'com.dropbox.android:id/upload_files' }, SERVERS.dropboxContent],
  ['com.google.android.apps.docs', drive, { id: 'com.google.android.apps.docs:id/extended_fab' }, { id: 'com.google.android.apps.docs:id/upload' }, SERVERS.googleApis],
] as const) {
  describe(app, () => {
    it('uploads the file picked in the Downloads folder, its bytes read by the app, with progress and completion', async () => {
      const phone = new ScriptedPhone([make()]);
      const proc = phone.start(app);
      phone.tap(fab);
      phone.tap(upload);
      await settle();
      expect(proc.last('list').job.dir).toBe('/sdcard/Download');
      expect(phone.get({ id: 'com.android.documentsui:id/progressbar' }).package).toBe('com.android.documentsui');
      proc.event(proc.last('list').id, { type: 'files', files: [{ name: 'fresh.bin', size: 20_000_000, mtime: Date.now() }, { name: 'old.bin', size: 5, mtime: 0 }] });
      await settle();
      phone.tap({ id: 'android:id/title', text: 'fresh.bin' });
      await settle();
      const job = proc.last('upload');
      expect(job.job).toMatchObject({ url: `http://${server.address}:443/upload`, file: '/sdcard/Download/fresh.bin' });
      proc.event(job.id, { type: 'progress', bytes: 9_000_000, total: 20_000_000 });
      await settle();
      if (app === 'com.dropbox.android') expect(phone.get({ id: 'com.dropbox.android:id/filelist_status' }).text).toBe('Uploading… 45%');
      else expect(phone.get({ id: 'com.google.android.apps.docs:id/upload_status' }).contentDesc).toBe('Uploading 1 file, 45%');
      proc.event(job.id, { type: 'done', bytes: 20_000_000, ms: 3000 });
      await settle();
      if (app === 'com.dropbox.android') expect(phone.get({ id: 'com.dropbox.android:id/filelist_status' }).text).toBe('20.0 MB, Uploaded just now');
      else expect(phone.get({ id: 'com.google.android.apps.docs:id/upload_status' }).text).toBe('1 upload complete');
    });
  });
}

describe('Firefox', () => {
  const X = (id: string) => `org.mozilla.firefox:id/${id}`;

  it('loads a typed address: the page and its objects from the site, with the cache folder, a progress bar, then the title', async () => {
    const phone = new ScriptedPhone([firefox()]);
    const proc = phone.start('org.mozilla.firefox');
    expect(phone.find({ id: X('top_site_title'), text: 'linkedin.com' })).toBeUndefined();
    phone.scrollTo({ id: X('top_sites_list') }, { id: X('top_site_title'), text: 'linkedin.com' });
    phone.tap({ id: X('mozac_browser_toolbar_url_view') });
    expect(phone.get({ id: X('mozac_browser_toolbar_edit_url_view') }).focused).toBe(true);
    phone.type('wikipedia.org');
    phone.key(66);
    await settle();
    const site = WEB_SITES.find((s) => s.host === 'wikipedia.org')!;
    const page = proc.last('page');
    expect(page.job).toEqual({ kind: 'page', url: `http://${site.address}/page/wikipedia.org?objects=${site.objects}&size=${site.size}`, cacheDir: '/data/data/org.mozilla.firefox/cache/web/wikipedia.org', parallel: 6 });
    proc.event(page.id, { type: 'progress', bytes: 1000, total: null, items: { done: 11, total: 22 } });
    await settle();
    expect(phone.get({ id: X('mozac_browser_toolbar_progress') }).contentDesc).toBe('50%');
    expect(phone.get({ id: X('engineView') }).contentDesc).toBe('');
    proc.event(page.id, { type: 'done', bytes: 300_000, ms: 1200, objects: 22, fromCache: 0 });
    await settle();
    expect(phone.find({ id: X('mozac_browser_toolbar_progress') })).toBeUndefined();
    expect(phone.get({ id: X('engineView') }).contentDesc).toBe('Wikipedia');
  });
});

for (const [pkg, make, ids, kbit, server] of [
  ['com.google.android.youtube', youtube, { list: 'results', title: 'title', playPause: 'player_control_play_pause_replay_button', loading: 'player_loading_view', position: 'time_bar_current_time' }, 4000, SERVERS.youtubeVideo],
  ['com.dailymotion.dailymotion', dailymotion, { list: 'feed_recycler_view', title: 'video_title', playPause: 'play_pause_button', loading: 'player_loader', position: 'current_time' }, 2200, SERVERS.dailymotionVideo],
] as const) {
  describe(pkg, () => {
    const V = (id: string) => `${pkg}:id/${id}`;
    it('plays the HD film the user scrolled to: segments at its bitrate, a spinner while buffering, pause, and leaving stops it', async () => {
      const phone = new ScriptedPhone([make()]);
      const proc = phone.start(pkg);
      await settle();
      expect(proc.last('page').job.url).toMatch(/-home\?/);
      const film = { id: V(ids.title), text: /^Tears of Steel/ };
      expect(phone.find(film)).toBeUndefined();
      phone.scrollTo({ id: V(ids.list) }, film);
      phone.tap(film);
      await settle();
      const video = proc.last('video');
      expect(video.job.url).toMatch(new RegExp(`^http://${server.address}:443/video/\\w+$`));
      expect(video.job).toMatchObject({ kbit, durationSeconds: 734 });
      expect(phone.get({ id: V(ids.loading) }).contentDesc).toBe('Loading');
      proc.event(video.id, player('playing', 12.4));
      await settle();
      expect(phone.find({ id: V(ids.loading) })).toBeUndefined();
      expect(phone.get({ id: V(ids.position) }).text).toBe('0:12');
      phone.tap({ id: V(ids.playPause), desc: 'Pause video' });
      await settle();
      expect(proc.inputs.at(-1)).toEqual({ id: video.id, input: { type: 'pause' } });
      phone.key(4);
      await settle();
      expect(proc.cancelled).toContain(video.id);
    });
  });
}

describe('Spotify', () => {
  const S = (id: string) => `com.spotify.music:id/${id}`;

  it('keeps its access point connection on 4070 and streams shuffled tracks at 320 kbit/s, one after the other', async () => {
    const phone = new ScriptedPhone([spotify()]);
    const proc = phone.start('com.spotify.music');
    await settle();
    expect(proc.last('chat').job).toMatchObject({ host: SERVERS.spotifyAccessPoint.address, port: 4070 });
    phone.tap({ id: S('title'), text: "Today's Top Hits" });
    phone.tap({ id: S('shuffle_play_button') });
    await settle();
    const first = proc.last('stream');
    expect(first.job).toMatchObject({ url: `http://${SERVERS.spotifyAudio.address}:443/stream`, kbit: 320 });
    proc.event(first.id, player('playing', 3));
    await settle();
    expect(phone.get({ id: S('play_pause_button') }).contentDesc).toBe('Pause');
    phone.tap({ id: S('play_pause_button') });
    await settle();
    expect(proc.inputs.at(-1)).toEqual({ id: first.id, input: { type: 'pause' } });
    proc.event(first.id, { type: 'done', bytes: 1, ms: 1 });
    await settle();
    expect(proc.last('stream').id).not.toBe(first.id);
  });
});

describe('Periscope', () => {
  const P = (id: string) => `tv.periscope.android:id/${id}`;

  it('watches a live broadcast over HLS or over RTMP on port 1935, and stops when the user leaves', async () => {
    const phone = new ScriptedPhone([periscope()]);
    const proc = phone.start('tv.periscope.android');
    phone.tap({ id: P('broadcast_row'), desc: /HLS$/ });
    await settle();
    const hls = proc.last('live');
    expect(hls.job).toMatchObject({ transport: 'hls', url: `http://${SERVERS.periscopeHls.address}:443/live/playlist.m3u8?seconds=3&kbit=800`, pollMs: [2000, 2800] });
    expect(phone.get({ id: P('live_badge') }).text).toBe('LIVE');
    phone.key(4);
    await settle();
    expect(proc.cancelled).toContain(hls.id);
    phone.tap({ id: P('broadcast_row'), desc: /RTMP$/ });
    await settle();
    expect(proc.last('live').job).toMatchObject({ transport: 'rtmp', url: `http://${SERVERS.periscopeRtmp.address}:1935/stream?kbit=800&seconds=3600&frameMs=40` });
  });
});
