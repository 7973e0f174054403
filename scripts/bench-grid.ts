/**
 * What a Selenium Grid 4 adds to an Appium session: the same phone, the same Appium server, reached
 * directly and through a hub with a relay node (mplab grid's configuration), in one run, sessions
 * alternating between the two. Per run: session creation each way; then, repeated, a find, a find
 * plus a click, the page source and a screenshot each way. Medians, the Grid's added median cost
 * per step, with the load average.
 *   npm run bench:grid [-- --runs 5 --repeats 20]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { log } from '../common/log.js';
import { phoneCapabilities } from '../framework/appium/capabilities.js';
import { freePort, startAppiumServer } from '../framework/appium/server.js';
import { openSession, type AppiumSession } from '../framework/appium/session.js';
import { validateDevicesFile } from '../framework/config/devices-file.js';
import { gridDown, gridUp } from '../framework/grid/grid.js';
import { UI_TEST_ACTIVITY, UI_TEST_PACKAGE, uiTestApp } from '../test/support/ui-test-app.js';
import { createVirtualPhone } from '../test/support/virtual-phone.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, repeats: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const repeats = Number(values.repeats);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(repeats) || repeats < 1) throw new Error('--runs and --repeats: expected positive integers');

const ID = `${UI_TEST_PACKAGE}:id/add`;
const steps: Array<[string, (d: AppiumSession) => Promise<unknown>]> = [
  ['find: id', (d) => d.findElement('id', ID)],
  ['find + click (id)', async (d) => (await d.$(`id=${ID}`)).click()],
  ['page source', (d) => d.getPageSource()],
  ['screenshot', (d) => d.takeScreenshot()],
];
const ways = ['direct', 'grid'] as const;
type Way = (typeof ways)[number];

const median = (ms: number[]): number => {
  const s = [...ms].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

const dir = await mkdtemp(join(tmpdir(), 'mplab-bench-grid-'));
process.env.MPLAB_GRID_RUN_DIR = join(dir, 'grid-run');
const gridName = `bench${process.pid}`;
const phone = await createVirtualPhone({ name: 'gridbench', phone: { apps: [uiTestApp()] } });
const appium = await startAppiumServer({ logFile: join(dir, 'appium.log'), logLevel: 'info' });
try {
  const parsed = validateDevicesFile({
    hosts: [{ name: 'bench', adbServer: '127.0.0.1:5037', appium: appium.url }],
    grid: { url: `http://127.0.0.1:${await freePort()}`, publishPort: await freePort(), subscribePort: await freePort() },
    devices: [{ id: phone.serial, label: 'bench', host: 'bench', root: true, kernel: 'upstream' }],
  });
  if (parsed.problems.length) throw new Error(parsed.problems.join('; '));
  const started = performance.now();
  await gridUp({ devices: { path: '(bench)', ...parsed }, name: gridName, startAppium: false, log: log('bench-grid') });
  console.log(`Grid up (hub + 1 relay node at ${parsed.grid!.url}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const url: Record<Way, string> = { direct: appium.url, grid: parsed.grid!.url };
  const timings = new Map<string, Record<Way, number[]>>([['session creation', { direct: [], grid: [] }], ...steps.map(([n]) => [n, { direct: [], grid: [] }] as [string, Record<Way, number[]>])]);
  const caps = phoneCapabilities({ serial: phone.serial, virtual: true, appPackage: UI_TEST_PACKAGE, appActivity: UI_TEST_ACTIVITY });
  console.log(`phone ${phone.serial} (virtual), ${runs} sessions each way (alternating), ${repeats} repetitions of each step per session; load average before: ${load()}`);
  for (let run = 0; run < runs; run++) {
    // alternate which way goes first, so that a warm-up or a slow spell does not favour one
    for (const way of run % 2 ? [...ways].reverse() : ways) {
      let t = performance.now();
      const driver = await openSession({ url: url[way], capabilities: caps });
      timings.get('session creation')![way].push(performance.now() - t);
      try {
        for (let i = 0; i < repeats; i++) {
          for (const [name, step] of steps) {
            t = performance.now();
            await step(driver);
            timings.get(name)![way].push(performance.now() - t);
          }
        }
      } finally {
        await driver.deleteSession();
      }
    }
  }
  console.log(`\n${'median ms'.padEnd(20)}${'direct'.padStart(9)}${'grid'.padStart(9)}${'added'.padStart(9)}   n each`);
  for (const [name, t] of timings) {
    const [d, g] = [median(t.direct), median(t.grid)];
    console.log(`${name.padEnd(20)}${d.toFixed(1).padStart(9)}${g.toFixed(1).padStart(9)}${(g - d).toFixed(1).padStart(9)}   ${t.direct.length}`);
  }
  console.log(`\nload average after: ${load()}`);
} finally {
  await gridDown(gridName);
  await appium.stop();
  await phone.teardown();
  await rm(dir, { recursive: true, force: true });
}
