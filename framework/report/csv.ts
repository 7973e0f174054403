import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import type { Cell, Table } from './output.js';

export type CsvValue = string | number | boolean | null | undefined;

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; null is empty. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += (i === 0 ? '' : ',') + csvField(values[i]);
  return `${line}\r\n`;
}

/** A whole table as CSV text. */
export function csvText(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return csvLine(header) + rows.map(csvLine).join('');
}

/** Rows that a figure appends while the tests stream by. */
export interface CsvSink {
  /** a row: `prefix` is CSV text of the first fields with its trailing comma (the test's, made once per test) */
  row(prefix: string, values: readonly CsvValue[]): void;
  readonly rows: number;
}

/**
 * A CSV file written as rows come (in blocks of about 1 MB), under a temporary name until
 * `close()`: a report that fails leaves no half-written table.
 */
export class CsvFile implements CsvSink {
  private readonly fd: number;
  private pending: string[] = [];
  private size = 0;
  rows = 0;

  constructor(
    readonly path: string,
    readonly header: readonly string[],
  ) {
    this.fd = openSync(`${path}.partial`, 'w');
    this.pending.push(csvLine(header));
  }

  row(prefix: string, values: readonly CsvValue[]): void {
    const line = prefix + csvLine(values);
    this.pending.push(line);
    this.size += line.length;
    this.rows++;
    if (this.size > 1 << 20) this.flush();
  }

  private flush(): void {
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
    renameSync(`${this.path}.partial`, this.path);
  }
}

/** Counts rows and drops them (CSV not asked for). */
export class NullSink implements CsvSink {
  rows = 0;
  row(_prefix: string, _values: readonly CsvValue[]): void {
    this.rows++;
  }
}

/** Every table as CSV rows: a median cell becomes n, median, low, high; a comparison difference, low, high, verdict. */
export function tableCsv(t: Table): string {
  const header: string[] = [];
  const kinds = t.columns.map((_, i) => {
    const cell = t.rows.find((r) => r[i] !== null && typeof r[i] === 'object')?.[i] as Exclude<Cell, string | number | null> | undefined;
    return cell?.kind ?? 'plain';
  });
  t.columns.forEach((c, i) => {
    if (kinds[i] === 'median') header.push(`${c.key}_n`, `${c.key}_median`, `${c.key}_ci_low`, `${c.key}_ci_high`);
    else if (kinds[i] === 'comparison') header.push(`${c.key}_difference`, `${c.key}_ci_low`, `${c.key}_ci_high`, `${c.key}_verdict`);
    else header.push(c.key);
  });
  const rows = t.rows.map((row) =>
    row.flatMap((cell, i): CsvValue[] => {
      if (kinds[i] === 'median') return cell && typeof cell === 'object' && cell.kind === 'median' ? [cell.n, cell.median, cell.ci?.low, cell.ci?.high] : [null, null, null, null];
      if (kinds[i] === 'comparison') return cell && typeof cell === 'object' && cell.kind === 'comparison' ? [cell.difference, cell.ci?.low, cell.ci?.high, cell.verdict] : [null, null, null, null];
      return [cell as CsvValue];
    }),
  );
  return csvText(header, rows);
}
