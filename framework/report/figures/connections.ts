/** Fig 2.18 (duration and bytes per connection) and Fig 2.19 (RTT per network). */
import { BasisCounter, Samples, type Builder, type BuildContext, type CsvFactory, type TestView } from '../builder.js';
import type { CsvSink } from '../csv.js';
import type { Item } from '../output.js';
import { Points, cdfFigure, csvName, scatterFigure } from './common.js';

/**
 * The columns every raw-data CSV starts with: which test and what it was (TestView.csvPrefix; its
 * group's label is known only once every test was read, after these rows were written).
 */
export const TEST_COLUMNS = ['test', 'app', 'mode', 'network'];

export class DurationBytes implements Builder {
  private readonly points = new Points();
  private readonly basis = new BasisCounter();
  private readonly csv: CsvSink;
  private skipped = 0;

  constructor(csv: CsvFactory) {
    this.csv = csv(csvName('fig-2.18'), [...TEST_COLUMNS, 'trace', 'connection', 'kind', 'duration_s', 'bytes_up', 'bytes_down']);
  }

  add(view: TestView): void {
    const prefix = view.csvPrefix;
    for (const c of view.connections) {
      this.csv.row(prefix, [c.trace, c.id, c.kind, c.duration, c.bytes.up, c.bytes.down]);
      const bytes = c.bytes.up + c.bytes.down;
      if (c.duration <= 0 || bytes <= 0) {
        this.skipped++;
        continue;
      }
      this.basis.connection(view, c.subflows);
      this.points.add(view.group, '', c.duration, bytes);
    }
  }

  build(ctx: BuildContext): Item[] {
    const fig = scatterFigure(
      {
        id: 'fig-2.18',
        title: 'Fig 2.18: duration and bytes per connection',
        caption: 'Each point is a connection: its duration (first to last packet) and its payload bytes, both directions, retransmissions included.',
        points: this.points,
        basis: this.basis.basis,
        x: { title: 'connection duration (s)', log: true, format: '~g' },
        y: { title: 'bytes exchanged (both directions)', log: true, format: '~s' },
        csv: [csvName('fig-2.18')],
        noData: 'No connection with both a duration and payload.',
        unitName: 'connection',
      },
      ctx,
    );
    if (this.skipped > 0) fig.notes.push(`${this.skipped.toLocaleString('en-US')} connections without payload or lasting 0 s cannot be drawn on logarithmic axes and are left out.`);
    return [fig];
  }
}

/** Fig 2.19: per-subflow average RTT, by the subflow's network, per direction of the data. */
export class RttByNetwork implements Builder {
  private readonly samples = new Samples();
  private readonly basis = new BasisCounter();
  private readonly csv: CsvSink;

  constructor(csv: CsvFactory) {
    this.csv = csv(csvName('fig-2.19'), [...TEST_COLUMNS, 'trace', 'connection', 'subflow', 'iface', 'rtt_down_avg_ms', 'rtt_down_samples', 'rtt_up_avg_ms', 'rtt_up_samples']);
  }

  add(view: TestView): void {
    const prefix = view.csvPrefix;
    for (const s of view.subflows) {
      this.csv.row(prefix, [s.trace, s.connection, s.index, s.iface, s.rtt.avgMs, s.rtt.samples, s.rttUp.avgMs, s.rttUp.samples]);
      const iface = s.iface ?? 'unknown interface';
      let counted = false;
      if (s.rtt.avgMs !== null && s.rtt.samples > 0) {
        this.samples.add(view.group, 'downstream (data from the proxy)', s.rtt.avgMs, undefined, iface);
        counted = true;
      }
      if (s.rttUp.avgMs !== null && s.rttUp.samples > 0) {
        this.samples.add(view.group, 'upstream (data from the phone)', s.rttUp.avgMs, undefined, iface);
        counted = true;
      }
      if (counted) this.basis.subflow(view);
    }
  }

  build(ctx: BuildContext): Item[] {
    // pooled over apps: one curve per network and mode, as the seed draws one per network
    const pooled = new Samples();
    for (const s of this.samples.series.values()) {
      const g = { ...s.group, key: `${s.group.mode}\u0001${s.group.network}`, label: [s.group.mode, s.group.network].filter(Boolean).join(' · ') || 'all tests', app: null, appPackage: null };
      for (const v of s.values) pooled.add(g, s.panel, v, undefined, s.category);
    }
    const groups = dedupe([...pooled.series.values()].map((s) => s.group));
    return [
      cdfFigure(
        {
          id: 'fig-2.19',
          title: 'Fig 2.19: average RTT of the subflows, per network',
          caption:
            'CDF of each subflow\'s average round-trip time (tstat style: a data segment to the ACK that ends exactly at it), by the network of the subflow, apps pooled. Downstream: the proxy\'s data and the phone\'s ACKs, so the proxy-phone-proxy time of a capture at the proxy; upstream: the phone\'s data (near 0 in a capture at the proxy).',
          samples: pooled,
          basis: this.basis.basis,
          x: { title: 'average RTT (ms)', log: true, format: '~g' },
          yTitle: 'share of subflows',
          panels: ['downstream (data from the proxy)', 'upstream (data from the phone)'],
          panelLabel: 'direction',
          colorBy: 'category',
          categories: ['wifi', 'cellular', 'unknown interface'],
          colorTitle: 'network',
          unit: 'ms',
          better: 'lower',
          csv: [csvName('fig-2.19')],
          noData: 'No subflow with an RTT sample.',
          },
        { ...ctx, groups },
      ),
    ];
  }
}

function dedupe<T extends { key: string }>(list: T[]): T[] {
  const seen = new Map<string, T>();
  for (const x of list) if (!seen.has(x.key)) seen.set(x.key, x);
  return [...seen.values()];
}
