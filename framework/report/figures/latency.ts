/**
 * Per-app latency as 003_a9d74945c74a9161.txt reports it: the median connect-time RTT of each
 * app's subflows, WiFi and cellular apart, with sample counts, only for groups with enough samples.
 */
import { BasisCounter, Samples, mediansTable, type Builder, type BuildContext, type CsvFactory, type TestView } from '../builder.js';
import { categoryScale, intervalChart, type Row } from '../charts.js';
import type { CsvSink } from '../csv.js';
import type { ChartSeries, Item } from '../output.js';
import { csvName, figure } from './common.js';
import { TEST_COLUMNS } from './connections.js';

const IFACES = ['wifi', 'cellular'];

export class AppLatency implements Builder {
  private readonly samples = new Samples();
  private readonly basis = new BasisCounter();
  private readonly csv: CsvSink;
  private withoutField = 0;
  private subflows = 0;
  private unknownIface = 0;

  constructor(csv: CsvFactory) {
    this.csv = csv(csvName('latency'), [...TEST_COLUMNS, 'trace', 'connection', 'subflow', 'iface', 'connect_rtt_ms']);
  }

  add(view: TestView): void {
    const prefix = view.csvPrefix;
    for (const s of view.subflows) {
      this.subflows++;
      if (s.connectRttMs === undefined) {
        this.withoutField++;
        continue;
      }
      if (s.connectRttMs === null) continue;
      this.csv.row(prefix, [s.trace, s.connection, s.index, s.iface, s.connectRttMs]);
      if (s.iface === null) {
        this.unknownIface++;
        continue;
      }
      this.samples.add(view.group, '', s.connectRttMs, undefined, s.iface);
      this.basis.subflow(view);
    }
  }

  build(ctx: BuildContext): Item[] {
    const all = this.samples.ordered(ctx.groups, [], IFACES);
    const enough = all.filter((s) => s.count >= ctx.minSamples);
    const few = all.filter((s) => s.count < ctx.minSamples);
    const table = mediansTable('latency-medians', 'Median connect-time RTT', enough, ctx, 'ms', 'lower');
    const rows: Row[] = [];
    const series: ChartSeries[] = [];
    for (const row of table.rows) {
      const s = enough[table.rows.indexOf(row)];
      const m = row.find((c) => c !== null && typeof c === 'object' && c.kind === 'median');
      if (!m || typeof m !== 'object' || m.kind !== 'median' || m.median === null || !m.ci) continue;
      rows.push({ category: s.group.app ?? s.group.label, color: s.category, x: m.median, low: m.ci.low, high: m.ci.high, panel: s.group.mode ?? '', row: s.group.network });
      series.push({ label: `${s.group.label} · ${s.category}`, n: s.count, points: [[m.median, m.ci.low], [m.median, m.ci.high]] });
    }
    const notes: string[] = [];
    if (few.length > 0) notes.push(`Left out, fewer than ${ctx.minSamples} samples: ${few.map((s) => `${s.group.label} · ${s.category} (${s.count})`).join('; ')}.`);
    if (this.unknownIface > 0) notes.push(`${this.unknownIface.toLocaleString('en-US')} subflows on an unknown network (mplab analyze without --wifi/--cellular) are left out.`);
    if (this.withoutField > 0 && this.withoutField < this.subflows) notes.push(`${this.withoutField.toLocaleString('en-US')} subflows come from analyzer output without connect-time RTTs and are left out.`);
    const categories = [...new Set(rows.map((r) => String(r.category)))];
    const panels = [...new Set(rows.map((r) => String(r.panel)))];
    const networks = [...new Set(rows.map((r) => r.row).filter((n): n is string => typeof n === 'string'))];
    const empty =
      this.withoutField === this.subflows && this.subflows > 0
        ? 'The analyzer output has no connect-time RTTs (connectRttMs): it was written by an mplab analyze older than this report. Run mplab analyze again on the captures.'
        : all.length === 0
          ? 'No subflow with a captured handshake on a known network (mplab analyze needs --wifi and --cellular).'
          : rows.length === 0
            ? `Not enough data: no app has ${ctx.minSamples} connect-time RTTs or more on a network.`
            : null;
    const caption = `The round trip of each subflow's handshake (SYN to SYN/ACK, or SYN/ACK to the third ACK, whichever the capture point waits for), per app and network of the subflow: the median with its 95% bootstrap interval, only where there are at least ${ctx.minSamples} samples.`;
    const spec =
      rows.length === 0
        ? null
        : intervalChart({
            rows,
            categories,
            categoryTitle: 'app',
            x: { title: 'median connect-time RTT (ms)', log: false },
            color: { ...categoryScale(IFACES.filter((i) => rows.some((r) => r.color === i))), title: 'network' },
            panels: panels.length > 1 ? panels : undefined,
            facetRows: networks,
          });
    const fig = figure(
      { id: 'latency', title: 'Per-app latency: median connect-time RTT, WiFi and cellular', caption, basis: this.basis.basis, csv: [csvName('latency')] },
      { series, empty, notes, tables: enough.length > 0 ? [table] : [], spec },
    );
    return [fig];
  }
}
