/**
 * `mplab report`: reads the tests of every input (one pass, test by test), feeds the figure and
 * table builders, then writes report.html (charts inline), csv/ (every table, every figure's data)
 * and report.json (every number shown).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../common/errors.js';
import { log } from '../../common/log.js';
import { progress } from '../../common/progress.js';
import { TestView, newRandom, type BuildContext, type Builder, type CsvFactory } from './builder.js';
import { openedDuringTest, type LeftOut } from './carried-over.js';
import { Styles, renderSvg } from './charts.js';
import { appColors } from './colors.js';
import { CsvFile, NullSink, tableCsv, type CsvSink } from './csv.js';
import { AckSizes } from './figures/acks.js';
import { CellularShare } from './figures/cellular.js';
import { DurationBytes, RttByNetwork } from './figures/connections.js';
import { AppLatency } from './figures/latency.js';
import { Overview } from './figures/overview.js';
import { HandoverBytes, JoinDelays, Overhead, RttSpread, SubflowBlocks } from './figures/subflows.js';
import { DestinationPorts, SubflowsPerConnection, Subtraces, UnusedSubflows } from './figures/tables.js';
import { Grouping, type Dimension } from './groups.js';
import { escapeHtml, pageHtml } from './html.js';
import type { TestSource } from './model.js';
import type { Figure, Item, Section, Table } from './output.js';
import { openInput } from './readers/inputs.js';

export type Format = 'html' | 'csv' | 'json';
export const FORMATS: Format[] = ['html', 'csv', 'json'];

export interface ReportOptions {
  /** what the user named: folders and campaign ids */
  inputs: string[];
  /** the results folder whose store (campaigns.sqlite) holds the campaigns named in `inputs` */
  results?: string;
  out: string;
  by: Dimension[];
  /** epoch seconds: tests that started earlier are left out */
  since: number | null;
  formats: Format[];
  /** fewer values than this: "not enough data", no curve, no interval (default 10) */
  minSamples: number;
  /** seed of the bootstrap's generator (the same input gives the same report) */
  seed?: number;
  /** progress lines on stderr (default: on) */
  progress?: boolean;
  /** the sources to read instead of opening `inputs` (another reader, e.g. the store's) */
  sources?: TestSource[];
}

export interface ReportResult {
  out: string;
  files: string[];
  tests: { read: number; included: number; beforeSince: number; withoutRecords: number; duplicates: number };
  /** connections (and their subflows) of tests that were open before their test began: not counted (see carried-over.ts) */
  leftOut: LeftOut;
  groups: number;
  figures: number;
  tables: number;
  seconds: { read: number; build: number; charts: number; total: number };
  /** CPU seconds (user and system) of the whole process so far, start-up included */
  cpuSeconds: number;
}

export const DEFAULT_MIN_SAMPLES = 10;
const REPORT_SCHEMA = 1;

function figuresAndTables(sections: readonly Section[]): { figures: Figure[]; tables: Table[] } {
  const figures: Figure[] = [];
  const tables: Table[] = [];
  for (const s of sections) {
    for (const item of s.items) {
      if (item.kind === 'figure') {
        figures.push(item);
        tables.push(...item.tables);
      } else tables.push(item);
    }
  }
  return { figures, tables };
}

export async function buildReport(options: ReportOptions): Promise<ReportResult> {
  const started = performance.now();
  const logger = log('report');
  const sources = options.sources ?? options.inputs.map((i) => openInput(i, options.results));
  const formats = new Set(options.formats);
  const out = options.out;
  try {
    mkdirSync(out, { recursive: true });
    if (formats.has('csv')) mkdirSync(join(out, 'csv'), { recursive: true });
  } catch (err) {
    throw new UserError(`--out ${out}: cannot write there: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }

  // figure data: CSV files written while the tests stream by
  const rawFiles: CsvFile[] = [];
  const csv: CsvFactory = (name, header): CsvSink => {
    if (!formats.has('csv')) return new NullSink();
    const file = new CsvFile(join(out, 'csv', name), header);
    rawFiles.push(file);
    return file;
  };
  const overview = new Overview();
  const builders = {
    latency: new AppLatency(csv),
    durationBytes: new DurationBytes(csv),
    rtt: new RttByNetwork(csv),
    ports: new DestinationPorts(),
    subtraces: new Subtraces(),
    perConnection: new SubflowsPerConnection(),
    cellular: new CellularShare(csv),
    joins: new JoinDelays(csv),
    spread: new RttSpread(csv),
    acks: new AckSizes(csv),
    blocks: new SubflowBlocks(csv),
    overhead: new Overhead(csv),
    handover: new HandoverBytes(csv),
    unused: new UnusedSubflows(),
  } satisfies Record<string, Builder>;

  try {
    // ---- read ------------------------------------------------------------------------------------
    const grouping = new Grouping(options.by);
    const total = sources.reduce((a, s) => a + s.count(), 0);
    const reading = progress({ label: 'report: reading tests', total, unit: 'tests', enabled: options.progress !== false });
    const counts = { read: 0, included: 0, beforeSince: 0, withoutRecords: 0, duplicates: 0 };
    const leftOut: LeftOut = { tests: 0, connections: 0, subflows: 0 };
    const seen = new Set<string>();
    for (const source of sources) {
      for await (const test of source.tests()) {
        counts.read++;
        reading.update(counts.read);
        if (seen.has(test.id)) {
          counts.duplicates++;
          logger.warn({ test: test.id, location: test.location }, `${test.location}: test ${test.id} was read already (given twice?): counted once`);
          continue;
        }
        seen.add(test.id);
        if (options.since !== null && (test.start === null || test.start < options.since)) {
          counts.beforeSince++;
          continue;
        }
        const read = await test.records();
        if (!read) counts.withoutRecords++;
        // a test's (it has a verdict) without what was open before it; an analyze folder's as they are
        const records = read && test.verdict !== null ? openedDuringTest(read, leftOut) : read;
        const view = new TestView(counts.included++, test, grouping.of(test), records?.connections ?? [], records?.subflows ?? []);
        overview.add(view);
        for (const b of Object.values(builders)) b.add(view);
      }
    }
    reading.finish(`${counts.included} included`);
    const readSeconds = (performance.now() - started) / 1000;
    if (counts.included === 0) {
      throw new UserError(
        counts.read === 0 ? 'no test to report on' : `no test to report on: all ${counts.read} tests started before --since ${new Date(options.since! * 1000).toISOString()}`,
      );
    }

    // ---- build -------------------------------------------------------------------------------------
    const buildStart = performance.now();
    const groups = grouping.all();
    const styles = new Styles(appColors([...new Set(groups.map((g) => g.appPackage).filter((p): p is string => p !== null))]));
    const ctx: BuildContext = { groups, styles, minSamples: options.minSamples, random: newRandom(options.seed ?? 1) };
    const b = builders;
    const sections: Section[] = [
      {
        id: 'overview',
        title: 'Overview',
        intro: 'What was run, per group of tests, and where each mode did better or worse than TCP.',
        items: overview.overview(ctx, leftOut),
      },
      {
        id: 'experience',
        title: 'Experience',
        intro: 'The experience measures the scenarios took (download and upload times, page loads, ...), per group, with their bands and the comparison with TCP.',
        items: overview.measures(ctx, false),
      },
      {
        id: 'livestream',
        title: 'Livestreams',
        intro: 'Delay and stalling of livestreams as 001_fc72a23e1433fd38.txt defines them (stalling ratio: time with nothing to play over the broadcast\'s length), where a scenario measured them.',
        items: overview.measures(ctx, true),
      },
      { id: 'per-app-latency', title: 'Per-app latency', intro: '', items: b.latency.build(ctx) },
      {
        id: 'connections',
        title: 'Connections',
        intro: 'The connections the apps made (Section 2.3.2 and 2.3.4 of 002_02bd41e7dd4374b9.txt).',
        items: [...b.durationBytes.build(ctx), ...b.rtt.build(ctx), ...b.ports.build(ctx), ...b.subtraces.build(ctx), ...b.perConnection.build(ctx)],
      },
      {
        id: 'multipath',
        title: 'Multipath',
        intro: 'How MPTCP used the subflows (Sections 2.3.2.2 and 2.3.5 of 002_02bd41e7dd4374b9.txt). "Up" is phone to proxy, "down" proxy to phone.',
        items: [...b.cellular.build(ctx), ...b.joins.build(ctx), ...b.spread.build(ctx), ...b.acks.build(ctx), ...b.blocks.build(ctx), ...b.unused.build(ctx), ...b.overhead.build(ctx), ...b.handover.build(ctx)],
      },
    ];
    for (const s of sections) {
      if (s.items.length === 0 && s.id === 'livestream') s.intro += ' No test measured any.';
      if (s.items.length === 0 && s.id === 'experience') s.intro += ' No test took any measure (the inputs have no result.json, or their scenarios measured nothing).';
    }
    const { figures, tables } = figuresAndTables(sections);
    const buildSeconds = (performance.now() - buildStart) / 1000;

    // ---- charts --------------------------------------------------------------------------------------
    const chartStart = performance.now();
    if (formats.has('html')) {
      const charts = figures.filter((f) => f.spec);
      const drawing = progress({ label: 'report: charts', total: charts.length, unit: 'charts', enabled: options.progress !== false });
      let done = 0;
      for (const f of charts) {
        f.svg = await renderSvg(f.spec as Parameters<typeof renderSvg>[0]);
        drawing.update(++done, f.id);
      }
      drawing.finish();
    }
    const chartSeconds = (performance.now() - chartStart) / 1000;

    // ---- write -----------------------------------------------------------------------------------------
    const files: string[] = [];
    for (const f of rawFiles) {
      f.close();
      files.push(join('csv', f.path.slice(join(out, 'csv').length + 1)));
    }
    if (formats.has('csv')) {
      for (const t of tables) {
        writeAtomically(join(out, 'csv', t.csv), tableCsv(t));
        files.push(join('csv', t.csv));
      }
    }
    const generated = new Date().toISOString();
    const testsText = `${counts.included.toLocaleString('en-US')} of ${counts.read.toLocaleString('en-US')} read${counts.beforeSince ? `, ${counts.beforeSince} before --since` : ''}${counts.withoutRecords ? `, ${counts.withoutRecords} without analyzer output` : ''}${counts.duplicates ? `, ${counts.duplicates} read twice` : ''}${leftOut.connections ? `, ${leftOut.connections} connection${leftOut.connections === 1 ? '' : 's'} open before ${leftOut.tests === 1 ? 'its test' : 'their tests'} left out` : ''}; ${groups.length} group${groups.length === 1 ? '' : 's'}`;
    if (formats.has('json')) {
      const json = {
        schema: REPORT_SCHEMA,
        generator: 'mplab report',
        generated,
        options: { by: options.by, since: options.since, minSamples: options.minSamples, seed: options.seed ?? 1 },
        inputs: sources.map((s) => ({ label: s.label, tests: s.count() })),
        tests: counts,
        leftOut,
        groups: groups.map(({ key: _key, ...g }) => g),
        sections: sections.map((s) => ({ id: s.id, title: s.title, items: s.items.map(jsonItem) })),
      };
      writeAtomically(join(out, 'report.json'), `${JSON.stringify(json, null, 1)}\n`);
      files.push('report.json');
    }
    if (formats.has('html')) {
      const links = [formats.has('json') ? '<a href="report.json">report.json</a> (every number shown)' : '', formats.has('csv') ? '<a href="csv/">csv/</a> (every table and every figure\'s data)' : '']
        .filter(Boolean)
        .join(', ');
      const html = pageHtml(
        {
          title: 'mplab report',
          generated,
          inputs: sources.map((s) => s.label),
          tests: testsText,
          split: grouping.usedDimensions().join(', ') || 'nothing (the inputs do not say app, mode or network)',
          filters: `${options.since !== null ? `started on or after ${new Date(options.since * 1000).toISOString()}; ` : ''}at least ${options.minSamples} values for a curve, a median's interval or a comparison`,
          files: links || 'none',
        },
        sections,
        footer(options.minSamples),
      );
      writeAtomically(join(out, 'report.html'), html);
      files.push('report.html');
    }
    const totalSeconds = (performance.now() - started) / 1000;
    return {
      out,
      files,
      tests: counts,
      leftOut,
      groups: groups.length,
      figures: figures.length,
      tables: tables.length,
      seconds: { read: readSeconds, build: buildSeconds, charts: chartSeconds, total: totalSeconds },
      cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    };
  } catch (err) {
    for (const f of rawFiles) rmSync(`${f.path}.partial`, { force: true });
    throw err;
  }
}

function writeAtomically(file: string, text: string): void {
  writeFileSync(`${file}.partial`, text);
  renameSync(`${file}.partial`, file);
}

/** report.json's view of an item: everything but the rendered chart and its specification. */
function jsonItem(item: Item): object {
  if (item.kind === 'table') return item;
  const { svg: _svg, spec: _spec, ...rest } = item;
  return rest;
}

function footer(minSamples: number): string {
  return [
    'How to read it. A CDF gives, for each value on the x axis, the share of the items (connections, subflows, ACK bytes) at or below it.',
    `A curve is drawn, a median given an interval, and two modes compared only from ${minSamples} values on (--min-samples); below that the report says "not enough data".`,
    'Intervals are 95% percentile bootstrap intervals (2000 resamples, seeded: the same input gives the same report). "vs TCP" is the median of the mode minus the median of TCP for the same app and network; the verdict says whether its interval excludes 0.',
    'Definitions: docs/analyzer.md (every field of the analyzer\'s output) and docs/report.md (every figure and table of this page).',
  ]
    .map((p) => `<p>${escapeHtml(p)}</p>`)
    .join('');
}
