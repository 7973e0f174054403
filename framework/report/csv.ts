import { closeSync, openSync, renameSync, writeSync } from 'node:fs';

export type CsvValue = string | number | boolean | null | undefined;

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; null is empty. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** A whole table as CSV text. */
export function csvText(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return csvLine(header) + rows.map(csvLine).join('');
}

/** Rows that a figure appends while the tests stream by. */
export interface CsvSink {
  row(values: readonly CsvValue[]): void;
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

  row(values: readonly CsvValue[]): void {
    const line = csvLine(values);
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
  row(): void {
    this.rows++;
  }
}
