/**
 * The overview per group (tests run and passed, bytes, duration), the experience measures with
 * their bands and the comparison of each mode with TCP, and the livestream measures.
 */
import { BasisCounter, basisText, comparisonCell, fmtCount, medianCell, type Better, type BuildContext, type TestView } from '../builder.js';
import type { LeftOut } from '../carried-over.js';
import { baselineOf, type Group } from '../groups.js';
import type { Band, Measure } from '../model.js';
import type { Cell, Column, Item, Table } from '../output.js';
import { capitalize, csvName } from './common.js';

/** Measures of a livestream (001_fc72a23e1433fd38.txt): delays and stalling. */
export const LIVESTREAM_MEASURES = ['end-to-end-delay', 'delay', 'buffering-delay', 'startup-delay', 'stall-ratio', 'stall-time'];
const BANDS: Band[] = ['good', 'acceptable', 'bad', 'very bad'];

export function betterOf(unit: Measure['unit']): Better {
  if (unit === 's' || unit === 'ms' || unit === 'ratio') return 'lower';
  if (unit === 'kbit/s') return 'higher';
  return null;
}

interface MeasureValues {
  unit: Measure['unit'];
  values: number[];
  /** tests that reported it without a value (the event never came) */
  missing: number;
  bands: Record<Band, number>;
  tests: number;
}

interface GroupState {
  tests: number;
  verdicts: { passed: number; failed: number; error: number; unknown: number };
  connections: number;
  subflows: number;
  bytes: number[];
  seconds: number[];
  measures: Map<string, MeasureValues>;
}

/** What the report left out of the tests' records (framework/report/carried-over.ts), said where it counts them. */
function leftOutText(l: LeftOut): string {
  if (l.connections === 0) return '';
  const conns = `${fmtCount(l.connections)} connection${l.connections === 1 ? '' : 's'}${l.subflows > 0 ? ` (${fmtCount(l.subflows)} subflow${l.subflows === 1 ? '' : 's'})` : ''}`;
  return ` Left out: ${conns} of ${fmtCount(l.tests)} test${l.tests === 1 ? '' : 's'} whose opening handshake the test's capture did not see: open before the test began, they are an earlier test's (a connection stuck on a path that went down, whose data came once the path was back).`;
}

export class Overview {
  private readonly groups = new Map<string, { group: Group; state: GroupState }>();
  private readonly basis = new BasisCounter();
  private readonly measureBasis = new Map<string, BasisCounter>();
  private readonly measureOrder: string[] = [];

  add(view: TestView): void {
    let entry = this.groups.get(view.group.key);
    if (!entry) {
      entry = {
        group: view.group,
        state: { tests: 0, verdicts: { passed: 0, failed: 0, error: 0, unknown: 0 }, connections: 0, subflows: 0, bytes: [], seconds: [], measures: new Map() },
      };
      this.groups.set(view.group.key, entry);
    }
    const s = entry.state;
    const t = view.test;
    s.tests++;
    s.verdicts[t.verdict ?? 'unknown']++;
    s.connections += view.connections.length;
    s.subflows += view.subflows.length;
    this.basis.testOnly(view);
    this.basis.basis.connections += view.connections.length;
    this.basis.basis.subflows += view.subflows.length;
    if (view.connections.length > 0 || view.subflows.length > 0) {
      let bytes = 0;
      for (const c of view.connections) bytes += c.bytes.up + c.bytes.down;
      s.bytes.push(bytes);
    }
    if (t.seconds !== null) s.seconds.push(t.seconds);
    const seen = new Set<string>();
    for (const m of t.measures) {
      let mv = s.measures.get(m.name);
      if (!mv) s.measures.set(m.name, (mv = { unit: m.unit, values: [], missing: 0, bands: { good: 0, acceptable: 0, bad: 0, 'very bad': 0 }, tests: 0 }));
      if (!this.measureOrder.includes(m.name)) this.measureOrder.push(m.name);
      if (!seen.has(m.name)) {
        seen.add(m.name);
        mv.tests++;
        let b = this.measureBasis.get(m.name);
        if (!b) this.measureBasis.set(m.name, (b = new BasisCounter()));
        b.testOnly(view);
      }
      if (m.value === null) mv.missing++;
      else mv.values.push(m.value);
      if (m.band) mv.bands[m.band]++;
    }
  }

  private ordered(ctx: BuildContext): { group: Group; state: GroupState }[] {
    return ctx.groups.filter((g) => this.groups.has(g.key)).map((g) => this.groups.get(g.key)!);
  }

  /** The overview table: one row per group. */
  overview(ctx: BuildContext, leftOut: LeftOut): Item[] {
    const list = this.ordered(ctx);
    const anyVerdict = list.some((e) => e.state.verdicts.unknown < e.state.tests);
    const columns: Column[] = [
      { key: 'group', label: 'group' },
      { key: 'tests', label: 'tests run', format: 'count' },
      ...(anyVerdict
        ? [
            { key: 'passed', label: 'passed', format: 'count' as const },
            { key: 'failed', label: 'failed', format: 'count' as const },
            { key: 'error', label: 'errors', format: 'count' as const },
          ]
        : []),
      { key: 'connections', label: 'connections', format: 'count' },
      { key: 'subflows', label: 'subflows', format: 'count' },
      { key: 'bytes', label: 'bytes per test: median [95% CI]', title: 'payload bytes of all the test\'s connections, both directions' },
      { key: 'seconds', label: 'test duration: median [95% CI]' },
    ];
    const rows: Cell[][] = list.map(({ group, state: s }) => [
      group.label,
      s.tests,
      ...(anyVerdict ? [s.verdicts.passed, s.verdicts.failed, s.verdicts.error] : []),
      s.connections,
      s.subflows,
      s.bytes.length > 0 ? medianCell(s.bytes, ctx, 'bytes') : null,
      s.seconds.length > 0 ? medianCell(s.seconds, ctx, 's') : null,
    ]);
    const table: Table = {
      kind: 'table',
      id: 'overview',
      title: 'Tests per group',
      caption: `Tests run and their verdicts, the analyzer's connections and subflows, and per test the bytes carried and how long it took. ${capitalize(basisText(this.basis.basis))}.${leftOutText(leftOut)}`,
      basis: this.basis.basis,
      columns,
      rows,
      csv: csvName('overview'),
    };
    return [table, this.glance(ctx)];
  }

  /** Each mode against TCP, per app and network, for every measure: where MPTCP helped, hurt or changed nothing. */
  private glance(ctx: BuildContext): Table {
    const list = this.ordered(ctx);
    const compared = list.filter((e) => baselineOf(e.group, ctx.groups) !== null);
    const measures = this.measureOrder;
    const columns: Column[] = [{ key: 'group', label: 'mode vs TCP' }, ...measures.map((m) => ({ key: m, label: m })), { key: 'bytes', label: 'bytes per test' }];
    const rows: Cell[][] = compared.map(({ group, state }) => {
      const base = this.groups.get(baselineOf(group, ctx.groups)!.key)!.state;
      const cells: Cell[] = [group.label];
      for (const name of measures) {
        const mine = state.measures.get(name);
        const theirs = base.measures.get(name);
        cells.push(mine && theirs ? comparisonCell(theirs.values, mine.values, ctx, mine.unit, betterOf(mine.unit)) : null);
      }
      cells.push(comparisonCell(base.bytes, state.bytes, ctx, 'bytes', null));
      return cells;
    });
    const why =
      compared.length > 0
        ? ''
        : list.some((e) => e.group.mode !== null)
          ? ' No group has a TCP group to compare with (same app and network, mode tcp).'
          : ' The tests are not split by mode (their source does not say, or --by leaves mode out).';
    return {
      kind: 'table',
      id: 'glance',
      title: 'At a glance: each mode against TCP',
      caption: `Median of the mode minus median of TCP for the same app and network, with its 95% bootstrap interval: helped (green) or hurt (red) when the interval excludes 0 and the measure has a better side, changed (amber) when it excludes 0 and has none, no clear difference (grey) when it includes 0, and not enough data when either side has fewer than ${ctx.minSamples} values.${why}`,
      basis: this.basis.basis,
      columns,
      rows,
      csv: csvName('glance'),
    };
  }

  /** One table per measure; `livestream` picks the livestream measures, else the others. */
  measures(ctx: BuildContext, livestream: boolean): Item[] {
    const names = this.measureOrder.filter((n) => LIVESTREAM_MEASURES.includes(n) === livestream);
    const list = this.ordered(ctx);
    const items: Item[] = [];
    for (const name of names) {
      const withIt = list.filter((e) => e.state.measures.has(name));
      const unit = withIt[0].state.measures.get(name)!.unit;
      const better = betterOf(unit);
      const hasBands = withIt.some((e) => BANDS.some((b) => e.state.measures.get(name)!.bands[b] > 0));
      const anyBaseline = withIt.some((e) => {
        const base = baselineOf(e.group, ctx.groups);
        return base !== null && this.groups.get(base.key)?.state.measures.has(name);
      });
      const columns: Column[] = [
        { key: 'group', label: 'group' },
        { key: 'tests', label: 'tests', format: 'count' },
        { key: 'missing', label: 'not measured', format: 'count', title: 'the scenario reported the measure without a value (the event never came)' },
        { key: 'median', label: `median [95% CI] (${unit})` },
        ...(hasBands ? BANDS.map((b) => ({ key: b, label: b, format: 'share' as const })) : []),
        ...(anyBaseline ? [{ key: 'vsTcp', label: `vs TCP (${unit})` }] : []),
      ];
      const rows: Cell[][] = withIt.map(({ group, state }) => {
        const mv = state.measures.get(name)!;
        const banded = BANDS.reduce((a, b) => a + mv.bands[b], 0);
        const base = baselineOf(group, ctx.groups);
        const baseValues = base ? this.groups.get(base.key)?.state.measures.get(name) : undefined;
        return [
          group.label,
          mv.tests,
          mv.missing,
          medianCell(mv.values, ctx, unit),
          ...(hasBands ? BANDS.map((b) => (banded > 0 ? mv.bands[b] / banded : null)) : []),
          ...(anyBaseline ? [baseValues ? comparisonCell(baseValues.values, mv.values, ctx, unit, better) : null] : []),
        ];
      });
      const basis = this.measureBasis.get(name)!.basis;
      items.push({
        kind: 'table',
        id: `measure-${name.replace(/[^A-Za-z0-9-]+/g, '_')}`,
        title: name,
        caption: `${better === 'lower' ? 'Lower is better.' : better === 'higher' ? 'Higher is better.' : ''}${hasBands ? ' Bands: the share of values in each band the scenario gave (a file download, as 000_1018b5d05352e2c8.txt rates a 5 MB one: good up to 20 s, acceptable up to 40 s, bad up to 80 s, very bad beyond).' : ''} ${capitalize(basisText(basis))}.`.trim(),
        basis,
        columns,
        rows,
        csv: csvName(`measure-${name.replace(/[^A-Za-z0-9-]+/g, '_')}`),
      });
    }
    return items;
  }
}
