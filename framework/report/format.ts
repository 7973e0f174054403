/** How numbers read on the page: bytes in SI units, times and shares with three significant digits. */
import type { Cell, Column, ComparisonCell, MedianCell } from './output.js';

function sig(x: number, digits = 3): string {
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 10 ** digits) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(digits)).toString();
}

export function fmtBytes(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1000) return `${sig(n)} B`;
  if (abs < 1e6) return `${sig(n / 1e3)} kB`;
  if (abs < 1e9) return `${sig(n / 1e6)} MB`;
  return `${sig(n / 1e9)} GB`;
}

export function fmtShare(x: number): string {
  if (x > 0 && x < 0.001) return '<0.1%';
  if (x < 1 && x > 0.999) return '>99.9%';
  return `${(x * 100).toFixed(1)}%`;
}

/** A value in a measure's unit. */
export function fmtUnit(x: number, unit: string): string {
  switch (unit) {
    case 'bytes':
      return fmtBytes(x);
    case 'share':
    case 'ratio':
      return fmtShare(x);
    case 's':
      return `${sig(x)} s`;
    case 'ms':
      return `${sig(x)} ms`;
    case 'count':
      return sig(x);
    default:
      return `${sig(x)} ${unit}`;
  }
}

/** A difference in a unit: signed, and shares in percentage points. */
function fmtDifference(x: number, unit: string): string {
  const sign = x > 0 ? '+' : x < 0 ? '−' : '';
  const abs = Math.abs(x);
  if (unit === 'share' || unit === 'ratio') return `${sign}${sig(abs * 100)} pts`;
  return `${sign}${fmtUnit(abs, unit)}`;
}

function fmtInterval(low: number, high: number, unit: string, difference: boolean): string {
  const f = (v: number) => (difference ? fmtDifference(v, unit) : fmtUnit(v, unit));
  return `[${f(low)}, ${f(high)}]`;
}

export function medianText(c: MedianCell): string {
  if (!c.enough) return c.n === 0 ? 'no data' : `not enough data (n = ${c.n})`;
  return `${fmtUnit(c.median!, c.unit)} ${fmtInterval(c.ci!.low, c.ci!.high, c.unit, false)}`;
}

const VERDICT_TEXT: Record<ComparisonCell['verdict'], string> = {
  helped: 'helped',
  hurt: 'hurt',
  changed: 'changed',
  same: 'no clear difference',
  'not enough data': 'not enough data',
};

export function comparisonText(c: ComparisonCell): string {
  if (c.verdict === 'not enough data') return 'not enough data';
  return `${fmtDifference(c.difference!, c.unit)} ${fmtInterval(c.ci!.low, c.ci!.high, c.unit, true)}: ${VERDICT_TEXT[c.verdict]}`;
}

/** A cell as text, with the CSS class that colours it. */
export function cellText(cell: Cell, column: Column): { text: string; cls: string; n?: number } {
  if (cell === null || cell === undefined) return { text: '—', cls: 'none' };
  if (typeof cell === 'object') {
    if (cell.kind === 'median') return { text: medianText(cell), cls: cell.enough ? 'num' : 'num insufficient', n: cell.enough ? cell.n : undefined };
    return { text: comparisonText(cell), cls: `num verdict ${cell.verdict.replaceAll(' ', '-')}` };
  }
  if (typeof cell === 'string') return { text: cell, cls: '' };
  switch (column.format) {
    case 'count':
      return { text: cell.toLocaleString('en-US'), cls: 'num' };
    case 'share':
      return { text: fmtShare(cell), cls: 'num' };
    case 'bytes':
      return { text: fmtBytes(cell), cls: 'num' };
    case 'seconds':
      return { text: fmtUnit(cell, 's'), cls: 'num' };
    case 'ms':
      return { text: fmtUnit(cell, 'ms'), cls: 'num' };
    default:
      return { text: sig(cell), cls: 'num' };
  }
}
