/**
 * `npm run bench:report`: how long `mplab report` takes on a large results folder of real
 * analyzer output. A small lab campaign (two apps, MPTCP and TCP, test/support/report-campaign.ts;
 * as root, made once and kept in bench/out/report-campaign/) is replicated into N test folders
 * (default 10,000: result.json rewritten with a new id and start, the analyzer's files hard-linked),
 * then the whole `mplab report` command runs on them, --runs times. With --store, the same tests are
 * also written into a campaign store (as the runner commits them: one transaction per test) and
 * the report is timed from the store too (`mplab report bench-campaign --results DIR`).
 *
 *   npm run bench:report [-- --tests 10000 --runs 2 --template DIR --store]
 */
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { MPLAB_CLI, REPO_ROOT } from '../common/paths.js';
import { writeResult, type TestResult } from '../common/test-result.js';
import { parseCampaignText } from '../framework/campaign/campaign-file.js';
import type { PlannedTest } from '../framework/campaign/matrix.js';
import { CampaignStore, STORE_FILE, readAttemptRecords } from '../framework/campaign/store/store.js';
import { runLabCampaign } from '../test/support/report-campaign.js';

const { values: args } = parseArgs({
  options: {
    tests: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '2' },
    template: { type: 'string' },
    store: { type: 'boolean', default: false },
  },
});

const OUT = join(REPO_ROOT, 'bench', 'out');
const template = args.template ?? join(OUT, 'report-campaign');
const tests = Number(args.tests);

async function ensureTemplate(): Promise<string[]> {
  const folders = () => readdirSync(template).filter((d) => existsSync(join(template, d, 'result.json'))).map((d) => join(template, d));
  if (existsSync(template) && folders().length > 0) return folders();
  if (process.getuid?.() !== 0) throw new Error(`${template} has no test folders: making them needs the lab, as root`);
  console.log(`making the template campaign on the lab in ${template} ...`);
  await runLabCampaign({ lab: 'mplabbenchrpt', dir: template, modes: ['mptcp', 'tcp'], repetitions: 3 });
  return folders();
}

function replicate(sources: string[], dir: string, n: number): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const base = sources.map((s) => ({ dir: s, result: JSON.parse(readFileSync(join(s, 'result.json'), 'utf8')) as TestResult }));
  for (let i = 0; i < n; i++) {
    const src = base[i % base.length];
    const id = `${String(i).padStart(6, '0')}-${src.result.id}`;
    // a night's tests spread over 10 nights, in folders of up to 1000 tests
    const folder = join(dir, `night${Math.floor(i / 1000)}`, id);
    mkdirSync(join(folder, 'analysis'), { recursive: true });
    for (const f of ['connections.jsonl', 'subflows.jsonl', 'summary.json']) linkSync(join(src.dir, 'analysis', f), join(folder, 'analysis', f));
    writeResult(folder, { ...src.result, id, start: src.result.start + 60 * i, end: src.result.end + 60 * i });
  }
}

/** Not "bench": a folder of the campaign's name in the working directory would be read instead (folders win over campaign ids). */
const STORE_CAMPAIGN = 'bench-campaign';

/** The replicated folders as the attempts of one campaign (STORE_CAMPAIGN) of a store in `dir`, one transaction per test as the runner commits them. */
function fillStore(dir: string): void {
  rmSync(join(dir, STORE_FILE), { force: true });
  const folders = readdirSync(dir)
    .filter((n) => n.startsWith('night'))
    .sort()
    .flatMap((night) => readdirSync(join(dir, night)).sort().map((t) => join(night, t)));
  const results = folders.map((f) => JSON.parse(readFileSync(join(dir, f, 'result.json'), 'utf8')) as TestResult);
  const store = CampaignStore.inResults(dir);
  const spec = parseCampaignText('name: bench\nphones: [phone1]\nscenarios: [settings]\n', join(dir, 'bench.yaml'));
  const planned: PlannedTest[] = results.map((r, i) => ({ key: r.id, phone: 'phone1', scenario: r.scenario, params: {}, mode: r.mode as PlannedTest['mode'], network: r.network.name, repetition: 1, position: i }));
  store.createCampaign({ id: STORE_CAMPAIGN, spec, day: '2025-01-01', seed: 'bench', tests: planned, pid: process.pid, pidStart: null });
  const rows = store.tests(STORE_CAMPAIGN);
  rows.forEach((t, i) => {
    const a = store.startAttempt(t.id, 'phone1', () => folders[i]);
    const r = results[i];
    store.finishAttempt({ attemptId: a.id, testId: t.id, result: r, kind: null, reason: null, recovery: [], testState: 'passed', records: readAttemptRecords(join(dir, folders[i]), r) });
  });
  store.close();
}

function size(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else {
        files++;
        bytes += statSync(join(d, e.name)).size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

const sources = await ensureTemplate();
const input = join(OUT, `report-${tests}`);
console.log(`replicating ${sources.length} lab tests into ${tests} test folders in ${input} ...`);
replicate(sources, input, tests);
const s = size(input);
const connections = sources.reduce((a, f) => a + readFileSync(join(f, 'analysis', 'connections.jsonl'), 'utf8').split('\n').filter(Boolean).length, 0);
console.log(`input: ${s.files} files, ${(s.bytes / 1e6).toFixed(0)} MB (hard links counted each time), about ${Math.round((connections / sources.length) * tests)} connections`);

const sourcesToTime: { what: string; args: string[] }[] = [{ what: 'folders', args: [input] }];
if (args.store) {
  const load = loadavg()[0].toFixed(2);
  const t0 = performance.now();
  fillStore(input);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`store: ${tests} tests committed in ${seconds.toFixed(1)} s (${((1000 * seconds) / tests).toFixed(1)} ms per test), ${(statSync(join(input, STORE_FILE)).size / 1e6).toFixed(0)} MB, load average before ${load}`);
  sourcesToTime.push({ what: 'store', args: [STORE_CAMPAIGN, '--results', input] });
}

for (let run = 1; run <= Number(args.runs); run++) {
  for (const source of sourcesToTime) {
    const out = join(OUT, 'report-out');
    rmSync(out, { recursive: true, force: true });
    const load = loadavg()[0].toFixed(2);
    const t0 = performance.now();
    const r = await execa(process.execPath, [MPLAB_CLI, 'report', ...source.args, '--out', out, '--json', '--no-progress'], { reject: false });
    const wall = (performance.now() - t0) / 1000;
    if (r.exitCode !== 0) throw new Error(`mplab report failed: ${r.stderr}`);
    const result = JSON.parse(r.stdout) as { tests: { included: number }; seconds: { read: number; build: number; charts: number; total: number }; cpuSeconds: number };
    const sec = result.seconds;
    console.log(
      `run ${run}, from the ${source.what}: ${result.tests.included} tests, ${wall.toFixed(1)} s wall for the command, ${result.cpuSeconds.toFixed(1)} s of CPU (read ${sec.read.toFixed(1)} s, build ${sec.build.toFixed(1)} s, charts ${sec.charts.toFixed(1)} s, writing ${(sec.total - sec.read - sec.build - sec.charts).toFixed(1)} s), load average before ${load}`,
    );
  }
}
