/**
 * What every figure and table builder shares: the test as the builders see it, counting what a
 * figure rests on, samples per series, and the medians table with the comparison against TCP.
 */
import type { Styles } from './charts.js';
import { csvLine, type CsvSink } from './csv.js';
import { baselineOf, networkLabel, type Group } from './groups.js';
import { connectionKey, type ConnectionRecord, type ReportTest, type SubflowRecord } from './model.js';
import type { Basis, Cell, ComparisonCell, Item, MedianCell, Table } from './output.js';
import { medianDifferenceCI, quantileSorted, seededRandom, sorted, summarizeMedian, type Random } from './stats.js';

/** One test with its group and records, subflows indexed by connection. */
export class TestView {
  private readonly byConnection = new Map<number, SubflowRecord[]>();
  /** the test's first CSV fields (TEST_COLUMNS: test, app, mode, network) as CSV text with a trailing comma */
  readonly csvPrefix: string;

  constructor(
    readonly index: number,
    readonly test: ReportTest,
    readonly group: Group,
    readonly connections: readonly ConnectionRecord[],
    readonly subflows: readonly SubflowRecord[],
  ) {
    for (const s of subflows) {
      const key = connectionKey(s.trace, s.connection);
      let list = this.byConnection.get(key);
      if (!list) this.byConnection.set(key, (list = []));
      list.push(s);
    }
    for (const list of this.byConnection.values()) list.sort((a, b) => a.index - b.index);
    this.csvPrefix = csvLine([test.id, test.app?.label ?? null, test.mode, networkLabel(test.network)]).slice(0, -2) + ',';
  }

  subflowsOf(c: ConnectionRecord): readonly SubflowRecord[] {
    return this.byConnection.get(connectionKey(c.trace, c.id)) ?? [];
  }
}

/** Counts the tests, connections and subflows a figure or table rests on. */
export class BasisCounter {
  private lastTest = -1;
  readonly basis: Basis = { tests: 0, connections: 0, subflows: 0 };

  private test(view: TestView): void {
    if (view.index !== this.lastTest) {
      this.lastTest = view.index;
      this.basis.tests++;
    }
  }

  connection(view: TestView, subflows = 0): void {
    this.test(view);
    this.basis.connections++;
    this.basis.subflows += subflows;
  }

  subflow(view: TestView): void {
    this.test(view);
    this.basis.subflows++;
  }

  /** a test counted on its own (test-level measures) */
  testOnly(view: TestView): void {
    this.test(view);
  }
}

export function basisText(b: Basis): string {
  const parts = [`${fmtCount(b.tests)} test${b.tests === 1 ? '' : 's'}`];
  if (b.connections > 0) parts.push(`${fmtCount(b.connections)} connection${b.connections === 1 ? '' : 's'}`);
  if (b.subflows > 0) parts.push(`${fmtCount(b.subflows)} subflow${b.subflows === 1 ? '' : 's'}`);
  return `rests on ${parts.join(', ')}`;
}

export function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Values per series: a group, optionally a panel of the figure and a category within it. */
export interface Series {
  key: string;
  group: Group;
  panel: string;
  category: string;
  values: number[];
  weights: number[] | null;
  /** what the series counts (its n): values, or for weighted series what the values stand for (ACKs, connections) */
  count: number;
}

export class Samples {
  readonly series = new Map<string, Series>();
  /** group -> panel -> category -> series: found without building a key string per value */
  private readonly index = new Map<Group, Map<string, Map<string, Series>>>();

  add(group: Group, panel: string, value: number, weight?: number, category = '', count = 1): void {
    let panels = this.index.get(group);
    if (!panels) this.index.set(group, (panels = new Map()));
    let categories = panels.get(panel);
    if (!categories) panels.set(panel, (categories = new Map()));
    let s = categories.get(category);
    if (!s) {
      const key = `${group.key}\u0002${panel}\u0002${category}`;
      s = { key, group, panel, category, values: [], weights: weight === undefined ? null : [], count: 0 };
      this.series.set(key, s);
      categories.set(category, s);
    }
    s.values.push(value);
    if (s.weights) s.weights.push(weight ?? 1);
    s.count += count;
  }

  /** In the groups' order, then panel and category as first seen. */
  ordered(groups: readonly Group[], panels: readonly string[] = [], categories: readonly string[] = []): Series[] {
    const g = new Map(groups.map((x, i) => [x.key, i]));
    const p = (x: string) => (panels.includes(x) ? panels.indexOf(x) : panels.length);
    const c = (x: string) => (categories.includes(x) ? categories.indexOf(x) : categories.length);
    return [...this.series.values()].sort((a, b) => (g.get(a.group.key)! - g.get(b.group.key)!) || p(a.panel) - p(b.panel) || c(a.category) - c(b.category));
  }
}

/** What builders get when the tests have all been read. */
export interface BuildContext {
  groups: readonly Group[];
  styles: Styles;
  minSamples: number;
  /** a fresh generator per use, so that a figure's intervals do not depend on the figures before it */
  random(): Random;
}

/** Opens the CSV file of a figure's data (rows added while the tests stream by). */
export type CsvFactory = (name: string, header: readonly string[]) => CsvSink;

/** A figure or table: fed test by test, built once at the end. */
export interface Builder {
  add(view: TestView): void;
  build(ctx: BuildContext): Item[];
}

export function newRandom(seed: number): () => Random {
  return () => seededRandom(seed);
}

/** Lower is better for times and shares of time, higher for rates; others have no better side. */
export type Better = 'lower' | 'higher' | null;

export function medianCell(values: ArrayLike<number>, ctx: BuildContext, unit: string): MedianCell {
  const s = summarizeMedian(values, ctx.minSamples, { random: ctx.random() });
  return { kind: 'median', n: s.n, median: s.median, ci: s.ci, enough: s.enough, unit };
}

export function comparisonCell(baseline: ArrayLike<number>, values: ArrayLike<number>, ctx: BuildContext, unit: string, better: Better): ComparisonCell {
  const a = sorted(baseline);
  const b = sorted(values);
  if (a.length < ctx.minSamples || b.length < ctx.minSamples) return { kind: 'comparison', difference: null, ci: null, verdict: 'not enough data', unit };
  const ci = medianDifferenceCI(a, b, { random: ctx.random() });
  const difference = quantileSorted(b, 0.5) - quantileSorted(a, 0.5);
  let verdict: ComparisonCell['verdict'] = 'same';
  if (ci.low > 0 || ci.high < 0) {
    if (better === null) verdict = 'changed';
    else verdict = (ci.high < 0) === (better === 'lower') ? 'helped' : 'hurt';
  }
  return { kind: 'comparison', difference, ci, verdict, unit };
}

/**
 * The medians table under a distribution: per series its count, median and 95% interval, and for a
 * mode other than TCP the difference from the TCP group with the same app and network.
 */
export function mediansTable(
  id: string,
  title: string,
  series: readonly Series[],
  ctx: BuildContext,
  unit: string,
  better: Better,
  panelLabel = '',
): Table {
  const byKey = new Map(series.map((s) => [`${s.group.key}\u0002${s.panel}\u0002${s.category}`, s]));
  const hasPanels = series.some((s) => s.panel !== '');
  const hasCategories = series.some((s) => s.category !== '');
  const anyBaseline = series.some((s) => baselineOf(s.group, ctx.groups) !== null);
  const columns: Table['columns'] = [{ key: 'group', label: 'group' }];
  if (hasPanels) columns.push({ key: 'panel', label: panelLabel || 'panel' });
  if (hasCategories) columns.push({ key: 'category', label: 'series' });
  columns.push({ key: 'median', label: `median [95% CI] (${unit})`, title: 'median with its 95% percentile bootstrap interval; "not enough data" below --min-samples values' });
  if (anyBaseline) columns.push({ key: 'vsTcp', label: `vs TCP (${unit})`, title: 'median of this mode minus median of TCP, same app and network, with its 95% bootstrap interval' });
  const rows: Cell[][] = [];
  for (const s of series) {
    const m = medianCell(s.values, ctx, unit);
    const base = baselineOf(s.group, ctx.groups);
    const baseSeries = base ? byKey.get(`${base.key}\u0002${s.panel}\u0002${s.category}`) : undefined;
    const cmp = baseSeries ? comparisonCell(baseSeries.values, s.values, ctx, unit, better) : null;
    const row: Cell[] = [s.group.label];
    if (hasPanels) row.push(s.panel);
    if (hasCategories) row.push(s.category);
    row.push(m);
    if (anyBaseline) row.push(cmp);
    rows.push(row);
  }
  return { kind: 'table', id, title, caption: '', basis: null, columns, rows, csv: `${id}.csv` };
}
