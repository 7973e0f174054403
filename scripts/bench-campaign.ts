/**
 * `npm run bench:campaign [-- --tests 6 --hold 2]` (root): the campaign machinery on a lab of two
 * virtual phones. The same campaign (the adb-only settings scenario, `--tests` repetitions, assign
 * any) runs on one phone, then on two; it prints the overhead per test (a test's time minus its
 * scenario step: health, network and mode, app reset, captures, analysis, restore, and the
 * campaign's own bookkeeping between tests) and the speed-up of two phones over one, with the load.
 * Goals (issue 12): under 5 s of overhead per test, at least 1.8x with two phones.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { log } from '../common/log.js';
import { parseCampaignText } from '../framework/campaign/campaign-file.js';
import { startCampaign } from '../framework/campaign/campaign.js';
import { CampaignStore } from '../framework/campaign/store/store.js';
import { loadDevicesFile } from '../framework/config/devices-file.js';
import { labDown, labUp } from '../testbed/lab/lab.js';

const { values } = parseArgs({ options: { tests: { type: 'string', default: '6' }, hold: { type: 'string', default: '2' }, lab: { type: 'string', default: 'mplabbench' } } });
const tests = Number(values.tests);
const hold = Number(values.hold);
if (!(tests > 0 && hold >= 0)) throw new Error('--tests N (> 0) and --hold SECONDS (>= 0)');
if (process.getuid?.() !== 0) throw new Error('bench:campaign needs root (the lab makes network namespaces)');

const dir = mkdtempSync(path.join(tmpdir(), 'mplab-bench-campaign-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Run {
  wall: number;
  overhead: number[];
  scenario: number[];
  steps: Map<string, number[]>;
  /** Seconds from the campaign's start to its first test's start, and from its last test's end to the campaign's end. */
  startUp: number;
  windDown: number;
}

async function campaign(phones: string[], devicesFile: string): Promise<Run> {
  const results = path.join(dir, `r${phones.length}`);
  const spec = parseCampaignText(
    `name: bench${phones.length}\nphones: [${phones.join(', ')}]\nassign: any\nscenarios: [{ name: settings, params: { hold: ${hold} } }]\nmodes: [mptcp]\nrepetitions: ${tests}\ncapSeconds: 60\nresults: ${results}\n`,
    path.join(dir, 'bench.yaml'),
  );
  const devices = await loadDevicesFile(devicesFile);
  const startedAt = Date.now() / 1000;
  const started = performance.now();
  const summary = await startCampaign(spec, { devices, log: log('bench') });
  const wall = (performance.now() - started) / 1000;
  let first = Infinity;
  let last = 0;
  if (summary.counts.passed !== tests) throw new Error(`campaign on ${phones.join('+')}: ${JSON.stringify(summary.counts)} (expected ${tests} passed); see ${summary.store}`);
  const store = CampaignStore.inResults(results, { readonly: true });
  const overhead: number[] = [];
  const scenario: number[] = [];
  const steps = new Map<string, number[]>();
  for (const t of store.tests(summary.campaign.id)) {
    const result = JSON.parse(readFileSync(path.join(results, t.dir!, 'result.json'), 'utf8')) as { start: number; end: number; seconds: number; steps: { name: string; start: number; end: number }[] };
    const s = result.steps.find((x) => x.name === 'scenario')!;
    first = Math.min(first, result.start);
    last = Math.max(last, result.end);
    scenario.push(s.end - s.start);
    overhead.push(result.seconds - (s.end - s.start));
    for (const step of result.steps) steps.set(step.name, [...(steps.get(step.name) ?? []), step.end - step.start]);
  }
  store.close();
  return { wall, overhead, scenario, steps, startUp: first - startedAt, windDown: startedAt + wall - last };
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
try {
  const status = await labUp({ name: values.lab, phones: 2, adbPortBase: 0 });
  const devicesFile = path.join(dir, 'devices.json');
  writeFileSync(devicesFile, JSON.stringify({ devices: status.phones.map((p, i) => ({ id: p.adb, label: `phone${i + 1}`, root: true, kernel: 'upstream', capture: { onPhone: false } })) }));
  const loadBefore = load();
  const one = await campaign(['phone1'], devicesFile);
  const two = await campaign(['phone1', 'phone2'], devicesFile);
  const f = (x: number) => x.toFixed(1);
  process.stdout.write(
    [
      `campaign of ${tests} tests (settings, hold ${hold} s, mode mptcp), lab ${values.lab}; load average before ${loadBefore}, after ${load()} (${(await import('node:os')).cpus().length} CPUs)`,
      `one phone:  ${f(one.wall)} s wall; per test: overhead median ${f(median(one.overhead))} s (min ${f(Math.min(...one.overhead))}, max ${f(Math.max(...one.overhead))}), scenario median ${f(median(one.scenario))} s`,
      `two phones: ${f(two.wall)} s wall; per test: overhead median ${f(median(two.overhead))} s (min ${f(Math.min(...two.overhead))}, max ${f(Math.max(...two.overhead))}), scenario median ${f(median(two.scenario))} s`,
      `one phone, median per step: ${[...one.steps].map(([name, xs]) => `${name} ${median(xs).toFixed(2)}`).join(', ')} (s)`,
      `two phones, median per step: ${[...two.steps].map(([name, xs]) => `${name} ${median(xs).toFixed(2)}`).join(', ')} (s)`,
      `campaign start-up (start to first test) / wind-down (last test to end): one phone ${f(one.startUp)} / ${f(one.windDown)} s, two phones ${f(two.startUp)} / ${f(two.windDown)} s`,
      `overhead per test with the campaign's own work between tests (one phone: (wall - scenario time) / tests): ${f((one.wall - one.scenario.reduce((a, b) => a + b, 0)) / tests)} s`,
      `speed-up of two phones over one: ${(one.wall / two.wall).toFixed(2)}x (goal >= 1.8x); overhead per test (one phone) ${f(median(one.overhead))} s (goal < 5 s)`,
      '',
    ].join('\n'),
  );
} finally {
  await labDown(values.lab).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
