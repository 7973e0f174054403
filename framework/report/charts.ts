/**
 * Charts: Vega-Lite specifications, rendered to SVG at build time by vega's headless renderer (no
 * DOM, no browser, nothing fetched), so the page shows them offline as plain inline SVG.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { CATEGORY_COLORS, NEUTRAL, modeDash, modeShape } from './colors.js';
import type { Group } from './groups.js';

export type Row = Record<string, string | number | null>;

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

const CONFIG = {
  font: FONT,
  background: '#ffffff',
  padding: 6,
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6', labelColor: '#333', titleColor: '#222' },
  legend: { labelFontSize: 11, titleFontSize: 11, symbolStrokeWidth: 2, labelLimit: 260, orient: 'right' },
  header: { labelFontSize: 12, titleFontSize: 12, labelFontWeight: 'bold' },
  view: { stroke: '#cccccc' },
} as const;

/** How series look: colour per app (or per category), dash and point shape per mode. */
export class Styles {
  private readonly other = new Map<string, string>();

  constructor(private readonly appColors: ReadonlyMap<string, string>) {}

  /** What a group's colour stands for: its app, else its input, else one colour for all. */
  colorLabel(g: Group): string {
    return g.app ?? g.input ?? 'all tests';
  }

  color(g: Group): string {
    if (g.appPackage && this.appColors.has(g.appPackage)) return this.appColors.get(g.appPackage)!;
    const label = this.colorLabel(g);
    if (label === 'all tests') return NEUTRAL;
    if (!this.other.has(label)) {
      const palette = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#9c755f'];
      this.other.set(label, palette[this.other.size % palette.length]);
    }
    return this.other.get(label)!;
  }

  /** The colour scale for rows whose `color` field holds group colour labels. */
  groupColorScale(groups: readonly Group[]): { domain: string[]; range: string[] } {
    const domain: string[] = [];
    const range: string[] = [];
    for (const g of groups) {
      const label = this.colorLabel(g);
      if (domain.includes(label)) continue;
      domain.push(label);
      range.push(this.color(g));
    }
    return { domain, range };
  }
}

export function categoryScale(categories: readonly string[]): { domain: string[]; range: string[] } {
  return { domain: [...categories], range: categories.map((c, i) => CATEGORY_COLORS[c] ?? ['#4e79a7', '#f28e2b', '#59a14f', '#e15759'][i % 4]) };
}

export function modeDashScale(modes: readonly string[]): { domain: string[]; range: number[][] } {
  return { domain: [...modes], range: modes.map((m, i) => modeDash(m, i)) };
}

export function modeShapeScale(modes: readonly string[]): { domain: string[]; range: string[] } {
  return { domain: [...modes], range: modes.map((m, i) => modeShape(m, i)) };
}

export interface AxisSpec {
  title: string;
  log?: boolean;
  /** d3 format of the labels */
  format?: string;
  domain?: [number, number];
}

export interface ChartOptions {
  rows: Row[];
  x: AxisSpec;
  y: AxisSpec;
  /** `color` field: its scale and legend title */
  color: { domain: string[]; range: string[]; title: string };
  /** `dash` field (lines) or `shape` (points): the modes */
  modes?: { domain: string[]; title: string };
  /** `panel` field: one chart per value, side by side */
  panels?: string[];
  /** `row` field: one row of panels per value */
  facetRows?: string[];
  width?: number;
  height?: number;
}

function axisEncoding(field: string, a: AxisSpec) {
  return {
    field,
    type: 'quantitative' as const,
    title: a.title,
    // a fixed domain (shares, 0 to 1) gets a few pixels of room, so that a step at 0 or 1 is not hidden by the axis
    scale: { type: a.log ? ('log' as const) : ('linear' as const), ...(a.domain ? { domain: a.domain, padding: 6 } : {}), ...(a.log ? {} : { zero: false }) },
    axis: { ...(a.format ? { format: a.format } : {}), ...(a.log ? { tickCount: 6 } : {}) },
  };
}

/** A legend unless there is nothing to tell apart (one colour for all tests). */
function legendOrNull(domain: readonly string[], title: string) {
  return domain.length > 1 || (domain.length === 1 && domain[0] !== 'all tests') ? { title } : null;
}

/** Wraps a single-view spec in column/row facets when the chart has panels. */
function faceted(options: ChartOptions, view: Record<string, unknown>): TopLevelSpec {
  const panels = options.panels && options.panels.length > 1 ? options.panels : null;
  const rows = options.facetRows && options.facetRows.length > 1 ? options.facetRows : null;
  const width = options.width ?? (panels ? Math.max(240, Math.floor(720 / panels.length)) : 560);
  const height = options.height ?? 240;
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, data: { values: options.rows } };
  if (!panels && !rows) return { ...base, width, height, ...view } as unknown as TopLevelSpec;
  const facet: Record<string, unknown> = {};
  if (panels) facet.column = { field: 'panel', type: 'nominal', title: null, sort: panels, header: { labelFontSize: 12 } };
  if (rows) facet.row = { field: 'row', type: 'nominal', title: null, sort: rows, header: { labelAngle: 0, labelAlign: 'left', labelFontSize: 12 } };
  return { ...base, facet, spec: { width, height, ...view }, resolve: { scale: { x: 'shared', y: 'shared' } } } as unknown as TopLevelSpec;
}

/** Lines (CDFs: step-after), coloured by `color`, dashed by `dash`, one per `series`. */
export function lineChart(options: ChartOptions & { interpolate?: 'step-after' | 'linear' }): TopLevelSpec {
  const encoding: Record<string, unknown> = {
    x: axisEncoding('x', options.x),
    y: axisEncoding('y', options.y),
    color: { field: 'color', type: 'nominal', scale: { domain: options.color.domain, range: options.color.range }, legend: legendOrNull(options.color.domain, options.color.title) },
    detail: { field: 'series', type: 'nominal' },
  };
  if (options.modes && options.modes.domain.length > 0) {
    encoding.strokeDash = { field: 'dash', type: 'nominal', scale: modeDashScale(options.modes.domain), legend: legendOrNull(options.modes.domain, options.modes.title) };
  }
  return faceted(options, { mark: { type: 'line', interpolate: options.interpolate ?? 'step-after', strokeWidth: 1.8, clip: true }, encoding });
}

/** Points, coloured by `color`, shaped by `shape` (the mode). */
export function scatterChart(options: ChartOptions): TopLevelSpec {
  const encoding: Record<string, unknown> = {
    x: axisEncoding('x', options.x),
    y: axisEncoding('y', options.y),
    color: { field: 'color', type: 'nominal', scale: { domain: options.color.domain, range: options.color.range }, legend: legendOrNull(options.color.domain, options.color.title) },
  };
  if (options.modes && options.modes.domain.length > 0) {
    encoding.shape = { field: 'shape', type: 'nominal', scale: modeShapeScale(options.modes.domain), legend: legendOrNull(options.modes.domain, options.modes.title) };
  }
  return faceted(options, { mark: { type: 'point', filled: true, size: 22, opacity: 0.55, clip: true }, encoding });
}

/** Horizontal stacked bars of shares: one bar per `bar` value, segments by `color` (ordered by the colour domain). */
export function stackedBarChart(options: Omit<ChartOptions, 'y'> & { bars: string[]; barTitle: string }): TopLevelSpec {
  const view = {
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'bar', type: 'nominal', sort: options.bars, title: null, axis: { labelLimit: 320 } },
      x: { field: 'x', type: 'quantitative', title: options.x.title, stack: 'zero', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
      color: { field: 'color', type: 'nominal', scale: { domain: options.color.domain, range: options.color.range }, sort: options.color.domain, legend: { title: options.color.title } },
      order: { field: 'order', type: 'quantitative' },
    },
  };
  return faceted({ ...options, y: { title: '' }, height: options.height ?? Math.max(40, 22 * options.bars.length) }, view);
}

/** Medians as points with their intervals as rules: `y` a category (app), `x`, `low`, `high`. */
export function intervalChart(options: Omit<ChartOptions, 'y'> & { categories: string[]; categoryTitle: string }): TopLevelSpec {
  const y = { field: 'category', type: 'nominal', sort: options.categories, title: options.categoryTitle, axis: { labelLimit: 240 } };
  const color = { field: 'color', type: 'nominal', scale: { domain: options.color.domain, range: options.color.range }, legend: legendOrNull(options.color.domain, options.color.title) };
  const yOffset = { field: 'color', type: 'nominal', scale: { domain: options.color.domain } };
  const view = {
    layer: [
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y, yOffset, x: axisEncoding('low', options.x), x2: { field: 'high' }, color } },
      { mark: { type: 'point', filled: true, size: 50 }, encoding: { y, yOffset, x: { field: 'x', type: 'quantitative' }, color } },
    ],
  };
  return faceted({ ...options, y: { title: '' }, height: options.height ?? Math.max(60, 34 * options.categories.length) }, view);
}

let chartNumber = 0;

/**
 * The chart as an SVG element. Ids inside it (clip paths, gradients) get a prefix of their own,
 * since every chart of the page shares one document.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const prefix = `c${++chartNumber}-`;
    return svg
      .replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`)
      .replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`)
      .replace(/href="#([^"]+)"/g, `href="#${prefix}$1"`);
  } finally {
    view.finalize();
  }
}
