import { ScenarioFailure } from './kit/scenario-kit.js';
import { defineScenario } from './kit/scenario.js';

/**
 * A minimal scenario on a built-in app, through adb alone (no Appium): Settings opened fresh,
 * "Network & internet" tapped where `uiautomator dump` shows it, a pause, back home. It gives
 * campaigns and their tests something real to run on any phone, virtual or not, before the app
 * scenarios; it makes no traffic of its own.
 */
const PKG = 'com.android.settings';
const DUMP = '/data/local/tmp/mplab-settings-ui.xml';

export const settings = defineScenario({
  name: 'settings',
  app: { package: PKG, label: 'Settings' },
  description: 'open Settings fresh, tap "Network & internet", stay a few seconds, go home (adb only)',
  selectorsFrom: 'AOSP Settings as the virtual phone shows it (Android 14)',
  ui: false,
  params: {
    hold: { default: 2, description: 'seconds to stay on the page' },
  },
  async run(kit) {
    // the app was reset by the test's reset step: Settings starts fresh
    const { phone } = kit.env;
    const start = await phone.shell(['am', 'start', '-W', '-n', `${PKG}/.Settings`]);
    if (start.exitCode !== 0) throw new ScenarioFailure(`am start of Settings failed: ${start.stderr || start.stdout}`);
    kit.mark('opened');
    let bounds: number[] | undefined;
    await kit.until(
      async () => {
        // the dump and its reading in one shell call ($0: the file)
        const dump = await phone.shell(['sh', '-c', 'uiautomator dump "$0" >/dev/null && cat "$0"', DUMP]);
        const m = /text="Network &amp; internet"[^>]*bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]"/.exec(dump.stdout);
        bounds = m?.slice(1).map(Number);
        return bounds !== undefined;
      },
      15,
      '"Network & internet" did not show in Settings',
      300,
    );
    const [l, t, r, b] = bounds!;
    await phone.shell(['input', 'tap', String(Math.round((l + r) / 2)), String(Math.round((t + b) / 2))]);
    kit.mark('tapped');
    await kit.pause(kit.param<number>('hold'));
    await phone.shell(['input', 'keyevent', 'KEYCODE_HOME']);
    kit.mark('home');
  },
});
