import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { log } from '../../../../common/log.js';
import { parseKeycode } from '../../../../testbed/phone/apps.js';
import { parseIntent } from '../../../../testbed/phone/commands/activity.js';
import type { CommandContext } from '../../../../testbed/phone/commands/context.js';
import { COMMANDS } from '../../../../testbed/phone/commands/index.js';
import { parseSu } from '../../../../testbed/phone/commands/su.js';
import { defaultState } from '../../../../testbed/phone/state.js';
import { PhoneSystem } from '../../../../testbed/phone/system.js';

describe('su arguments', () => {
  it('runs -c through the shell, joining what follows as Magisk does', () => {
    expect(parseSu(['-c', 'ip route'])).toEqual({ uid: 0, argv: ['/system/bin/sh', '-c', 'ip route'] });
    expect(parseSu(['-c', 'ip', 'route', 'add', 'x'])).toEqual({ uid: 0, argv: ['/system/bin/sh', '-c', 'ip route add x'] });
    expect(parseSu(['-mm', '-c', 'id'])).toEqual({ uid: 0, argv: ['/system/bin/sh', '-c', 'id'] });
  });

  it('runs a program directly after a user, and a shell on stdin alone', () => {
    expect(parseSu(['0', 'id', '-u'])).toEqual({ uid: 0, argv: ['id', '-u'] });
    expect(parseSu(['root', 'sh', '-c', 'a; b'])).toEqual({ uid: 0, argv: ['sh', '-c', 'a; b'] });
    expect(parseSu(['shell', 'id'])).toEqual({ uid: 2000, argv: ['id'] });
    expect(parseSu([])).toEqual({ uid: 0, argv: ['/system/bin/sh'] });
    expect(parseSu(['10020', 'nc', '-w', '3', 'h', '9'])).toEqual({ uid: 10020, argv: ['nc', '-w', '3', 'h', '9'] });
    expect(parseSu(['1234', 'id'])).toMatch(/unknown user/);
    expect(parseSu(['10200', 'id'])).toMatch(/unknown user/);
    expect(parseSu(['-c'])).toMatch(/requires an argument/);
  });
});

describe('am intents and key codes', () => {
  it('reads the component, action, data and flags of am start', () => {
    expect(parseIntent(['-W', '-S', '-n', 'com.a/.Main', '--es', 'k', 'v', '-a', 'android.intent.action.VIEW', '-d', 'https://x/'])).toEqual({
      component: 'com.a/.Main',
      action: 'android.intent.action.VIEW',
      data: 'https://x/',
      categories: [],
      wait: true,
      stopFirst: true,
    });
    expect(parseIntent(['com.a/.Main'])).toMatchObject({ component: 'com.a/.Main' });
    expect(parseIntent(['-n'])).toMatch(/requires an argument/);
  });

  it('knows key codes by number and name', () => {
    expect([parseKeycode('26'), parseKeycode('KEYCODE_HOME'), parseKeycode('back'), parseKeycode('KEYCODE_A'), parseKeycode('KEYCODE_5')]).toEqual([26, 3, 4, 29, 12]);
    expect(parseKeycode('KEYCODE_NOPE')).toBeUndefined();
  });
});

describe('Android commands on the phone\'s state', () => {
  let dir: string;
  let system: PhoneSystem;
  const logger = log('test');
  logger.level = 'silent';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mplabt-commands-'));
    system = new PhoneSystem({
      identity: { name: 'p', product: 'prod', model: 'Model X', device: 'dev', serialno: 'SER', rooted: true },
      netns: 'mplabt-unused',
      dir,
      interfaces: { wifi: 'wlan0', cellular: 'rmnet0' },
      logger,
    });
    system.state = defaultState({ name: 'p', model: 'Model X' });
    system.bootCompleted = true;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string; files: Record<string, string> }> {
    return runUntil(new AbortController().signal, ...argv);
  }

  async function runUntil(signal: AbortSignal, ...argv: string[]): Promise<{ status: number; stdout: string; stderr: string; files: Record<string, string> }> {
    let stdout = '';
    let stderr = '';
    const files: Record<string, string> = {};
    const context: CommandContext = {
      argv,
      uid: 2000,
      cwd: '/',
      system,
      hostRoot: dir,
      rooted: true,
      stdout: (d) => (stdout += d.toString()),
      stderr: (d) => (stderr += d.toString()),
      writeFile: async (p, d) => {
        files[p] = d.toString();
        return undefined;
      },
      stdin: () => new PassThrough(),
      spawn: () => Promise.reject(new Error('no phone here')),
      processes: async () => [],
      reboot: () => undefined,
      signal,
    };
    const status = await COMMANDS[argv[0]](context);
    return { status, stdout, stderr, files };
  }

  it('getprop prints one property, a default, or all of them', async () => {
    expect((await run('getprop', 'ro.build.version.sdk')).stdout).toBe('34\n');
    expect((await run('getprop', 'no.such', 'fallback')).stdout).toBe('fallback\n');
    expect((await run('getprop', 'no.such')).stdout).toBe('\n');
    const all = (await run('getprop')).stdout;
    expect(all).toMatch(/^\[ro\.product\.model\]: \[Model X\]$/m);
    expect(all).toMatch(/^\[sys\.boot_completed\]: \[1\]$/m);
  });

  it('setprop lets the shell user set debug properties only', async () => {
    expect((await run('setprop', 'debug.mplab', 'on')).status).toBe(0);
    expect((await run('getprop', 'debug.mplab')).stdout).toBe('on\n');
    const denied = await run('setprop', 'ro.build.version.sdk', '99');
    expect(denied.status).toBe(1);
    expect(denied.stderr).toMatch(/Failed to set property/);
  });

  it('settings get/put/delete/list, with "null" for a missing key; the state is saved', async () => {
    expect((await run('settings', 'get', 'global', 'wifi_on')).stdout).toBe('1\n');
    expect((await run('settings', '--user', 'current', 'put', 'secure', 'mplab_key', 'v 1')).status).toBe(0);
    expect((await run('settings', 'get', 'secure', 'mplab_key')).stdout).toBe('v 1\n');
    expect(JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')).settings.secure.mplab_key).toBe('v 1');
    expect((await run('settings', 'delete', 'secure', 'mplab_key')).stdout).toBe('Deleted 1 rows\n');
    expect((await run('settings', 'get', 'secure', 'mplab_key')).stdout).toBe('null\n');
    expect((await run('settings', 'list', 'system')).stdout).toMatch(/^screen_off_timeout=\d+$/m);
    expect((await run('settings', 'get', 'bogus', 'x')).status).toBe(255);
  });

  it('cmd finds its services and says so when it cannot', async () => {
    expect((await run('cmd', '-w', 'connectivity', 'airplane-mode')).stdout).toBe('disabled\n');
    const missing = await run('cmd', 'nosuchservice');
    expect([missing.status, missing.stderr]).toEqual([20, "cmd: Can't find service: nosuchservice\n"]);
  });

  it('pm lists packages with the flags and adbkit\'s "Failed" for an unknown clear', async () => {
    const system3 = (await run('pm', 'list', 'packages', '-s', 'chrome')).stdout;
    expect(system3).toBe('package:com.android.chrome\n');
    // Only Appium's server and settings helper are user-installed, as on a phone Appium has driven.
    expect((await run('pm', 'list', 'packages', '-3')).stdout).toBe('package:io.appium.settings\npackage:io.appium.uiautomator2.server\npackage:io.appium.uiautomator2.server.test\n');
    expect((await run('pm', 'list', 'features')).stdout).toMatch(/^feature:android\.hardware\.wifi$/m);
    expect((await run('pm', 'clear', 'com.example.none')).stdout).toBe('Failed\n');
  });

  it('ps prints toybox\'s columns and -A in its help; appops keeps modes; am instrument of an unknown runner fails as Android says', async () => {
    expect((await run('ps', '--help')).stdout).toMatch(/^-A\b/m);
    await run('am', 'start', '-n', 'com.android.settings/.Settings');
    const ps = (await run('ps', '-A')).stdout.split('\n');
    expect(ps[0].split(/\s+/)).toEqual(['USER', 'PID', 'PPID', 'VSZ', 'RSS', 'WCHAN', 'ADDR', 'S', 'NAME']);
    // no real processes here (no phone namespace): the running app's stand-in, by its package and uid
    expect(ps.find((l) => l.endsWith(' com.android.settings'))?.split(/\s+/).slice(0, 2)).toEqual([`u0_a${system.uidOf('com.android.settings')! - 10000}`, String(system.pidOf('com.android.settings'))]);
    expect((await run('ps', '-p', 'x')).status).toBe(1);
    expect((await run('appops', 'set', 'io.appium.settings', 'android:mock_location', 'allow')).status).toBe(0);
    expect((await run('appops', 'get', 'io.appium.settings', 'android:mock_location')).stdout).toBe('MOCK_LOCATION: allow\n');
    expect((await run('appops', 'set', 'com.example.none', 'android:mock_location', 'allow')).status).toBe(255);
    const instrument = await run('am', 'instrument', '-w', 'com.example.test/androidx.test.runner.AndroidJUnitRunner');
    expect(instrument.status).toBe(1);
    expect(instrument.stderr).toBe('android.util.AndroidException: INSTRUMENTATION_FAILED: com.example.test/androidx.test.runner.AndroidJUnitRunner\n');
    expect((await run('cmd', 'package', 'resolve-activity', '--brief', 'com.android.settings')).stdout.split('\n')[1]).toBe('com.android.settings/com.android.settings.Settings');
    expect((await run('cmd', 'package', 'list', 'packages', '--show-versioncode', 'chrome')).stdout).toBe('package:com.android.chrome versionCode:1\n');
    await run('am', 'force-stop', 'com.android.settings');
  });

  it('am start brings an app to the front, force-stop goes home; input keys act on the screen', async () => {
    expect((await run('am', 'start', '-n', 'com.android.settings/.Settings')).stdout).toBe('Starting: Intent { cmp=com.android.settings/.Settings }\n');
    expect(system.foreground()).toEqual({ package: 'com.android.settings', activity: 'com.android.settings.Settings' });
    expect((await run('am', 'start', '-n', 'com.example/.Nope')).status).toBe(1);
    await run('am', 'force-stop', 'com.android.settings');
    expect(system.foreground().package).toBe('com.android.launcher3');
    await run('input', 'keyevent', 'KEYCODE_POWER');
    expect(system.screenOn).toBe(false);
    expect((await run('dumpsys', 'power')).stdout).toMatch(/mWakefulness=Asleep/);
    await run('input', 'keyevent', 'KEYCODE_WAKEUP');
    expect(system.screenOn).toBe(true);
    expect((await run('input', 'keyevent', 'KEYCODE_NOPE')).status).toBe(1);
    expect((await run('input', 'tap', 'x', '1')).status).toBe(1);
  });

  it('uiautomator dump writes the hierarchy where asked, as the caller', async () => {
    const r = await run('uiautomator', 'dump');
    expect(r.stdout).toBe('UI hierchary dumped to: /sdcard/window_dump.xml\n');
    expect(r.files['/sdcard/window_dump.xml']).toMatch(/^<\?xml version='1\.0' encoding='UTF-8' standalone='yes' \?><hierarchy rotation="0"><node index="0"/);
    expect(r.files['/sdcard/window_dump.xml']).toMatch(/text="Chrome"/);
  });

  it('dumpsys battery reports, is overridden by set, restored by reset', async () => {
    expect((await run('dumpsys', 'battery')).stdout).toMatch(/^ {2}level: 85$/m);
    await run('dumpsys', 'battery', 'set', 'level', '12');
    await run('dumpsys', 'battery', 'unplug');
    const low = (await run('dumpsys', 'battery')).stdout;
    expect(low).toMatch(/^ {2}level: 12$/m);
    expect(low).toMatch(/^ {2}USB powered: false$/m);
    await run('dumpsys', 'battery', 'reset');
    expect((await run('dumpsys', 'battery')).stdout).toMatch(/^ {2}USB powered: true$/m);
  });

  it('logcat dumps the log in threadtime format, filters by tag and priority, clears, and follows until the caller goes', async () => {
    await run('logcat', '-c', '-b', 'all');
    await run('am', 'start', '-n', 'com.android.settings/.Settings');
    system.appContext('com.android.settings').log('W', 'SettingsTest', 'something odd');
    const dump = await run('logcat', '-d');
    expect(dump.status).toBe(0);
    expect(dump.stdout).toMatch(/^--------- beginning of system$/m);
    expect(dump.stdout).toMatch(/^\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {2}1321 {2}1321 I ActivityTaskManager: START u0 \{.*cmp=com\.android\.settings\/\.Settings\} from uid 2000$/m);
    const pid = system.pidOf('com.android.settings');
    expect(dump.stdout).toMatch(new RegExp(`^\\S+ \\S+ +${pid} +${pid} W SettingsTest: something odd$`, 'm'));
    expect((await run('logcat', '-d', '-s', 'SettingsTest:W')).stdout).toMatch(/^--------- beginning of main\n\S+ \S+ +\d+ +\d+ W SettingsTest: something odd\n$/);
    expect((await run('logcat', '-d', 'SettingsTest:E', '*:S')).stdout).toBe('');
    expect((await run('logcat', '-d', '-v', 'brief', '-s', 'SettingsTest')).stdout).toMatch(/^W\/SettingsTest\(\s*\d+\): something odd$/m);
    expect((await run('logcat', '-b', 'nope')).status).toBe(1);

    const caller = new AbortController();
    const following = runUntil(caller.signal, 'logcat', '-v', 'threadtime', '-T', '0');
    await new Promise((r) => setTimeout(r, 20));
    system.appContext('com.android.settings').log('I', 'Later', 'after the start');
    await new Promise((r) => setTimeout(r, 20));
    caller.abort();
    const followed = await following;
    expect(followed.stdout).toMatch(/I Later {3}: after the start\n$/);
    expect(followed.stdout).not.toMatch(/something odd/);

    const later = Date.now() / 1000;
    await new Promise((r) => setTimeout(r, 5));
    system.appContext('com.android.settings').log('I', 'Latest', 'after the time');
    const since = (await run('logcat', '-d', '-T', later.toFixed(3))).stdout;
    expect(since).toMatch(/Latest  : after the time/);
    expect(since).not.toMatch(/after the start/);
    expect((await run('logcat', '-t', '11:22')).status).toBe(1);

    await run('logcat', '-c');
    expect((await run('logcat', '-d')).stdout).toBe('');
  });

  it('an app crash is a FATAL EXCEPTION in the crash buffer; its process is gone and the screen goes home', async () => {
    await run('am', 'start', '-n', 'com.android.settings/.Settings');
    const pid = system.pidOf('com.android.settings')!;
    system.appContext('com.android.settings').crash('java.lang.IllegalStateException: told to crash', ['com.android.settings.Settings.onClick(Settings.java:42)']);
    const crash = (await run('logcat', '-d', '-b', 'crash')).stdout.split('\n');
    expect(crash[0]).toBe('--------- beginning of crash');
    expect(crash.slice(1, 5).map((l) => l.replace(/^.* E AndroidRuntime: /, ''))).toEqual([
      'FATAL EXCEPTION: main',
      `Process: com.android.settings, PID: ${pid}`,
      'java.lang.IllegalStateException: told to crash',
      '\tat com.android.settings.Settings.onClick(Settings.java:42)',
    ]);
    expect(system.isRunning('com.android.settings')).toBe(false);
    expect(system.foreground().package).toBe('com.android.launcher3');
  });
});
