import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../common/errors.js';
import type { TestResult } from '../../../common/test-result.js';
import { parseCampaignText } from '../../../framework/campaign/campaign-file.js';
import { planCampaign } from '../../../framework/campaign/matrix.js';
import { CampaignStore, readAttemptRecords } from '../../../framework/campaign/store/store.js';
import type { ReportTest } from '../../../framework/report/model.js';
import { openInput } from '../../../framework/report/readers/inputs.js';
import { folderOrder, measureOf } from '../../../framework/report/readers/store.js';
import { buildReport } from '../../../framework/report/report.js';
import { comparableReport, firstDifference } from '../../support/report-files.js';
import { tempDir } from '../../support/tmp.js';
import { connection, measure, result, subflow, writeTest } from './records.js';

const base = result({ id: 'base' });
const spec = parseCampaignText(
  'name: n\nphones: [phone1]\nscenarios: [whatsapp, firefox]\nmodes: [tcp, mptcp]\nnetworks: [{ name: both }, { name: handover, changes: ["10:wifi-down"] }]\nrepetitions: 2\n',
  '/tmp/n.yaml',
);

/**
 * A campaign run as the runner would: each test's folder written (result.json, analysis/*.jsonl),
 * then its attempt committed to a real SQLite store. The first test fails once and is tried again;
 * one test has no analysis.
 */
function runCampaign(results = tempDir(), id = 'n-2025-01-01-abcd'): { results: string; id: string } {
  const store = CampaignStore.inResults(results);
  const plan = planCampaign(spec, '2025-01-01');
  store.createCampaign({ id, spec, day: '2025-01-01', seed: plan.seed, tests: plan.tests, pid: process.pid, pidStart: null });
  let n = 0;
  for (const t of store.tests(id)) {
    const app = t.scenario === 'whatsapp' ? { package: 'com.whatsapp', label: 'WhatsApp' } : { package: 'org.mozilla.firefox', label: 'Firefox' };
    for (let attempt = 1; ; attempt++) {
      const a = store.startAttempt(t.id, 'phone1', (k) => join(id, `${String(t.position + 1).padStart(4, '0')}-${t.scenario}-${t.mode}-a${k}`));
      n++;
      const failed = t.position === 0 && attempt === 1;
      const tcp = t.mode === 'tcp';
      const connections = [0, 1].map((c) =>
        connection({ id: c, kind: tcp ? 'tcp' : 'mptcp', subflows: tcp ? 1 : 2, bytes: { up: 100 * n, down: 1000 * n + c }, duration: 0.5 + c + n / 10, subtraces: { t1: !tcp, t2: false, t3: false } }),
      );
      const subflows = connections.flatMap((c) => Array.from({ length: c.subflows }, (_, k) => subflow({ connection: c.id, index: k, connectRttMs: 10 + n + k })));
      const r: TestResult = result({
        id: `${id}/${t.key}#${attempt}`,
        scenario: t.scenario,
        app,
        mode: t.mode,
        // as the runner writes it: the campaign network's name, the changes it made
        network: { ...base.network, label: t.network, changes: t.network === 'handover' ? [{ at: 10.002, change: 'wifi down' }] : [] },
        start: 1_700_000_000 + 60 * n,
        seconds: 20 + n,
        verdict: failed ? 'failed' : 'passed',
        measures: [measure(t.scenario === 'whatsapp' ? 'download-time' : 'page-load', failed ? null : 10 + n, failed ? undefined : 'good'), { ...measure('delivery-time', 0.2), item: 'text' }],
        ...(t.position === 3 ? { analysis: null } : {}),
      });
      const dir = writeTest(join(results, a.dir), r, connections, subflows);
      store.finishAttempt({ attemptId: a.id, testId: t.id, result: r, kind: failed ? 'scenario' : null, reason: failed ? 'failed once' : null, recovery: [], testState: failed ? 'pending' : 'passed', records: readAttemptRecords(dir, r) });
      if (!failed) break;
    }
  }
  store.close();
  return { results, id };
}

type Read = ReportTest & { loaded: Awaited<ReturnType<ReportTest['records']>> };

/** The tests with their records, loaded while the source is read (as the report does: the store is closed after the last test). */
async function all(tests: AsyncIterable<ReportTest>): Promise<Read[]> {
  const out: Read[] = [];
  for await (const t of tests) out.push({ ...t, loaded: await t.records() });
  return out;
}

describe('the report from the campaign store', () => {
  it('reads every attempt with a result, in the folders\' order, with the same metadata, measures and records as the folders', async () => {
    const { results, id } = runCampaign();
    const db = new Database(join(results, 'campaigns.sqlite'), { readonly: true });
    // read from the columns, not from result.json
    expect(db.prepare('SELECT COUNT(*) AS n, SUM(analyzed) AS analyzed FROM attempts WHERE result_id IS NOT NULL AND app_label IS NOT NULL AND default_route IS NOT NULL').get()).toEqual({ n: 17, analyzed: 16 });
    db.close();
    const fromStore = await all(openInput(id, results).tests());
    const fromFolders = await all(openInput(join(results, id)).tests());
    expect(fromStore).toHaveLength(17);
    expect(fromStore.map((t) => t.id)).toEqual(fromFolders.map((t) => t.id));
    const strip = ({ records: _r, input: _i, ...rest }: Read) => rest;
    expect(fromStore.map(strip)).toEqual(fromFolders.map(strip));
    expect(fromStore.filter((t) => t.loaded === null)).toHaveLength(1);
    expect(fromStore.filter((t) => t.verdict === 'failed')).toHaveLength(1);
    expect(fromStore.filter((t) => t.input === id)).toHaveLength(17);
    expect(new Set(fromStore.map((t) => t.network?.label))).toEqual(new Set(['both', 'handover']));
  });

  it('builds the same report (every CSV, report.json, the page) from the store as from the folders', async () => {
    const { results, id } = runCampaign();
    const common = { by: ['app', 'mode', 'network'] as const, since: null, formats: ['html', 'csv', 'json'] as const, minSamples: 3, progress: false };
    const a = join(tempDir(), 'store');
    const b = join(tempDir(), 'folders');
    await buildReport({ ...common, by: [...common.by], formats: [...common.formats], inputs: [id], results, out: a });
    await buildReport({ ...common, by: [...common.by], formats: [...common.formats], inputs: [join(results, id)], out: b });
    const store = comparableReport(a, [`campaign ${id} (${join(results, 'campaigns.sqlite')})`]);
    const folders = comparableReport(b, [`results folder ${join(results, id)}`]);
    expect(Object.keys(store)).toEqual(Object.keys(folders));
    expect(Object.keys(store).length).toBeGreaterThan(20);
    expect(Object.keys(store)).toContain('report.html');
    for (const name of Object.keys(store)) expect(firstDifference(store[name], folders[name]), name).toBeNull();
  }, 60_000);

  it("keeps the campaign's networks apart: the same radios with a handover are a group of their own", async () => {
    const { results, id } = runCampaign();
    const out = join(tempDir(), 'networks');
    await buildReport({ inputs: [id], results, out, by: ['app', 'mode', 'network'], since: null, formats: ['json'], minSamples: 3, progress: false });
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { groups: { label: string }[] };
    expect(json.groups.map((g) => g.label).sort()).toEqual(
      ['Firefox', 'WhatsApp'].flatMap((app) => ['mptcp', 'tcp'].flatMap((mode) => [`${app} · ${mode} · both (default wifi)`, `${app} · ${mode} · both (default wifi) · handover`])).sort(),
    );
  });

  it('compares nights: two campaigns of one store, split by input', async () => {
    const { results, id } = runCampaign();
    runCampaign(results, 'n-2025-01-02-ef01');
    const out = join(tempDir(), 'nights');
    const summary = await buildReport({ inputs: [id, 'n-2025-01-02-ef01'], results, out, by: ['app', 'mode', 'input'], since: null, formats: ['json'], minSamples: 3, progress: false });
    expect(summary.tests).toMatchObject({ read: 34, included: 34, duplicates: 0 });
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { groups: { label: string }[] };
    expect(json.groups.map((g) => g.label)).toContain('WhatsApp · mptcp · n-2025-01-02-ef01');
    expect(json.groups).toHaveLength(8);
  });

  it('names the store and the campaigns it holds when a campaign is not there', () => {
    const { results } = runCampaign();
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        return (e as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(err(() => openInput('other', results))).toMatch(/^other: no such folder, and no such campaign in .*campaigns\.sqlite \(it holds n-2025-01-01-abcd\)/);
    expect(err(() => openInput('other', tempDir()))).toMatch(/no campaign store in .* \(campaigns\.sqlite missing\)/);
    expect(err(() => openInput('other'))).toMatch(/say which results folder holds the store \(--results\)/);
  });

  it('reads a store of schema 1 (before the result columns): metadata from result.json, records from the store', async () => {
    const { results, id } = runCampaign();
    const db = new Database(join(results, 'campaigns.sqlite'));
    db.exec('UPDATE attempts SET result_id = NULL, app_package = NULL, analyzed = NULL');
    db.close();
    const fromStore = await all(openInput(id, results).tests());
    const fromFolders = await all(openInput(join(results, id)).tests());
    expect(fromStore.map((t) => [t.id, t.app?.label, t.measures.length])).toEqual(fromFolders.map((t) => [t.id, t.app?.label, t.measures.length]));
    expect(fromStore.map((t) => t.loaded)).toEqual(fromFolders.map((t) => t.loaded));
  });

  it('orders folders level by level, as a folder walk does', () => {
    expect(['c/a-b/x', 'c/a/x', 'c/a/y'].sort(folderOrder)).toEqual(['c/a/x', 'c/a/y', 'c/a-b/x']);
    expect(measureOf({ name: 'x', item: null, value: 1, unit: 's', band: null })).toEqual({ name: 'x', value: 1, unit: 's' });
  });
});
