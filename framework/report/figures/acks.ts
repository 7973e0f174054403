/** Fig 2.26: bytes newly acknowledged per TCP ACK and per Data ACK, CDFs weighted by bytes. */
import { BasisCounter, Samples, type Builder, type BuildContext, type CsvFactory, type TestView } from '../builder.js';
import type { CsvSink } from '../csv.js';
import type { Group } from '../groups.js';
import type { AckBin } from '../../../analysis/records.js';
import type { ConnectionRecord } from '../model.js';
import type { Item } from '../output.js';
import { cdfFigure, csvName } from './common.js';
import { TEST_COLUMNS } from './connections.js';

const TCP = 'TCP ACKs';
const DATA = 'Data ACKs';

type Bin = AckBin;

/**
 * The largest size of the bin that starts at `low`: bins are quarter octaves (1, 2, 3, 4, 5, 6, 7,
 * 8, 10, 12, 14, 16, 20, ...), so the next bin starts at low + 2^(e - 2) for low >= 4 = 2^e...
 */
export function binHigh(low: number): number {
  if (low < 4) return low;
  const e = Math.floor(Math.log2(low));
  return low + 2 ** (e - 2) - 1;
}

export class AckSizes implements Builder {
  /** per series, bytes acknowledged per bin: the CDF is built from these few values */
  private readonly bins = new Map<string, { group: Group; panel: string; category: string; bytes: Map<number, number>; acks: number }>();
  private readonly basis = new BasisCounter();
  private readonly csv: CsvSink;
  private withoutField = 0;
  private connections = 0;

  constructor(csv: CsvFactory) {
    this.csv = csv(csvName('fig-2.26'), [...TEST_COLUMNS, 'trace', 'connection', 'level', 'bin_low_bytes', 'bin_high_bytes', 'acks', 'bytes_acked']);
  }

  private addBins(view: TestView, c: ConnectionRecord, category: string, bins: readonly Bin[]): void {
    const prefix = view.csvPrefix;
    const panel = view.group.app ?? '';
    const key = `${view.group.key}\u0002${panel}\u0002${category}`;
    let s = this.bins.get(key);
    if (!s) this.bins.set(key, (s = { group: view.group, panel, category, bytes: new Map(), acks: 0 }));
    for (const [low, acks, bytes] of bins) {
      const high = binHigh(low);
      this.csv.row(prefix, [c.trace, c.id, category === TCP ? 'tcp' : 'data', low, high, acks, bytes]);
      s.bytes.set(high, (s.bytes.get(high) ?? 0) + bytes);
      s.acks += acks;
    }
  }

  add(view: TestView): void {
    for (const c of view.connections) {
      this.connections++;
      const sizes = c.ackSizes;
      if (!sizes) {
        this.withoutField++;
        continue;
      }
      // ACKs the proxy received: the phone acknowledging the proxy's data
      const down = sizes.down;
      if (down.tcp.length === 0 && down.data.length === 0) continue;
      this.addBins(view, c, TCP, down.tcp);
      this.addBins(view, c, DATA, down.data);
      this.basis.connection(view, c.subflows);
    }
  }

  build(ctx: BuildContext): Item[] {
    // one value per bin, weighing the bytes acknowledged in it; the series counts ACKs
    const samples = new Samples();
    for (const s of this.bins.values()) {
      const sortedBins = [...s.bytes.entries()].sort((a, b) => a[0] - b[0]);
      sortedBins.forEach(([high, bytes], i) => samples.add(s.group, s.panel, high, bytes, s.category, i === 0 ? s.acks : 0));
    }
    const panels = [...new Set(ctx.groups.map((g) => g.app ?? ''))];
    const fig = cdfFigure(
      {
        id: 'fig-2.26',
        title: 'Fig 2.26: size of the TCP ACKs and Data ACKs the proxy received',
        caption:
          'Bytes newly acknowledged by each non-duplicate TCP ACK (subflow level) and by each Data ACK (connection level) of the phone, as CDFs weighted by the bytes each acknowledges (sizes in quarter-octave bins: a point is the largest size of its bin).',
        samples,
        basis: this.basis.basis,
        x: { title: 'bytes acknowledged by one ACK', log: true, format: '~s' },
        yTitle: 'share of acknowledged bytes',
        panels: panels.length > 1 ? panels : undefined,
        panelLabel: 'app',
        colorBy: 'category',
        categories: [TCP, DATA],
        colorTitle: 'acknowledgment',
        unit: 'bytes',
        better: null,
        countLabel: 'ACKs',
        thresholds: [
          { label: '≤ 1428 B', x: 1428 },
          { label: '≤ 2856 B', x: 2856 },
          { label: '≤ 20 KB', x: 20_000 },
        ],
        csv: [csvName('fig-2.26')],
        noData:
          this.withoutField === this.connections && this.connections > 0
            ? 'The analyzer output has no ACK sizes (ackSizes): it was written by an mplab analyze older than this report. Run mplab analyze again on the captures.'
            : 'No connection in which the phone acknowledged data from the proxy.',
      },
      ctx,
    );
    if (this.withoutField > 0 && this.withoutField < this.connections) {
      fig.notes.push(`${this.withoutField.toLocaleString('en-US')} connections come from analyzer output without ACK sizes and are left out.`);
    }
    return [fig];
  }
}
