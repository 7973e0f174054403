import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { REPO_ROOT } from '../../common/paths.js';
import { DEFAULT_DIMENSIONS, DIMENSIONS, type Dimension } from '../report/groups.js';

interface ReportCliOptions {
  out: string;
  results: string;
  by: Dimension[];
  since?: number;
  format: ('html' | 'csv' | 'json')[];
  minSamples: number;
  seed: number;
  progress?: boolean;
  json?: boolean;
}

function list<T extends string>(allowed: readonly T[], what: string) {
  return (value: string): T[] => {
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.filter((i) => !allowed.includes(i as T));
    if (bad.length > 0 || items.length === 0) throw new InvalidArgumentError(`expected ${what} from ${allowed.join(', ')}, separated by commas; got ${JSON.stringify(value)}`);
    return [...new Set(items)] as T[];
  };
}

/** "2025-03-01", "2025-03-01T22:00", "2025-03-01T22:00:00Z": epoch seconds (local time when no zone is given). */
export function parseSince(value: string): number {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    throw new InvalidArgumentError(`expected a date as YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM], got ${JSON.stringify(value)}`);
  }
  // a date alone is midnight of that day in local time (Date would take it as UTC)
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00`).getTime() : new Date(value.replace(' ', 'T')).getTime();
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`not a valid date: ${JSON.stringify(value)}`);
  return ms / 1000;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer of 1 or more');
  return n;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('per-app comparison report (HTML, CSV, JSON) of campaigns of the store, results folders or mplab analyze output folders')
    .argument('<input...>', 'campaign ids (read from the store of --results), results folders (test folders with result.json, at any depth up to 4), test folders, or mplab analyze output folders')
    .requiredOption('-o, --out <dir>', 'output folder: report.html, report.json, csv/')
    .option('--results <dir>', 'the results folder whose store (campaigns.sqlite) holds the campaigns named (default runs/campaigns, as mplab campaign)', path.join(REPO_ROOT, 'runs', 'campaigns'))
    .option('--by <dims>', `split the tests by, in this order (${DIMENSIONS.join(', ')})`, list(DIMENSIONS, 'dimensions'), DEFAULT_DIMENSIONS)
    .option('--since <date>', 'only tests that started on or after this date (YYYY-MM-DD, local time, or an ISO time)', parseSince)
    .option('--format <formats>', 'what to write (html, csv, json)', list(['html', 'csv', 'json'] as const, 'formats'), ['html', 'csv', 'json'])
    .option('--min-samples <n>', 'fewest values for a curve, a median\'s interval or a comparison ("not enough data" below)', positiveInt, 10)
    .option('--seed <n>', 'seed of the bootstrap\'s random generator', positiveInt, 1)
    .option('--no-progress', 'no progress lines on stderr')
    .option('--json', 'print the summary as JSON on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  mplab report runs/night1 --out reports/night1\n  mplab report nightly-2026-03-01-1a2b --results runs/campaigns --out reports/night1   # from the store\n  mplab report runs/night1 runs/night2 --out reports/both --by app,mode,input\n  mplab report analysis/ --out report/          # one mplab analyze output: its figures, unsplit\n\nSee docs/report.md for what the page shows and every CSV file.',
    )
    .action(async (inputs: string[], opts: ReportCliOptions) => {
      const { buildReport } = await import('../report/report.js');
      const result = await buildReport({
        inputs,
        results: path.resolve(opts.results),
        out: opts.out,
        by: opts.by,
        since: opts.since ?? null,
        formats: opts.format,
        minSamples: opts.minSamples,
        seed: opts.seed,
        progress: opts.progress !== false,
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const t = result.tests;
      const n = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
      process.stdout.write(
        `${n(t.included, 'test')} in ${n(result.groups, 'group')}: ${n(result.figures, 'figure')}, ${n(result.tables, 'table')} in ${result.seconds.total.toFixed(1)} s -> ${result.out}${result.files.includes('report.html') ? '/report.html' : ''}\n`,
      );
      const l = result.leftOut;
      if (l.connections > 0) process.stdout.write(`left out: ${n(l.connections, 'connection')} of ${n(l.tests, 'test')} open before the test began (an earlier test's; see docs/report.md)\n`);
    });
}
