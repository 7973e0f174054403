import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvFile, csvField, csvLine, tableCsv } from '../../../framework/report/csv.js';
import type { Table } from '../../../framework/report/output.js';
import { tempDir } from '../../support/tmp.js';

describe('CSV writer', () => {
  it('quotes fields with commas, quotes and line breaks (RFC 4180); null and non-finite numbers are empty', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('WhatsApp · mptcp, both')).toBe('"WhatsApp · mptcp, both"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(0.000123)).toBe('0.000123');
    expect(csvField(true)).toBe('true');
    expect(csvLine(['a', 1, null, 'b,c'])).toBe('a,1,,"b,c"\r\n');
  });

  it('writes a file row by row under a temporary name and puts it in place on close', () => {
    const dir = tempDir();
    const file = join(dir, 'fig.csv');
    const csv = new CsvFile(file, ['test', 'value']);
    for (let i = 0; i < 30_000; i++) csv.row(`t${i},`, [i / 3]);
    expect(existsSync(file)).toBe(false);
    csv.close();
    const lines = readFileSync(file, 'utf8').split('\r\n');
    expect(lines[0]).toBe('test,value');
    expect(lines[1]).toBe('t0,0');
    expect(lines[30_000]).toBe(`t29999,${29999 / 3}`);
    expect(lines).toHaveLength(30_002);
    expect(csv.rows).toBe(30_000);
  });

  it('writes a table with medians and comparisons as four columns each', () => {
    const table: Table = {
      kind: 'table',
      id: 't',
      title: 't',
      caption: '',
      basis: null,
      csv: 't.csv',
      columns: [
        { key: 'group', label: 'group' },
        { key: 'median', label: 'median' },
        { key: 'vsTcp', label: 'vs TCP' },
      ],
      rows: [
        ['tcp', { kind: 'median', n: 12, median: 3.5, ci: { low: 3, high: 4 }, enough: true, unit: 's' }, null],
        ['mptcp', { kind: 'median', n: 3, median: 2, ci: null, enough: false, unit: 's' }, { kind: 'comparison', difference: -1.5, ci: { low: -2, high: -1 }, verdict: 'helped', unit: 's' }],
      ],
    };
    expect(tableCsv(table).split('\r\n')).toEqual([
      'group,median_n,median_median,median_ci_low,median_ci_high,vsTcp_difference,vsTcp_ci_low,vsTcp_ci_high,vsTcp_verdict',
      'tcp,12,3.5,3,4,,,,',
      'mptcp,3,2,,,-1.5,-2,-1,helped',
      '',
    ]);
  });
});
