/** Figs 2.20-2.23: the share of a connection's data sent on cellular subflows. */
import { BasisCounter, type Builder, type BuildContext, type CsvFactory, type TestView } from '../builder.js';
import { stackedBarChart, type Row } from '../charts.js';
import type { CsvSink } from '../csv.js';
import type { Group } from '../groups.js';
import type { Cell, ChartSeries, Figure, Item, Table } from '../output.js';
import { Points, csvName, figure, scatterFigure } from './common.js';
import { TEST_COLUMNS } from './connections.js';

const DIRECTIONS = [
  { key: 'up', panel: 'from the phone (up)' },
  { key: 'down', panel: 'from the proxy (down)' },
] as const;

export const SHARE_CLASSES = ['WiFi only (0%)', '< 25%', '25-50%', '50-75%', '75-99%', 'cellular only (100%)'];
const SHARE_COLORS = ['#1f77b4', '#7fa9d6', '#c7c7e2', '#f2b8a8', '#e8735e', '#d62728'];

export function shareClass(share: number): number {
  if (share <= 0) return 0;
  if (share >= 1) return 5;
  if (share < 0.25) return 1;
  if (share < 0.5) return 2;
  if (share < 0.75) return 3;
  return 4;
}

interface ClassCounts {
  group: Group;
  panel: string;
  connections: number[];
  bytes: number[];
}

export class CellularShare implements Builder {
  private readonly wifiDefault = new Points();
  private readonly cellularDefault = new Points();
  private readonly basisWifi = new BasisCounter();
  private readonly basisCellular = new BasisCounter();
  private readonly basisClasses = new BasisCounter();
  private readonly classes = new Map<string, ClassCounts>();
  private readonly csv: CsvSink;

  constructor(csv: CsvFactory) {
    this.csv = csv(csvName('fig-2.20'), [...TEST_COLUMNS, 'default_route', 'trace', 'connection', 'bytes_up', 'bytes_down', 'cellular_share_up', 'cellular_share_down']);
  }

  add(view: TestView): void {
    const route = view.test.network?.defaultRoute ?? null;
    const prefix = view.csvPrefix;
    const points = route === 'cellular' ? this.cellularDefault : this.wifiDefault;
    const basis = route === 'cellular' ? this.basisCellular : this.basisWifi;
    for (const c of view.connections) {
      if (c.kind !== 'mptcp' || c.cellularShare === null) continue;
      const share = c.cellularShare;
      if (share.up === null && share.down === null) continue;
      this.csv.row(prefix, [route, c.trace, c.id, c.bytes.up, c.bytes.down, share.up, share.down]);
      basis.connection(view, c.subflows);
      this.basisClasses.connection(view, c.subflows);
      for (const d of DIRECTIONS) {
        const value = share[d.key];
        const bytes = c.bytes[d.key];
        if (value === null || bytes <= 0) continue;
        points.add(view.group, d.panel, bytes, value);
        const key = `${view.group.key}\u0002${d.panel}`;
        let counts = this.classes.get(key);
        if (!counts) this.classes.set(key, (counts = { group: view.group, panel: d.panel, connections: [0, 0, 0, 0, 0, 0], bytes: [0, 0, 0, 0, 0, 0] }));
        const k = shareClass(value);
        counts.connections[k]++;
        counts.bytes[k] += bytes;
      }
    }
  }

  build(ctx: BuildContext): Item[] {
    const scatter = (id: string, title: string, route: string, points: Points, basis: BasisCounter) =>
      scatterFigure(
        {
          id,
          title,
          caption: `Each point is an MPTCP connection of a test with the default route on ${route}: the bytes it sent in a direction and the share of them sent on cellular subflows (retransmissions included).`,
          points,
          basis: basis.basis,
          x: { title: 'bytes sent in the direction', log: true, format: '~s' },
          y: { title: 'share sent on cellular', format: '.0%', domain: [0, 1] },
          panels: DIRECTIONS.map((d) => d.panel),
          csv: [csvName('fig-2.20')],
          noData:
            route === 'cellular'
              ? 'No test with the default route on cellular (network "both (default cellular)"): run the campaign with it to see where short connections go.'
              : 'No MPTCP connection whose subflows have a known network (mplab analyze needs --wifi and --cellular).',
            unitName: 'connection',
        },
        ctx,
      );
    return [
      scatter('fig-2.20', 'Fig 2.20: share of the data sent on cellular, by connection size (default route on WiFi)', 'WiFi (and traces that do not say)', this.wifiDefault, this.basisWifi),
      this.classFigure('fig-2.21', 'Fig 2.21: connections by the share of their data sent on cellular', 'connections', ctx),
      this.classFigure('fig-2.22', 'Fig 2.22: data bytes by the share of their connection\'s data sent on cellular', 'bytes', ctx),
      scatter('fig-2.23', 'Fig 2.23: the same with the default route on cellular', 'cellular', this.cellularDefault, this.basisCellular),
    ];
  }

  private classFigure(id: string, title: string, what: 'connections' | 'bytes', ctx: BuildContext): Figure {
    const order = new Map(ctx.groups.map((g, i) => [g.key, i]));
    const list = [...this.classes.values()].sort((a, b) => order.get(a.group.key)! - order.get(b.group.key)! || a.panel.localeCompare(b.panel));
    const rows: Row[] = [];
    const series: ChartSeries[] = [];
    const tableRows: Cell[][] = [];
    const bars = [...new Set(list.map((c) => c.group.label))];
    for (const c of list) {
      const counts = c[what];
      const total = counts.reduce((a, b) => a + b, 0);
      if (total === 0) continue;
      const shares = counts.map((n) => n / total);
      series.push({ label: `${c.group.label} · ${c.panel}`, n: c.connections.reduce((a, b) => a + b, 0), points: shares.map((s, k) => [k, s]) });
      shares.forEach((s, k) => rows.push({ bar: c.group.label, panel: c.panel, x: s, color: SHARE_CLASSES[k], order: k, row: null }));
      tableRows.push([c.group.label, c.panel, c.connections.reduce((a, b) => a + b, 0), ...(what === 'bytes' ? [total] : []), ...shares]);
    }
    const columns: Table['columns'] = [
      { key: 'group', label: 'group' },
      { key: 'direction', label: 'direction' },
      { key: 'connections', label: 'connections', format: 'count' },
      ...(what === 'bytes' ? [{ key: 'bytes', label: 'bytes', format: 'bytes' as const }] : []),
      ...SHARE_CLASSES.map((k) => ({ key: k, label: k, format: 'share' as const })),
    ];
    const table: Table = { kind: 'table', id: `${id}-classes`, title: `Share of ${what} per class`, caption: '', basis: null, columns, rows: tableRows, csv: csvName(id, 'classes') };
    const caption = `${what === 'connections' ? 'Share of MPTCP connections' : 'Share of the bytes of MPTCP connections'} in each class of the share sent on cellular, per direction.`;
    const spec =
      series.length === 0
        ? null
        : stackedBarChart({
            rows,
            bars,
            barTitle: 'group',
            x: { title: `share of ${what}` },
            color: { domain: SHARE_CLASSES, range: SHARE_COLORS, title: 'sent on cellular' },
            panels: DIRECTIONS.map((d) => d.panel).filter((p) => list.some((c) => c.panel === p)),
            width: 300,
          });
    const empty = series.length === 0 ? 'No MPTCP connection whose subflows have a known network (mplab analyze needs --wifi and --cellular).' : null;
    return figure({ id, title, caption, basis: this.basisClasses.basis, csv: [csvName('fig-2.20')] }, { series, empty, notes: [], tables: [table], spec });
  }
}
