/**
 * What a report holds, as report.json writes it and the HTML page shows it: sections of figures
 * and tables, each with the tests, connections and subflows it rests on.
 */
import type { Interval } from './stats.js';

export interface Basis {
  tests: number;
  connections: number;
  subflows: number;
}

/** A median with its 95% bootstrap interval; `enough` false: fewer values than --min-samples, no interval. */
export interface MedianCell {
  kind: 'median';
  n: number;
  median: number | null;
  ci: Interval | null;
  enough: boolean;
  unit: string;
}

/** A mode against TCP: median difference (mode - tcp) with its interval, and what it means for the reader. */
export interface ComparisonCell {
  kind: 'comparison';
  difference: number | null;
  ci: Interval | null;
  /** helped / hurt: the interval excludes 0 and lower (or higher) is better; changed: excludes 0, no better side; same: includes 0 */
  verdict: 'helped' | 'hurt' | 'changed' | 'same' | 'not enough data';
  unit: string;
}

export type Cell = string | number | null | MedianCell | ComparisonCell;

export interface Column {
  key: string;
  label: string;
  /** how the HTML shows numbers: count, share (0..1 as %), bytes, seconds, ms, number */
  format?: 'count' | 'share' | 'bytes' | 'seconds' | 'ms' | 'number';
  /** a hint shown on hover */
  title?: string;
}

export interface Table {
  kind: 'table';
  id: string;
  title: string;
  caption: string;
  basis: Basis | null;
  columns: Column[];
  rows: Cell[][];
  /** the CSV file name under csv/ */
  csv: string;
}

export interface ChartSeries {
  /** the group (and panel or category) label */
  label: string;
  n: number;
  /** the drawn points: [x, y] */
  points: [number, number][];
}

export interface Figure {
  kind: 'figure';
  id: string;
  title: string;
  caption: string;
  basis: Basis;
  /** what is drawn, per series (every number of the chart) */
  series: ChartSeries[];
  /** why there is no chart (no data of this kind, or not enough), when there is none */
  empty: string | null;
  /** remarks under the chart: values left out, sampling, series with too few values */
  notes: string[];
  /** the medians table and the like */
  tables: Table[];
  /** CSV files of the figure's data, under csv/ */
  csv: string[];
  /** the Vega-Lite specification (not written to report.json: the series hold its numbers) */
  spec: object | null;
  /** the rendered chart, filled in at the end */
  svg: string | null;
}

export type Item = Figure | Table;

export interface Section {
  id: string;
  title: string;
  intro: string;
  items: Item[];
}
