import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MPLAB_CLI } from '../../../common/paths.js';
import { commandLine, processAlive } from '../../../common/process.js';
import { startCapture, type Capture } from '../../../proxy/capture.js';
import { Agent, startOrigin as startTestOrigin } from '../../../proxy/testkit/remote.js';
import { HD_FILMS } from '../../../testbed/apps/catalog.js';
import { SERVERS, WEB_SITES } from '../../../testbed/apps/servers.js';
import { WHATSAPP_DOCUMENT } from '../../../testbed/apps/whatsapp.js';
import { labDown, labUp, type LabStatus } from '../../../testbed/lab/lab.js';
import { inNetns } from '../../../testbed/netns.js';
import { AdbUi } from '../../support/adb-ui.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { testLabName } from '../testbed/lab-helpers.js';

/**
 * The ten virtual apps on a lab phone, driven through adb as a test drives a real phone (taps at
 * the views uiautomator dumps): each does its actions, its process makes its traffic, the phone's
 * redirector carries it to the proxy over MPTCP (then, with the phone switched to tcp mode, over
 * TCP), and the proxy's log and a capture at the proxy analyzed with `mplab analyze` show it.
 * Playback and page loads are short here; MPLAB_APPS_FULL=1 runs the scenarios' full lengths
 * (25 s per video, 75 s of music, 12 pages).
 */
const FULL = process.env.MPLAB_APPS_FULL === '1';
const WATCH_MS = FULL ? 25_000 : 3000;
const MUSIC_MS = FULL ? 75_000 : 3000;
const PAGES = FULL ? 12 : 3;

interface ProxyEntry {
  client: string;
  target: { host: string; port: number } | null;
  start: number;
  end: number;
  bytes: { up: number; down: number };
  close: string;
  mptcp: { subflows: number; fallback: boolean } | null;
}

interface Connection {
  id: number;
  kind: 'mptcp' | 'tcp';
  subflows: number;
  target: { host: string; port: number } | null;
  uniqueBytes: { up: number; down: number };
  start: number;
}

interface Subflow {
  connection: number;
  iface: 'wifi' | 'cellular' | null;
  bytes: { up: number; down: number };
}

const jsonl = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

describe.skipIf(skipUnless({ root: true, commands: ['ip', 'nft', 'tcpdump', 'adb'] }))('the ten virtual apps on a lab phone', () => {
  const name = testLabName(testPrefix());
  const out = mkdtempSync(join(tmpdir(), 'mplabt-apps-'));
  const proxyLog = join(out, 'proxy.jsonl');
  let lab: LabStatus;
  let ui: AdbUi;
  let capture: Capture | undefined;
  const entries = (): ProxyEntry[] => (readFileSync(proxyLog, 'utf8').trim() ? jsonl<ProxyEntry>(proxyLog) : []);
  const to = (server: { address: string }, port?: number) => (e: ProxyEntry) => e.target?.host === server.address && (port === undefined || e.target.port === port);
  /** The proxy writes a connection's line when it ends. */
  const waitEntries = async (match: (e: ProxyEntry) => boolean, count = 1, timeoutMs = 15_000): Promise<ProxyEntry[]> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = entries().filter(match);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`the proxy logged ${found.length} of ${count} connections expected (targets so far: ${[...new Set(entries().map((e) => `${e.target?.host}:${e.target?.port}`))].join(' ')})`);
      await sleep(200);
    }
  };
  const start = (component: string) => ui.shell(`am start -W -S -n ${component}`);
  /** The app's process: the phone's process whose name (its command line) is the package. */
  const pidOf = async (pkg: string): Promise<number | undefined> => {
    // the process takes its name once Node has loaded it, a moment after the app's start
    for (let i = 0; i < 50; i++) {
      const { stdout } = await execa('ip', ['netns', 'pids', lab.phones[0].netns]);
      const pid = String(stdout)
        .split('\n')
        .map(Number)
        .find((p) => p > 0 && commandLine(p)?.filter(Boolean).join(' ') === pkg);
      if (pid) return pid;
      await sleep(100);
    }
    return undefined;
  };

  beforeAll(async () => {
    lab = await labUp({ name, phones: 1, mode: 'mptcp', defaultRoute: 'wifi', proxyLog, adbPortBase: 0 });
    ui = new AdbUi(lab.phones[0].adb!);
    capture = await startCapture({ netns: lab.proxy.netns, iface: 'eth0', file: join(out, 'mptcp.pcap'), filter: 'tcp' });
  });
  afterAll(async () => {
    await capture?.stop().catch(() => undefined);
    await labDown(name);
    await removeOwnTestNamespaces();
    rmSync(out, { recursive: true, force: true });
  });

  it('every app is installed with its launcher activity, and an app is a process of its own, as its uid, named by its package', async () => {
    const packages = await ui.shell('pm list packages -3');
    for (const pkg of ['com.facebook.katana', 'com.facebook.orca', 'com.dropbox.android', 'com.google.android.apps.docs', 'org.mozilla.firefox', 'com.spotify.music', 'com.google.android.youtube', 'com.dailymotion.dailymotion', 'com.whatsapp', 'tv.periscope.android']) {
      expect(packages).toContain(`package:${pkg}`);
    }
    await start('com.whatsapp/.Main');
    const pid = await pidOf('com.whatsapp');
    expect(pid).toBeDefined();
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '')).toBe('com.whatsapp');
    const uid = (await ui.shell('pm list packages -U com.whatsapp')).match(/uid:(\d+)/)![1];
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${uid}\\s`, 'm'));
  });

  it('WhatsApp: a long-lived chat connection to 5222, a text delivered, a photo on its own connection, the 5 MB document downloaded', async () => {
    await start('com.whatsapp/.Main');
    await ui.tap({ id: 'com.whatsapp:id/conversations_row_contact_name', text: 'Alice' });
    await ui.waitFor({ id: 'com.whatsapp:id/conversation_contact_status', text: 'online' });
    await ui.tap({ id: 'com.whatsapp:id/entry' });
    await ui.type('Hello from the lab');
    await ui.tap({ id: 'com.whatsapp:id/send' });
    await ui.waitFor({ id: 'com.whatsapp:id/status', desc: 'Delivered' });
    await ui.tap({ id: 'com.whatsapp:id/control_btn', desc: 'Download' });
    await ui.waitFor({ desc: /^report\.pdf, 5\.0 MB, downloaded$/ }, 30_000);
    await ui.tap({ id: 'com.whatsapp:id/input_attach_button' });
    await ui.tap({ id: 'com.whatsapp:id/pickfiletype_gallery_holder' });
    await ui.tap({ id: 'com.whatsapp:id/gallery_item_name', text: /^IMG/ });
    await ui.tap({ id: 'com.whatsapp:id/send' });
    await ui.waitFor({ desc: /^photo, (Delivered|Read)$/ }, 15_000);
    const media = await waitEntries(to(SERVERS.whatsappMedia, 443), 2);
    expect(media.some((e) => e.bytes.down >= WHATSAPP_DOCUMENT.bytes)).toBe(true);
    expect(media.some((e) => e.bytes.up >= 100_000 && e.bytes.up < 120_000)).toBe(true);
    // the chat connection is still open (not logged yet): its socket is in the phone
    const { stdout } = await inNetns(lab.phones[0].netns, 'ss', ['-Htn', 'state', 'established', 'dst', `${SERVERS.whatsappChat.address}:5222`]);
    expect(String(stdout).trim()).not.toBe('');
  });

  it('force-stop kills the app\'s process and its connections', async () => {
    const pid = (await pidOf('com.whatsapp'))!;
    const before = entries().filter(to(SERVERS.whatsappChat, 5222)).length;
    await ui.shell('am force-stop com.whatsapp');
    for (let i = 0; i < 50 && processAlive(pid); i++) await sleep(100);
    expect(processAlive(pid)).toBe(false);
    const [chat] = (await waitEntries(to(SERVERS.whatsappChat, 5222), before + 1)).slice(before);
    expect(chat.bytes.up).toBeGreaterThan(0);
    expect(chat.close).toMatch(/client-(end|reset)/);
    const { stdout } = await inNetns(lab.phones[0].netns, 'ss', ['-Htn', 'state', 'established', 'dst', `${SERVERS.whatsappChat.address}`]);
    expect(String(stdout).trim()).toBe('');
  });

  it('Dropbox uploads a fresh 20 MB file pushed to Downloads, its real bytes, and shows it uploaded', async () => {
    const file = join(out, 'fresh-20MB.bin');
    writeFileSync(file, randomBytes(20_000_000));
    await execa('adb', ['-s', ui.serial, 'push', file, '/sdcard/Download/fresh-20MB.bin']);
    await start('com.dropbox.android/.activity.DbxMainActivity');
    await ui.tap({ id: 'com.dropbox.android:id/fab_button' });
    await ui.tap({ id: 'com.dropbox.android:id/upload_files' });
    await ui.tap({ id: 'android:id/title', text: 'fresh-20MB.bin' });
    await ui.waitFor({ id: 'com.dropbox.android:id/filelist_status', text: '20.0 MB, Uploaded just now' }, 60_000);
    // the app keeps its connections alive: the proxy logs them when the app is gone
    await ui.shell('am force-stop com.dropbox.android');
    const [upload] = await waitEntries((e) => to(SERVERS.dropboxContent, 443)(e) && e.bytes.up >= 20_000_000);
    expect(upload.bytes.up).toBeLessThan(20_001_000);
  });

  it('Drive uploads a picked file and says the upload is complete', async () => {
    const file = join(out, 'notes.bin');
    writeFileSync(file, randomBytes(3_000_000));
    await execa('adb', ['-s', ui.serial, 'push', file, '/sdcard/Download/notes.bin']);
    await start('com.google.android.apps.docs/.app.NewMainProxyActivity');
    await ui.tap({ id: 'com.google.android.apps.docs:id/extended_fab' });
    await ui.tap({ id: 'com.google.android.apps.docs:id/upload' });
    await ui.tap({ id: 'android:id/title', text: 'notes.bin' });
    await ui.waitFor({ id: 'com.google.android.apps.docs:id/upload_status', text: '1 upload complete' }, 30_000);
    await ui.shell('am force-stop com.google.android.apps.docs');
    await waitEntries((e) => to(SERVERS.googleApis, 443)(e) && e.bytes.up >= 3_000_000);
  });

  it('YouTube plays the three HD films one after the other, each on its own connection to its video server', async () => {
    await start('com.google.android.youtube/.app.honeycomb.Shell\\$HomeActivity');
    for (const film of HD_FILMS) {
      const title = { id: 'com.google.android.youtube:id/title', text: film.title };
      await ui.scrollTo(title);
      await ui.tap(title);
      await ui.waitFor({ id: 'com.google.android.youtube:id/player_control_play_pause_replay_button', desc: 'Pause video' }, 15_000);
      await sleep(WATCH_MS);
      const position = await ui.find({ id: 'com.google.android.youtube:id/time_bar_current_time' });
      expect(position?.text).not.toBe('0:00');
      await ui.shell('input keyevent 4');
    }
    const videos = await waitEntries(to(SERVERS.youtubeVideo, 443), 3);
    // at least the first 5-second segment of each, at 4 Mbit/s
    for (const v of videos) expect(v.bytes.down).toBeGreaterThanOrEqual(2_500_000);
  });

  it('Dailymotion plays an HD film from its CDN', async () => {
    await start('com.dailymotion.dailymotion/com.dailymotion.android.ui.SplashScreenActivity');
    await ui.tap({ id: 'com.dailymotion.dailymotion:id/video_title', text: /^Big Buck Bunny/ });
    await ui.waitFor({ id: 'com.dailymotion.dailymotion:id/play_pause_button', desc: 'Pause video' }, 15_000);
    await ui.shell('input keyevent 4');
    await waitEntries(to(SERVERS.dailymotionVideo, 443));
  });

  it(`Firefox loads ${PAGES} pages of many objects with an empty cache`, async () => {
    await ui.shell('pm clear org.mozilla.firefox');
    await start('org.mozilla.firefox/org.mozilla.fenix.HomeActivity');
    for (const site of WEB_SITES.slice(0, PAGES)) {
      await ui.tap({ id: 'org.mozilla.firefox:id/mozac_browser_toolbar_url_view' });
      await ui.type(site.host);
      await ui.shell('input keyevent 66');
      await ui.waitFor({ id: 'org.mozilla.firefox:id/engineView', desc: site.title }, 30_000);
    }
    await ui.shell('am force-stop org.mozilla.firefox');
    for (const site of WEB_SITES.slice(0, PAGES)) {
      const conns = await waitEntries(to(site, 80));
      expect(conns.length).toBeLessThanOrEqual(6);
      expect(conns.reduce((n, e) => n + e.bytes.down, 0)).toBeGreaterThan(site.objects * site.size * 0.5);
    }
  });

  it('Spotify streams at a paced rate while it plays', async () => {
    await start('com.spotify.music/.MainActivity');
    await ui.tap({ id: 'com.spotify.music:id/title', text: "Today's Top Hits" });
    await ui.tap({ id: 'com.spotify.music:id/shuffle_play_button' });
    await ui.waitFor({ id: 'com.spotify.music:id/play_pause_button', desc: 'Pause' });
    const started = Date.now();
    await sleep(MUSIC_MS);
    await ui.shell('am force-stop com.spotify.music');
    const seconds = (Date.now() - started) / 1000;
    const [audio] = await waitEntries(to(SERVERS.spotifyAudio, 443));
    // 320 kbit/s is 40 kB per second: paced, not as fast as the link allows
    expect(audio.bytes.down).toBeGreaterThan(40_000 * seconds * 0.5);
    expect(audio.bytes.down).toBeLessThan(40_000 * (seconds + 3) * 1.2);
    await waitEntries(to(SERVERS.spotifyAccessPoint, 4070));
  });

  it('Periscope watches a live broadcast over HLS, polling its chunk list', async () => {
    await start('tv.periscope.android/.LaunchActivity');
    await ui.tap({ id: 'tv.periscope.android:id/broadcast_row', desc: /HLS$/ });
    await ui.waitFor({ id: 'tv.periscope.android:id/play_pause', desc: 'Pause' }, 20_000);
    await sleep(WATCH_MS);
    await ui.shell('am force-stop tv.periscope.android');
    const hls = await waitEntries(to(SERVERS.periscopeHls, 443));
    expect(hls.reduce((n, e) => n + e.bytes.down, 0)).toBeGreaterThan(3 * 300_000);
  });

  it('Messenger sends a text, a smiley and a photo; Facebook refreshes its feed and posts a status', async () => {
    await start('com.facebook.orca/.auth.StartScreenActivity');
    await ui.tap({ id: 'com.facebook.orca:id/thread_title', text: 'Alice Martin' });
    await ui.tap({ id: 'com.facebook.orca:id/composer_edit_text' });
    await ui.type('Hi');
    await ui.tap({ id: 'com.facebook.orca:id/send_button' });
    await ui.tap({ id: 'com.facebook.orca:id/like_button' });
    await ui.tap({ id: 'com.facebook.orca:id/gallery_button' });
    await ui.tap({ id: 'com.facebook.orca:id/media_name', text: 'IMG_20150001.jpg' });
    await ui.tap({ id: 'com.facebook.orca:id/send_button', text: 'Send' });
    await ui.waitFor({ desc: /^Photo, (Delivered|Seen)$/ }, 15_000);
    await waitEntries(to(SERVERS.facebookUpload, 443));

    await start('com.facebook.katana/.LoginActivity');
    await ui.waitGone({ id: 'com.facebook.katana:id/refresh_progress' }, 20_000);
    await ui.tap({ id: 'com.facebook.katana:id/feed_composer' });
    await ui.tap({ id: 'com.facebook.katana:id/status_text' });
    await ui.type('Posted from the lab');
    await ui.tap({ id: 'com.facebook.katana:id/post_button' });
    await ui.waitFor({ id: 'com.facebook.katana:id/feed_story_message', text: 'Posted from the lab' }, 15_000);
    await ui.shell('am force-stop com.facebook.katana');
    await ui.shell('am force-stop com.facebook.orca');
    await waitEntries(to(SERVERS.facebookCdn, 443));
    await waitEntries(to(SERVERS.facebookMqtt, 443));
  });

  it('an app told to crash on an action dies with a FATAL EXCEPTION in logcat', async () => {
    await ui.shell('logcat -c');
    await start('com.whatsapp/.Main');
    const pid = (await pidOf('com.whatsapp'))!;
    await ui.shell('setprop debug.mplab.fault.com.whatsapp crash:send');
    await ui.tap({ id: 'com.whatsapp:id/conversations_row_contact_name', text: 'Bob' });
    await ui.tap({ id: 'com.whatsapp:id/entry' });
    await ui.type('boom');
    await ui.tap({ id: 'com.whatsapp:id/send' });
    const crash = await ui.shell('logcat -d -b crash');
    expect(crash).toMatch(/E AndroidRuntime: FATAL EXCEPTION: main/);
    expect(crash).toContain(`Process: com.whatsapp, PID: ${pid}`);
    for (let i = 0; i < 50 && processAlive(pid); i++) await sleep(100);
    expect(processAlive(pid)).toBe(false);
    await ui.shell("setprop debug.mplab.fault.com.whatsapp ''");
  });

  it('the analyzer finds the apps\' traffic at the proxy: MPTCP connections with subflows on WiFi and cellular', async () => {
    await sleep(500);
    const stats = await capture!.stop();
    capture = undefined;
    expect(stats.droppedByKernel).toBe(0);
    const dir = join(out, 'mptcp');
    const phone = lab.phones[0];
    const analyzed = await execa(process.execPath, [MPLAB_CLI, 'analyze', stats.file, '--out', dir, '--wifi', `${phone.wifi.ip}/32`, '--cellular', `${phone.cellular.ip}/32`, '--proxy-log', proxyLog, '--no-progress'], { reject: false });
    expect(analyzed.exitCode, analyzed.stderr).toBe(0);
    const connections = jsonl<Connection>(join(dir, 'connections.jsonl'));
    const subflows = jsonl<Subflow>(join(dir, 'subflows.jsonl'));
    const of = (server: { address: string }, port: number) => connections.filter((c) => c.target?.host === server.address && c.target.port === port);
    expect(connections.every((c) => c.kind === 'mptcp')).toBe(true);
    // Dropbox: at least 20 MB up
    expect(of(SERVERS.dropboxContent, 443).some((c) => c.uniqueBytes.up >= 20_000_000)).toBe(true);
    // YouTube: three videos down, each on its own connection
    expect(of(SERVERS.youtubeVideo, 443).filter((c) => c.uniqueBytes.down >= 2_500_000)).toHaveLength(3);
    // WhatsApp: the long-lived chat connection and the 5 MB download
    expect(of(SERVERS.whatsappChat, 5222).length).toBeGreaterThanOrEqual(1);
    expect(of(SERVERS.whatsappMedia, 443).some((c) => c.uniqueBytes.down >= WHATSAPP_DOCUMENT.bytes)).toBe(true);
    // subflows on both interfaces, the bulk transfers using both
    const upload = of(SERVERS.dropboxContent, 443).find((c) => c.uniqueBytes.up >= 20_000_000)!;
    const own = subflows.filter((s) => s.connection === upload.id);
    expect(new Set(own.map((s) => s.iface))).toEqual(new Set(['wifi', 'cellular']));
    expect(own.every((s) => s.bytes.up > 0)).toBe(true);
  });

  it('in tcp mode the redirector carries the apps\' connections over plain TCP: no MPTCP option on the wire', async () => {
    const devices = join(out, 'devices.json');
    writeFileSync(devices, JSON.stringify({ devices: [{ id: ui.serial, label: 'labphone', root: true, kernel: 'upstream' }] }));
    const mode = await execa(process.execPath, [MPLAB_CLI, 'device', 'labphone', 'mptcp', 'tcp', '--devices', devices], { reject: false });
    expect(mode.exitCode, mode.stderr).toBe(0);
    capture = await startCapture({ netns: lab.proxy.netns, iface: 'eth0', file: join(out, 'tcp.pcap'), filter: 'tcp' });
    const since = entries().length;
    await start('com.whatsapp/.Main');
    await ui.tap({ id: 'com.whatsapp:id/conversations_row_contact_name', text: 'Alice' });
    await ui.waitFor({ id: 'com.whatsapp:id/conversation_contact_status', text: 'online' });
    await ui.tap({ id: 'com.whatsapp:id/control_btn', desc: 'Download' });
    await ui.waitFor({ desc: /^report\.pdf, 5\.0 MB, downloaded$/ }, 30_000);
    await ui.shell('am force-stop com.whatsapp');
    const logged = (await waitEntries(() => true, since + 2)).slice(since);
    for (const e of logged) expect(e.mptcp).toBeNull();
    await sleep(500);
    const stats = await capture.stop();
    capture = undefined;
    const dir = join(out, 'tcp');
    const analyzed = await execa(process.execPath, [MPLAB_CLI, 'analyze', stats.file, '--out', dir, '--no-progress'], { reject: false });
    expect(analyzed.exitCode, analyzed.stderr).toBe(0);
    const connections = jsonl<Connection>(join(dir, 'connections.jsonl'));
    expect(connections.length).toBeGreaterThanOrEqual(2);
    for (const c of connections) {
      expect(c.kind).toBe('tcp');
      expect(c.subflows).toBe(1);
    }
    expect(connections.some((c) => c.target?.host === SERVERS.whatsappMedia.address && c.uniqueBytes.down >= WHATSAPP_DOCUMENT.bytes)).toBe(true);
  });

  it('the redirector: only the apps\' uids are redirected; a half-close passes, a refused destination resets the app\'s connection', async () => {
    const netns = lab.phones[0].netns;
    const app = await Agent.start(netns, { uid: 10_099 });
    const root = await Agent.start(netns);
    // the testkit's origin, whose SINK answers only after the client's FIN
    const sink = await startTestOrigin(lab.origin.netns, ['198.19.0.2:8080']);
    try {
      const since = entries().length;
      await app.call({ op: 'open', id: 'half', host: '198.19.0.2', port: 8080 });
      const upload = await app.call<{ answer: string; state: string }>({ op: 'upload', id: 'half', bytes: 300_000, halfClose: true });
      expect(upload.answer).toMatch(/^300000 [0-9a-f]{64}$/);
      const [half] = (await waitEntries(() => true, since + 1)).slice(since);
      expect(half.target).toEqual({ host: '198.19.0.2', port: 8080 });
      expect(half.bytes.up).toBeGreaterThanOrEqual(300_000);

      await app.call({ op: 'open', id: 'refused', host: '198.19.0.2', port: 9 });
      const refused = await app.call<{ state: string }>({ op: 'recv', id: 'refused', timeoutMs: 5000 });
      expect(refused.state).toBe('reset');
      await waitEntries(to({ address: '198.19.0.2' }, 9));

      // root's connections (the shell's, the system's) go out directly: nothing new at the proxy
      const before = entries().length;
      await root.call({ op: 'open', id: 'direct', host: '198.19.0.2', port: 80, hex: Buffer.from('GET /health HTTP/1.0\r\n\r\n').toString('hex') });
      const direct = await root.call<{ hex: string }>({ op: 'recv', id: 'direct', min: 20, timeoutMs: 5000 });
      expect(Buffer.from(direct.hex, 'hex').toString()).toMatch(/^HTTP\/1\.1 200/);
      await root.call({ op: 'close', id: 'direct' });
      // a redirected connection would be in the proxy's log by now (it writes a line when one ends)
      await sleep(1000);
      expect(entries().length).toBe(before);
    } finally {
      await app.stop();
      await root.stop();
      await sink.stop();
    }
  });
});
