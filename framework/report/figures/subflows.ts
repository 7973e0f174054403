/** Figs 2.24 (join delays), 2.25 (RTT spread), 2.27 (subflow blocks), 2.28 (overhead), 2.29 (handover bytes). */
import { BasisCounter, Samples, type Builder, type BuildContext, type CsvFactory, type TestView } from '../builder.js';
import type { CsvSink } from '../csv.js';
import type { Item } from '../output.js';
import { SIZE_CLASSES, sizeClass } from '../stats.js';
import { cdfFigure, csvName } from './common.js';
import { TEST_COLUMNS } from './connections.js';

const ALL = 'all additional subflows';
const FIRST = 'first additional subflow';

export class JoinDelays implements Builder {
  private readonly samples = new Samples();
  private readonly basis = new BasisCounter();
  private readonly csv: CsvSink;

  constructor(csv: CsvFactory) {
    this.csv = csv(csvName('fig-2.24'), [...TEST_COLUMNS, 'trace', 'connection', 'subflow', 'iface', 'join_delay_s']);
  }

  add(view: TestView): void {
    const prefix = view.csvPrefix;
    for (const c of view.connections) {
      if (c.kind !== 'mptcp' || c.subflows < 2) continue;
      let counted = 0;
      for (const s of view.subflowsOf(c)) {
        if (s.index === 0 || s.joinDelay === null) continue;
        this.csv.row(prefix, [c.trace, c.id, s.index, s.iface, s.joinDelay]);
        this.samples.add(view.group, ALL, s.joinDelay);
        if (s.index === 1) this.samples.add(view.group, FIRST, s.joinDelay);
        counted++;
      }
      if (counted > 0) this.basis.connection(view, counted);
    }
  }

  build(ctx: BuildContext): Item[] {
    return [
      cdfFigure(
        {
          id: 'fig-2.24',
          title: 'Fig 2.24: delay from the connection\'s first SYN to each additional subflow\'s SYN',
          caption: 'CDF of the join delays of the additional subflows of MPTCP connections (both SYNs captured), all of them and the first one only.',
          samples: this.samples,
          basis: this.basis.basis,
          x: { title: 'join delay (s)', log: true, format: '~g' },
          yTitle: 'share of subflows',
          panels: [ALL, FIRST],
          panelLabel: 'subflows',
          unit: 's',
          better: 'lower',
          thresholds: [
            { label: '≤ 200 ms', x: 0.2 },
            { label: '≤ 1 s', x: 1 },
            { label: '≤ 60 s', x: 60 },
          ],
          csv: [csvName('fig-2.24')],
          noData: 'No MPTCP connection with an additional subflow whose SYN was captured.',
          },
        ctx,
      ),
    ];
  }
}

/** Subflows need this many RTT samples to count in Fig 2.25 (as in the seed). */
export const MIN_RTT_SAMPLES = 3;

export class RttSpread implements Builder {
  private readonly samples = new Samples();
  private readonly basis = new BasisCounter();
  private readonly csv: CsvSink;

  constructor(csv: CsvFactory) {
    this.csv = csv(csvName('fig-2.25'), [...TEST_COLUMNS, 'trace', 'connection', 'subflows_measured', 'rtt_min_avg_ms', 'rtt_max_avg_ms', 'spread_ms']);
  }

  add(view: TestView): void {
    const prefix = view.csvPrefix;
    for (const c of view.connections) {
      if (!c.subtraces.t1) continue;
      const avgs = view.subflowsOf(c).filter((s) => s.rtt.samples >= MIN_RTT_SAMPLES && s.rtt.avgMs !== null).map((s) => s.rtt.avgMs!);
      if (avgs.length < 2) continue;
      const lo = Math.min(...avgs);
      const hi = Math.max(...avgs);
      this.csv.row(prefix, [c.trace, c.id, avgs.length, lo, hi, Math.round((hi - lo) * 1000) / 1000]);
      this.samples.add(view.group, '', hi - lo);
      this.basis.connection(view, avgs.length);
    }
  }

  build(ctx: BuildContext): Item[] {
    return [
      cdfFigure(
        {
          id: 'fig-2.25',
          title: 'Fig 2.25: RTT difference between the slowest and the fastest subflow',
          caption: `CDF over connections with at least 2 established subflows (T1) of the largest minus the smallest average RTT of their subflows with at least ${MIN_RTT_SAMPLES} RTT samples (downstream, as the proxy sees it).`,
          samples: this.samples,
          basis: this.basis.basis,
          x: { title: 'RTT difference (ms)', log: true, format: '~g' },
          yTitle: 'share of connections',
          unit: 'ms',
          better: 'lower',
          thresholds: [
            { label: '≤ 10 ms', x: 10 },
            { label: '≤ 100 ms', x: 100 },
            { label: '< 1 s', x: 999.999 },
          ],
          csv: [csvName('fig-2.25')],
          noData: `No connection with two subflows of ${MIN_RTT_SAMPLES} RTT samples or more.`,
          },
        ctx,
      ),
    ];
  }
}

export class SubflowBlocks implements Builder {
  private readonly samples = new Samples();
  private readonly basis = new BasisCounter();
  private readonly csv: CsvSink;

  constructor(csv: CsvFactory) {
    this.csv = csv(csvName('fig-2.27'), [...TEST_COLUMNS, 'trace', 'connection', 'size_class', 'unique_bytes_down', 'blocks_down', 'packets_down', 'block_packets']);
  }

  add(view: TestView): void {
    const prefix = view.csvPrefix;
    for (const c of view.connections) {
      if (!c.subtraces.t1) continue;
      const blocks = c.blocks.down;
      const packets = blocks.reduce((a, b) => a + b, 0);
      if (packets === 0) continue;
      const cls = sizeClass(c.uniqueBytes.down);
      this.csv.row(prefix, [c.trace, c.id, cls, c.uniqueBytes.down, blocks.length, packets, blocks.join(' ')]);
      // each connection weighs the same, whatever its number of blocks
      blocks.forEach((b, i) => this.samples.add(view.group, view.group.app ?? '', b / packets, 1 / blocks.length, cls, i === 0 ? 1 : 0));
      this.basis.connection(view, c.subflows);
    }
  }

  build(ctx: BuildContext): Item[] {
    const panels = [...new Set(ctx.groups.map((g) => g.app ?? ''))];
    return [
      cdfFigure(
        {
          id: 'fig-2.27',
          title: 'Fig 2.27: size of the subflow blocks from the proxy to the phone',
          caption:
            'Connections with at least 2 established subflows (T1): the proxy\'s data packets in sending order (retransmissions included) cut into maximal runs on one subflow; the CDF of the share of the connection\'s packets each block holds, each connection weighing the same, one curve per connection size (unique bytes from the proxy; KB = 1000 bytes).',
          samples: this.samples,
          basis: this.basis.basis,
          x: { title: 'share of the connection\'s packets in the block', format: '.0%', domain: [0, 1] },
          yTitle: 'share (connections weigh the same)',
          panels: panels.length > 1 ? panels : undefined,
          panelLabel: 'app',
          colorBy: 'category',
          categories: [...SIZE_CLASSES],
          colorTitle: 'connection size',
          unit: 'share',
          better: null,
          countLabel: 'connections',
          thresholds: [
            { label: 'blocks ≤ 20%', x: 0.2 },
            { label: 'blocks < 100% (more than one block)', x: 0.999999 },
          ],
          csv: [csvName('fig-2.27')],
          noData: 'No connection with at least 2 established subflows that carried data from the proxy.',
          },
        ctx,
      ),
    ];
  }
}

const RETRANSMITTED = 'retransmitted';
const REINJECTED = 'reinjected';

export class Overhead implements Builder {
  private readonly samples = new Samples();
  private readonly basis = new BasisCounter();
  private readonly csv: CsvSink;

  constructor(csv: CsvFactory) {
    this.csv = csv(csvName('fig-2.28'), [...TEST_COLUMNS, 'trace', 'connection', 'unique_bytes_down', 'retransmitted_bytes_down', 'reinjected_bytes_down', 'retransmitted_share', 'reinjected_share']);
  }

  add(view: TestView): void {
    const prefix = view.csvPrefix;
    for (const c of view.connections) {
      if (!c.subtraces.t2 || c.uniqueBytes.down <= 0) continue;
      const unique = c.uniqueBytes.down;
      const re = c.retransmittedBytes.down / unique;
      const inj = c.reinjectedBytes.down / unique;
      this.csv.row(prefix, [c.trace, c.id, unique, c.retransmittedBytes.down, c.reinjectedBytes.down, re, inj]);
      this.samples.add(view.group, RETRANSMITTED, re);
      this.samples.add(view.group, REINJECTED, inj);
      this.basis.connection(view, c.subflows);
    }
  }

  build(ctx: BuildContext): Item[] {
    return [
      cdfFigure(
        {
          id: 'fig-2.28',
          title: 'Fig 2.28: bytes retransmitted and reinjected by the proxy',
          caption:
            'Connections with at least 2 subflows that carried data (T2): bytes the proxy sent again on the same subflow (retransmitted) or on another subflow (reinjected), as a share of the unique bytes it sent.',
          samples: this.samples,
          basis: this.basis.basis,
          x: { title: 'share of the unique bytes', log: true, format: '~%' },
          yTitle: 'share of connections',
          panels: [RETRANSMITTED, REINJECTED],
          panelLabel: 'overhead',
          unit: 'share',
          better: 'lower',
          thresholds: [
            { label: 'none', x: 0 },
            { label: '< 1%', x: 0.00999999 },
            { label: '< 10%', x: 0.0999999 },
          ],
          csv: [csvName('fig-2.28')],
          noData: 'No connection with at least 2 subflows that carried data from the proxy.',
          },
        ctx,
      ),
    ];
  }
}

export class HandoverBytes implements Builder {
  private readonly samples = new Samples();
  private readonly basis = new BasisCounter();
  private readonly csv: CsvSink;

  constructor(csv: CsvFactory) {
    this.csv = csv(csvName('fig-2.29'), [...TEST_COLUMNS, 'trace', 'connection', 'unique_bytes_down', 'unique_bytes_down_non_initial', 'share_non_initial']);
  }

  add(view: TestView): void {
    const prefix = view.csvPrefix;
    for (const c of view.connections) {
      if (!c.subtraces.t3 || c.uniqueBytes.down <= 0) continue;
      const subflows = view.subflowsOf(c);
      const later = subflows.filter((s) => s.index > 0).reduce((a, s) => a + s.uniqueBytes.down, 0);
      const share = Math.min(1, later / c.uniqueBytes.down);
      this.csv.row(prefix, [c.trace, c.id, c.uniqueBytes.down, later, share]);
      this.samples.add(view.group, '', share);
      this.basis.connection(view, subflows.length);
    }
  }

  build(ctx: BuildContext): Item[] {
    return [
      cdfFigure(
        {
          id: 'fig-2.29',
          title: 'Fig 2.29: share of the proxy\'s data on non-initial subflows, connections with a handover',
          caption: 'Connections with a handover (T3): the share of the unique bytes the proxy sent on subflows other than the initial one.',
          samples: this.samples,
          basis: this.basis.basis,
          x: { title: 'share of unique bytes on non-initial subflows', format: '.0%', domain: [0, 1] },
          yTitle: 'share of connections',
          unit: 'share',
          better: null,
          thresholds: [
            { label: 'all on the initial subflow', x: 0 },
            { label: '≤ 50%', x: 0.5 },
          ],
          csv: [csvName('fig-2.29')],
          noData: 'No connection with a handover (T3).',
          },
        ctx,
      ),
    ];
  }
}
