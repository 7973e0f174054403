/**
 * What an app scenario's steps cost through the whole chain a user runs: WebdriverIO -> the Appium
 * server (framework/appium) -> the UiAutomator2 driver -> the adb server -> a phone (a virtual phone
 * made here, or a lab phone given with --serial). Per run: session creation; then, repeated, a find
 * plus a click, a find by each strategy, the page source, a screenshot, a swipe. Medians and spread
 * over all repetitions, side by side, with the load average.
 *   npm run bench:scenario [-- --runs 5 --repeats 10] [-- --serial 127.0.0.1:6601 [--real]]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { phoneCapabilities } from '../framework/appium/capabilities.js';
import { startAppiumServer } from '../framework/appium/server.js';
import { openSession, type AppiumSession } from '../framework/appium/session.js';
import { UI_TEST_ACTIVITY, UI_TEST_PACKAGE, uiTestApp } from '../test/support/ui-test-app.js';
import { createVirtualPhone, type VirtualPhoneFixture } from '../test/support/virtual-phone.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    repeats: { type: 'string', default: '10' },
    serial: { type: 'string' },
    real: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const repeats = Number(values.repeats);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(repeats) || repeats < 1) throw new Error('--runs and --repeats: expected positive integers');

// On a phone made here: the UI test app's screen. On a phone given with --serial: Settings, which
// every phone has (it has no content descriptions, so the accessibility id step is left out).
const own = values.serial === undefined;
const ID = own ? `${UI_TEST_PACKAGE}:id/add` : 'android:id/title';
const TEXT = own ? 'Details' : 'Display';
const found = (result: unknown): unknown => {
  if (result && typeof result === 'object' && 'error' in result) throw new Error(`find failed: ${JSON.stringify(result)}`);
  return result;
};
const steps: Array<[string, (d: AppiumSession) => Promise<unknown>]> = [
  ['find + click (id)', async (d) => (await d.$(`id=${ID}`)).click()],
  ['find: id', async (d) => found(await d.findElement('id', ID))],
  ...(own ? ([['find: accessibility id', async (d) => found(await d.findElement('accessibility id', 'status'))]] as Array<[string, (d: AppiumSession) => Promise<unknown>]>) : []),
  ['find: class name', (d) => d.findElements('class name', 'android.widget.TextView')],
  ['find: xpath', async (d) => found(await d.findElement('xpath', `//*[@text='${TEXT}']`))],
  ['find: uiautomator', async (d) => found(await d.findElement('-android uiautomator', `new UiSelector().text("${TEXT}")`))],
  ['page source', (d) => d.getPageSource()],
  ['screenshot', (d) => d.takeScreenshot()],
  ['swipe (W3C actions)', (d) => d.action('pointer', { parameters: { pointerType: 'touch' } }).move({ x: 540, y: 1800 }).down().move({ x: 540, y: 900, duration: 200 }).up().perform()],
];

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(s.length * p))];
  return `${q(0.5).toFixed(1).padStart(8)} ${s[0].toFixed(1).padStart(8)} ${q(0.9).toFixed(1).padStart(8)} ${s[s.length - 1].toFixed(1).padStart(8)}   n=${s.length}`;
}

let phone: VirtualPhoneFixture | undefined;
const dir = await mkdtemp(join(tmpdir(), 'mplab-bench-scenario-'));
const serial = values.serial ?? (phone = await createVirtualPhone({ name: 'bench', phone: { apps: [uiTestApp()] } })).serial;
const appium = await startAppiumServer({ logFile: join(dir, 'appium.log'), logLevel: 'info' });
const timings = new Map<string, number[]>([['session creation', []], ...steps.map(([name]) => [name, []] as [string, number[]])]);
try {
  console.log(`phone ${serial} (${values.real ? 'real' : 'virtual'}), ${runs} sessions, ${repeats} repetitions of each step per session; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (let run = 0; run < runs; run++) {
    let t = performance.now();
    const driver = await openSession({ url: appium.url, capabilities: phoneCapabilities({ serial, virtual: !values.real, ...(own ? { appPackage: UI_TEST_PACKAGE, appActivity: UI_TEST_ACTIVITY } : { appPackage: 'com.android.settings', appActivity: '.Settings' }) }) });
    timings.get('session creation')!.push(performance.now() - t);
    try {
      for (let i = 0; i < repeats; i++) {
        for (const [name, step] of steps) {
          t = performance.now();
          await step(driver);
          timings.get(name)!.push(performance.now() - t);
        }
      }
    } finally {
      await driver.deleteSession();
    }
  }
  console.log(`\n${'ms'.padEnd(24)}${'median'.padStart(8)} ${'min'.padStart(8)} ${'p90'.padStart(8)} ${'max'.padStart(8)}`);
  for (const [name, ms] of timings) console.log(`${name.padEnd(24)}${summary(ms)}`);
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; Appium's log: ${join(dir, 'appium.log')} (removed at the end)`);
} finally {
  await appium.stop();
  await phone?.teardown();
  await rm(dir, { recursive: true, force: true });
}
