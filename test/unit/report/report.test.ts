import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport, type ReportOptions } from '../../../framework/report/report.js';
import { seededRandom } from '../../../framework/report/stats.js';
import { tempDir } from '../../support/tmp.js';
import { connection, measure, result, subflow, writeAnalysis, writeTest } from './records.js';

interface JsonTable {
  kind: 'table';
  id: string;
  columns: { key: string }[];
  rows: unknown[][];
}
interface JsonFigure {
  kind: 'figure';
  id: string;
  basis: { tests: number; connections: number; subflows: number };
  series: { label: string; n: number }[];
  empty: string | null;
  notes: string[];
  tables: JsonTable[];
}
interface ReportJson {
  tests: { read: number; included: number; beforeSince: number };
  groups: { label: string; app: string | null; mode: string | null }[];
  sections: { id: string; items: (JsonTable | JsonFigure)[] }[];
}

function item<T = JsonTable | JsonFigure>(report: ReportJson, id: string): T {
  for (const s of report.sections) {
    for (const i of s.items) {
      if (i.id === id) return i as T;
      if (i.kind === 'figure') for (const t of i.tables) if (t.id === id) return t as T;
    }
  }
  throw new Error(`no item ${id}`);
}

/**
 * A results folder of WhatsApp and Firefox tests in TCP and MPTCP: MPTCP downloads take 10 s less,
 * page loads the same; each test has 3 connections (one of 2 subflows in MPTCP).
 */
function campaign(perGroup: number): string {
  const root = tempDir();
  const random = seededRandom(42);
  let n = 0;
  for (const app of [
    { package: 'com.whatsapp', label: 'WhatsApp', measure: 'download-time' },
    { package: 'org.mozilla.firefox', label: 'Firefox', measure: 'page-load' },
  ]) {
    for (const mode of ['tcp', 'mptcp']) {
      for (let i = 0; i < perGroup; i++) {
        const id = `t${String(++n).padStart(3, '0')}`;
        const value = app.measure === 'download-time' ? (mode === 'tcp' ? 30 : 20) + 4 * random() : 5 + random();
        const tcp = mode === 'tcp';
        const connections = [0, 1, 2].map((c) =>
          connection({
            id: c,
            kind: tcp ? 'tcp' : 'mptcp',
            subflows: tcp || c > 0 ? 1 : 2,
            bytes: { up: 100 * (c + 1), down: 10_000 * (c + 1) },
            duration: 0.5 + c,
            subtraces: { t1: !tcp && c === 0, t2: !tcp && c === 0, t3: false },
            ackSizes: { up: { tcp: [], data: [] }, down: { tcp: [[1280, 2, 2800]], data: tcp ? [] : [[2560, 1, 2800]] } },
          }),
        );
        const subflows = connections.flatMap((c) => Array.from({ length: c.subflows }, (_, k) => subflow({ connection: c.id, index: k, connectRttMs: k === 0 ? 15 : 45 })));
        writeTest(
          join(root, id),
          result({ id, app: { package: app.package, label: app.label }, mode, start: 1_700_000_000 + 100 * n, measures: [measure(app.measure, value, value <= 20 ? 'good' : 'acceptable')] }),
          connections,
          subflows,
        );
      }
    }
  }
  return root;
}

async function report(inputs: string[], options: Partial<ReportOptions> = {}): Promise<{ json: ReportJson; out: string }> {
  const out = join(tempDir(), 'report');
  await buildReport({ inputs, out, by: ['app', 'mode', 'network'], since: null, formats: ['json', 'csv'], minSamples: 10, progress: false, ...options });
  return { json: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportJson, out };
}

describe('mplab report, built from results folders', () => {
  it('splits by app, mode and network, counts what each table rests on, and says where MPTCP helped', async () => {
    const { json, out } = await report([campaign(12)]);
    expect(json.tests).toMatchObject({ read: 48, included: 48 });
    expect(json.groups.map((g) => g.label)).toEqual([
      'Firefox · tcp · both (default wifi)',
      'Firefox · mptcp · both (default wifi)',
      'WhatsApp · tcp · both (default wifi)',
      'WhatsApp · mptcp · both (default wifi)',
    ]);
    const overview = item<JsonTable>(json, 'overview');
    expect(overview.rows.map((r) => r.slice(0, 7))).toEqual([
      ['Firefox · tcp · both (default wifi)', 12, 12, 0, 0, 36, 36],
      ['Firefox · mptcp · both (default wifi)', 12, 12, 0, 0, 36, 48],
      ['WhatsApp · tcp · both (default wifi)', 12, 12, 0, 0, 36, 36],
      ['WhatsApp · mptcp · both (default wifi)', 12, 12, 0, 0, 36, 48],
    ]);
    const glance = item<JsonTable>(json, 'glance');
    const verdicts = Object.fromEntries(glance.rows.map((r) => [r[0], r.slice(1).map((c) => (c as { verdict?: string } | null)?.verdict ?? null)]));
    // columns: download-time, page-load, bytes per test
    expect(verdicts['WhatsApp · mptcp · both (default wifi)']).toEqual(['helped', null, 'same']);
    expect(verdicts['Firefox · mptcp · both (default wifi)']).toEqual([null, 'same', 'same']);

    const t25 = item<JsonTable>(json, 'table-2.5');
    const t0 = t25.rows.filter((r) => r[1] === 'T0');
    expect(t0.map((r) => r[3])).toEqual([36, 36, 36, 36]);
    const t1 = t25.rows.filter((r) => r[1] === 'T1').map((r) => r[3]);
    expect(t1).toEqual([0, 12, 0, 12]);

    // per-app latency: WiFi and cellular apart, 36 WiFi and 12 cellular subflows per MPTCP group
    const latency = item<JsonTable>(json, 'latency-medians');
    const medians = latency.rows.map((r) => [r[0], r[1], (r[2] as { median: number; n: number }).median, (r[2] as { n: number }).n]);
    expect(medians).toContainEqual(['WhatsApp · mptcp · both (default wifi)', 'cellular', 45, 12]);
    expect(medians).toContainEqual(['WhatsApp · mptcp · both (default wifi)', 'wifi', 15, 36]);
    // Fig 2.26: TCP ACKs of up to 1535 bytes, Data ACKs of up to 3071, weighted by bytes
    const acks = item<JsonTable>(json, 'fig-2.26-shares');
    expect(acks.rows.find((r) => r[0] === 'Firefox · mptcp · both (default wifi)' && r[2] === 'TCP ACKs')!.slice(3)).toEqual([72, 0, 1, 1]);
    expect(acks.rows.find((r) => r[0] === 'Firefox · mptcp · both (default wifi)' && r[2] === 'Data ACKs')!.slice(3)).toEqual([36, 0, 0, 1]);

    const fig218 = item<JsonFigure>(json, 'fig-2.18');
    expect(fig218.basis).toEqual({ tests: 48, connections: 144, subflows: 168 });
    // the figure's data: one row per connection, numbers as in connections.jsonl
    const csv = readFileSync(join(out, 'csv', 'fig-2.18.csv'), 'utf8').trim().split('\r\n');
    expect(csv[0]).toBe('test,app,mode,network,trace,connection,kind,duration_s,bytes_up,bytes_down');
    expect(csv).toHaveLength(145);
    expect(csv[3]).toBe('t001,WhatsApp,tcp,both (default wifi),0,2,tcp,2.5,300,30000');
  });

  it('says "not enough data" for a comparison, a median and a curve resting on fewer values than --min-samples', async () => {
    const { json } = await report([campaign(3)]);
    const glance = item<JsonTable>(json, 'glance');
    expect(glance.rows.every((r) => r.slice(1).every((c) => c === null || (c as { verdict: string }).verdict === 'not enough data'))).toBe(true);
    const measureTable = item<JsonTable>(json, 'measure-download-time');
    const medianCell = measureTable.rows[0][3] as { enough: boolean; n: number; ci: unknown };
    expect(medianCell).toMatchObject({ enough: false, n: 3, ci: null });
    const fig225 = item<JsonFigure>(json, 'fig-2.25');
    // 3 T1 connections per MPTCP group: no curve
    expect(fig225.series).toEqual([]);
    expect(fig225.empty).toMatch(/^Not enough data/);
    expect(fig225.notes.join(' ')).toMatch(/Not enough data \(fewer than 10 values\), not drawn: Firefox · mptcp · both \(default wifi\) \(3\)/);
  });

  it('leaves out tests before --since, and gives the same intervals for the same seed', async () => {
    const root = campaign(12);
    const { json } = await report([root], { since: 1_700_000_000 + 100 * 25 });
    expect(json.tests).toMatchObject({ read: 48, included: 24, beforeSince: 24 });
    const a = await report([root], { seed: 5 });
    const b = await report([root], { seed: 5 });
    expect(item(a.json, 'glance')).toEqual(item(b.json, 'glance'));
  });

  it("leaves out a test's connections that were open before it (no SYN in its capture), with their subflows, and says so; an analyze folder keeps them", async () => {
    const root = campaign(2);
    // after a handover test in TCP mode: the earlier test's stuck download arrives when WiFi is back, then the phone's RST
    const stuck = [connection({ id: 3, kind: 'tcp', subflows: 1, synSeen: false, bytes: { up: 0, down: 31_203 } }), connection({ id: 4, kind: 'tcp', subflows: 1, synSeen: false, bytes: { up: 0, down: 0 } })];
    const own = [0, 1, 2].map((c) => connection({ id: c, kind: 'tcp', subflows: 1, bytes: { up: 100, down: 10_000 } }));
    const all = [...own, ...stuck];
    writeTest(join(root, 't900'), result({ id: 't900', mode: 'tcp', start: 1_700_100_000 }), all, all.map((c) => subflow({ connection: c.id, index: 0 })));
    const { json } = await report([root]);
    const overview = item<JsonTable & { caption: string }>(json, 'overview');
    // WhatsApp tcp: the two tests of campaign(2) and t900, 3 connections each
    expect(overview.rows.find((r) => r[0] === 'WhatsApp · tcp · both (default wifi)')!.slice(1, 7)).toEqual([3, 3, 0, 0, 9, 9]);
    expect(overview.caption).toContain('Left out: 2 connections (2 subflows) of 1 test whose opening handshake');
    expect((json as unknown as { leftOut: unknown }).leftOut).toEqual({ tests: 1, connections: 2, subflows: 2 });
    expect(item<JsonFigure>(json, 'fig-2.18').basis).toMatchObject({ tests: 9, connections: 27 });

    const folder = writeAnalysis(join(tempDir(), 'out'), all, all.map((c) => subflow({ connection: c.id, index: 0 })));
    const plain = await report([folder]);
    expect(item<JsonTable>(plain.json, 'overview').rows[0].slice(1, 4)).toEqual([1, 5, 5]);
    expect((plain.json as unknown as { leftOut: unknown }).leftOut).toEqual({ tests: 0, connections: 0, subflows: 0 });
  });

  it('reports on one mplab analyze output folder without splits, and on several split by input', async () => {
    const dir = tempDir();
    const conns = Array.from({ length: 12 }, (_, i) => connection({ id: i, duration: 0.1 * (i + 1) }));
    const subs = conns.flatMap((c) => [subflow({ connection: c.id, index: 0 }), subflow({ connection: c.id, index: 1, joinDelay: 0.01 * (c.id + 1) })]);
    const one = writeAnalysis(join(dir, 'one'), conns, subs);
    const { json } = await report([one]);
    expect(json.groups).toEqual([expect.objectContaining({ label: 'all tests', app: null, mode: null })]);
    const joins = item<JsonFigure>(json, 'fig-2.24');
    expect(joins.series.map((s) => [s.label, s.n])).toEqual([
      ['all tests · all additional subflows', 12],
      ['all tests · first additional subflow', 12],
    ]);
    // records of an analyzer older than the report: the figures that need its new fields say so
    expect(item<JsonFigure>(json, 'fig-2.26').empty).toMatch(/no ACK sizes \(ackSizes\).*Run mplab analyze again/);
    expect(item<JsonFigure>(json, 'latency').empty).toMatch(/no connect-time RTTs \(connectRttMs\)/);
    const two = writeAnalysis(join(dir, 'two'), conns, subs);
    const split = await report([one, two], { by: ['input'] });
    expect(split.json.groups.map((g) => g.label)).toEqual([one, two]);
  });
});
