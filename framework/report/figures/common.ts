/**
 * Figure kinds the seed's figures are made of: CDFs per series (optionally weighted) and scatter
 * plots of connections, with their "not enough data" rule, notes and tables.
 */
import { basisText, fmtCount, mediansTable, type Better, type BuildContext, type Samples, type Series } from '../builder.js';
import { categoryScale, lineChart, scatterChart, type AxisSpec, type Row } from '../charts.js';
import type { Group } from '../groups.js';
import type { Basis, Cell, ChartSeries, Figure, Table } from '../output.js';
import { cdf, shareAtOrBelow } from '../stats.js';

/** Figure ids as file names: "fig-2.18" -> "fig-2.18" (kept), used for CSV names and anchors. */
export function csvName(id: string, part = ''): string {
  return `${id}${part ? `-${part}` : ''}.csv`;
}

export interface Threshold {
  label: string;
  x: number;
}

export interface CdfFigureOptions {
  id: string;
  title: string;
  /** what it shows and over which connections; the basis is added to it */
  caption: string;
  samples: Samples;
  basis: Basis;
  x: AxisSpec;
  /** "share of connections", "share of acknowledged bytes" */
  yTitle: string;
  panels?: string[];
  panelLabel?: string;
  /** colour by the group's app (default) or by the series' category */
  colorBy?: 'group' | 'category';
  categories?: string[];
  colorTitle?: string;
  unit: string;
  better: Better;
  /** shares at or below these values, per series, as the seed quotes them */
  thresholds?: Threshold[];
  /** what n counts in a weighted figure's table ("ACKs", "connections") */
  countLabel?: string;
  /** the raw data's CSV files */
  csv: string[];
  /** why there may be no data at all (shown when no series has any) */
  noData: string;
}

function modesOf(groups: readonly Group[]): string[] {
  return [...new Set(groups.map((g) => g.mode).filter((m): m is string => m !== null))];
}

function networksOf(groups: readonly Group[]): string[] {
  return [...new Set(groups.map((g) => g.network).filter((n): n is string => n !== null))];
}

export function seriesLabel(s: Series): string {
  return [s.group.label, s.panel, s.category].filter(Boolean).join(' · ');
}

/** A CDF per series; series with fewer values than --min-samples are listed, not drawn. */
export function cdfFigure(o: CdfFigureOptions, ctx: BuildContext): Figure {
  const series = o.samples.ordered(ctx.groups, o.panels, o.categories);
  const notes: string[] = [];
  const drawn: ChartSeries[] = [];
  const rows: Row[] = [];
  const few: string[] = [];
  let zeros = 0;
  let total = 0;
  for (const s of series) {
    if (s.count < ctx.minSamples) {
      few.push(`${seriesLabel(s)} (${s.count})`);
      continue;
    }
    const points = cdf(s.values, s.weights ?? undefined);
    const shown = o.x.log ? points.filter((p) => p.x > 0) : points;
    if (o.x.log) {
      total += s.values.length;
      for (const v of s.values) if (v <= 0) zeros++;
    }
    const label = seriesLabel(s);
    drawn.push({ label, n: s.count, points: shown.map((p) => [p.x, p.p]) });
    for (const p of shown) {
      rows.push({
        x: p.x,
        y: p.p,
        series: label,
        color: o.colorBy === 'category' ? s.category : ctx.styles.colorLabel(s.group),
        dash: s.group.mode,
        panel: s.panel,
        row: s.group.network,
      });
    }
  }
  if (few.length > 0) notes.push(`Not enough data (fewer than ${ctx.minSamples} values), not drawn: ${few.join('; ')}.`);
  if (zeros > 0) notes.push(`${fmtCount(zeros)} of ${fmtCount(total)} values are 0 and lie left of the logarithmic axis: each curve starts at the share of its zeros.`);

  const tables: Table[] = [];
  const enoughSeries = series.filter((s) => s.count >= ctx.minSamples);
  if (series.length > 0) {
    if (series.some((s) => s.weights)) tables.push(weightedSharesTable(o, series));
    else tables.push(mediansTable(`${o.id}-medians`, 'Medians', series, ctx, o.unit, o.better, o.panelLabel));
    if (o.thresholds && !series.some((s) => s.weights)) tables.push(sharesTable(o, series));
  }
  const color =
    o.colorBy === 'category'
      ? { ...categoryScale((o.categories ?? []).filter((c) => enoughSeries.some((s) => s.category === c))), title: o.colorTitle ?? '' }
      : { ...ctx.styles.groupColorScale(ctx.groups.filter((g) => enoughSeries.some((s) => s.group === g))), title: o.colorTitle ?? 'app' };
  const modes = modesOf(enoughSeries.map((s) => s.group));
  const networks = networksOf(enoughSeries.map((s) => s.group));
  const spec =
    drawn.length === 0
      ? null
      : lineChart({
          rows,
          x: o.x,
          y: { title: o.yTitle, format: '.0%', domain: [0, 1] },
          color,
          modes: modes.length > 0 ? { domain: modes, title: 'mode' } : undefined,
          panels: o.panels?.filter((p) => enoughSeries.some((s) => s.panel === p)),
          facetRows: networks,
        });
  const empty = drawn.length > 0 ? null : series.length === 0 ? o.noData : `Not enough data: no series has ${ctx.minSamples} values or more (--min-samples).`;
  return figure(o, { series: drawn, empty, notes, tables, spec });
}

/** A figure of the given parts, its caption ending with what it rests on. */
export function figure(
  o: { id: string; title: string; caption: string; basis: Basis; csv: string[] },
  parts: Pick<Figure, 'series' | 'empty' | 'notes' | 'tables' | 'spec'>,
): Figure {
  return { kind: 'figure', id: o.id, title: o.title, caption: `${o.caption} ${capitalize(basisText(o.basis))}.`, basis: o.basis, csv: o.csv, svg: null, ...parts };
}

function sharesTable(o: CdfFigureOptions, series: readonly Series[]): Table {
  const hasPanels = series.some((s) => s.panel !== '');
  const columns: Table['columns'] = [{ key: 'group', label: 'group' }];
  if (hasPanels) columns.push({ key: 'panel', label: o.panelLabel || 'panel' });
  columns.push({ key: 'n', label: 'n', format: 'count' });
  for (const t of o.thresholds!) columns.push({ key: t.label, label: t.label, format: 'share' });
  const rows: Cell[][] = series.map((s) => {
    const row: Cell[] = [s.group.label];
    if (hasPanels) row.push(s.panel);
    row.push(s.values.length);
    for (const t of o.thresholds!) row.push(s.values.length >= 1 ? shareAtOrBelow(s.values, t.x) : null);
    return row;
  });
  return { kind: 'table', id: `${o.id}-shares`, title: 'Shares at the seed\'s marks', caption: '', basis: null, columns, rows, csv: csvName(o.id, 'shares') };
}

/** For weighted CDFs: the weighted shares at the thresholds (a weighted median has no bootstrap interval here). */
function weightedSharesTable(o: CdfFigureOptions, series: readonly Series[]): Table {
  const hasPanels = series.some((s) => s.panel !== '');
  const hasCategories = series.some((s) => s.category !== '');
  const columns: Table['columns'] = [{ key: 'group', label: 'group' }];
  if (hasPanels) columns.push({ key: 'panel', label: o.panelLabel || 'panel' });
  if (hasCategories) columns.push({ key: 'category', label: 'series' });
  columns.push({ key: 'n', label: o.countLabel ?? 'n', format: 'count' });
  for (const t of o.thresholds ?? []) columns.push({ key: t.label, label: t.label, format: 'share' });
  const rows: Cell[][] = series.map((s) => {
    const row: Cell[] = [s.group.label];
    if (hasPanels) row.push(s.panel);
    if (hasCategories) row.push(s.category);
    row.push(s.count);
    for (const t of o.thresholds ?? []) row.push(shareAtOrBelow(s.values, t.x, s.weights ?? undefined));
    return row;
  });
  return { kind: 'table', id: `${o.id}-shares`, title: 'Weighted shares', caption: '', basis: null, columns, rows, csv: csvName(o.id, 'shares') };
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Points of a scatter plot per series (a group and a panel). */
export class Points {
  readonly series = new Map<string, { group: Group; panel: string; xs: number[]; ys: number[] }>();

  add(group: Group, panel: string, x: number, y: number): void {
    const key = `${group.key}\u0002${panel}`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { group, panel, xs: [], ys: [] }));
    s.xs.push(x);
    s.ys.push(y);
  }

  get size(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.xs.length;
    return n;
  }
}

/** At most this many points are drawn per scatter plot; the CSV has all of them. */
export const MAX_POINTS = 2500;

export interface ScatterFigureOptions {
  id: string;
  title: string;
  caption: string;
  points: Points;
  basis: Basis;
  x: AxisSpec;
  y: AxisSpec;
  panels?: string[];
  csv: string[];
  noData: string;
  /** what a point is: "connection" */
  unitName: string;
}

/** A scatter plot; beyond MAX_POINTS a seeded random sample of each series in proportion to its size is drawn. */
export function scatterFigure(o: ScatterFigureOptions, ctx: BuildContext): Figure {
  const total = o.points.size;
  const random = ctx.random();
  const groupOrder = new Map(ctx.groups.map((g, i) => [g.key, i]));
  const list = [...o.points.series.values()].sort((a, b) => groupOrder.get(a.group.key)! - groupOrder.get(b.group.key)! || (o.panels ?? []).indexOf(a.panel) - (o.panels ?? []).indexOf(b.panel));
  const rows: Row[] = [];
  const drawn: ChartSeries[] = [];
  let shown = 0;
  for (const s of list) {
    const n = s.xs.length;
    const keep = total <= MAX_POINTS ? n : Math.max(1, Math.round((MAX_POINTS * n) / total));
    // a partial Fisher-Yates shuffle picks `keep` of the n indices
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < Math.min(keep, n - 1); i++) {
      const j = i + Math.floor(random() * (n - i));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const chosen = idx.slice(0, Math.min(keep, n));
    const label = [s.group.label, s.panel].filter(Boolean).join(' · ');
    drawn.push({ label, n, points: chosen.map((i) => [s.xs[i], s.ys[i]]) });
    for (const i of chosen) rows.push({ x: s.xs[i], y: s.ys[i], color: ctx.styles.colorLabel(s.group), shape: s.group.mode, panel: s.panel, row: s.group.network });
    shown += chosen.length;
  }
  const notes: string[] = [];
  if (shown < total) notes.push(`Shows ${fmtCount(shown)} of ${fmtCount(total)} ${o.unitName}s, drawn at random from each group in proportion to its size; ${o.csv[0]} has them all.`);
  const groups = list.map((s) => s.group);
  const modes = modesOf(groups);
  const spec =
    total === 0
      ? null
      : scatterChart({
          rows,
          x: o.x,
          y: o.y,
          color: { ...ctx.styles.groupColorScale(ctx.groups.filter((g) => groups.includes(g))), title: 'app' },
          modes: modes.length > 0 ? { domain: modes, title: 'mode' } : undefined,
          panels: o.panels?.filter((p) => list.some((s) => s.panel === p)),
          facetRows: networksOf(groups),
        });
  return figure(o, { series: drawn, empty: total === 0 ? o.noData : null, notes, tables: [], spec });
}
