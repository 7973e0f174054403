/** Tables 2.4 (destination ports), 2.5 (subtraces), 2.6 (subflows per connection) and the unused subflows, per group. */
import { BasisCounter, basisText, type Builder, type BuildContext, type TestView } from '../builder.js';
import type { Group } from '../groups.js';
import type { Cell, Item, Table } from '../output.js';
import { capitalize, csvName } from './common.js';

/** Per group, a state made on first use. */
class PerGroup<T> {
  readonly map = new Map<string, { group: Group; value: T }>();
  constructor(private readonly make: () => T) {}

  of(group: Group): T {
    let entry = this.map.get(group.key);
    if (!entry) this.map.set(group.key, (entry = { group, value: this.make() }));
    return entry.value;
  }

  ordered(groups: readonly Group[]): { group: Group; value: T }[] {
    return groups.filter((g) => this.map.has(g.key)).map((g) => this.map.get(g.key)!);
  }
}

function table(id: string, title: string, caption: string, basis: BasisCounter, columns: Table['columns'], rows: Cell[][]): Table {
  return { kind: 'table', id, title, caption: `${caption} ${capitalize(basisText(basis.basis))}.`, basis: basis.basis, columns, rows, csv: csvName(id) };
}

/** Ports shown per group before the rest is summed as "others". */
const TOP_PORTS = 6;

export class DestinationPorts implements Builder {
  private readonly ports = new PerGroup(() => new Map<number | null, { connections: number; bytes: number }>());
  private readonly basis = new BasisCounter();

  add(view: TestView): void {
    const ports = this.ports.of(view.group);
    for (const c of view.connections) {
      const port = c.target?.port ?? null;
      let p = ports.get(port);
      if (!p) ports.set(port, (p = { connections: 0, bytes: 0 }));
      p.connections++;
      p.bytes += c.bytes.up + c.bytes.down;
      this.basis.connection(view, c.subflows);
    }
  }

  build(ctx: BuildContext): Item[] {
    const rows: Cell[][] = [];
    for (const { group, value } of this.ports.ordered(ctx.groups)) {
      const list = [...value.entries()].sort((a, b) => b[1].connections - a[1].connections || (a[0] ?? 1e6) - (b[0] ?? 1e6));
      const totalConnections = list.reduce((a, [, v]) => a + v.connections, 0);
      const totalBytes = list.reduce((a, [, v]) => a + v.bytes, 0);
      const shown = list.slice(0, TOP_PORTS);
      const rest = list.slice(TOP_PORTS);
      const row = (port: string, v: { connections: number; bytes: number }): Cell[] => [
        group.label,
        port,
        v.connections,
        totalConnections > 0 ? v.connections / totalConnections : null,
        v.bytes,
        totalBytes > 0 ? v.bytes / totalBytes : null,
      ];
      for (const [port, v] of shown) rows.push(row(port === null ? 'unknown' : String(port), v));
      if (rest.length > 0) rows.push(row(`others (${rest.length})`, rest.reduce((a, [, v]) => ({ connections: a.connections + v.connections, bytes: a.bytes + v.bytes }), { connections: 0, bytes: 0 })));
    }
    return [
      table(
        'table-2.4',
        'Table 2.4: destination ports',
        'The port each connection asked the proxy for (its SOCKS request, or the proxy log); "unknown" when neither says. Bytes: payload, both directions.',
        this.basis,
        [
          { key: 'group', label: 'group' },
          { key: 'port', label: 'port' },
          { key: 'connections', label: '# connections', format: 'count' },
          { key: 'connectionShare', label: '% connections', format: 'share' },
          { key: 'bytes', label: 'bytes', format: 'bytes' },
          { key: 'byteShare', label: '% bytes', format: 'share' },
        ],
        rows,
      ),
    ];
  }
}

const SUBTRACES = [
  { key: 'T0', description: 'all connections' },
  { key: 'T1', description: 'at least 2 established subflows' },
  { key: 'T2', description: 'at least 2 subflows that carried data' },
  { key: 'T3', description: 'with a handover' },
] as const;

export class Subtraces implements Builder {
  private readonly counts = new PerGroup(() => SUBTRACES.map(() => ({ connections: 0, up: 0, down: 0 })));
  private readonly basis = new BasisCounter();

  add(view: TestView): void {
    const counts = this.counts.of(view.group);
    for (const c of view.connections) {
      const member = [true, c.subtraces.t1, c.subtraces.t2, c.subtraces.t3];
      member.forEach((m, i) => {
        if (!m) return;
        counts[i].connections++;
        counts[i].up += c.bytes.up;
        counts[i].down += c.bytes.down;
      });
      this.basis.connection(view, c.subflows);
    }
  }

  build(ctx: BuildContext): Item[] {
    const rows: Cell[][] = [];
    for (const { group, value } of this.counts.ordered(ctx.groups)) {
      SUBTRACES.forEach((t, i) => rows.push([group.label, t.key, t.description, value[i].connections, value[0].connections > 0 ? value[i].connections / value[0].connections : null, value[i].up, value[i].down]));
    }
    return [
      table(
        'table-2.5',
        'Table 2.5: subtraces',
        'Connections in each subtrace and their payload bytes to and from the proxy.',
        this.basis,
        [
          { key: 'group', label: 'group' },
          { key: 'subtrace', label: 'subtrace' },
          { key: 'description', label: 'description' },
          { key: 'connections', label: '# connections', format: 'count' },
          { key: 'share', label: '% of T0', format: 'share' },
          { key: 'up', label: 'bytes to proxy', format: 'bytes' },
          { key: 'down', label: 'bytes from proxy', format: 'bytes' },
        ],
        rows,
      ),
    ];
  }
}

const COUNT_CLASSES = ['1', '2', '3', '4', '5', '>5'] as const;

export class SubflowsPerConnection implements Builder {
  private readonly counts = new PerGroup(() => [0, 0, 0, 0, 0, 0]);
  private readonly basis = new BasisCounter();

  add(view: TestView): void {
    const counts = this.counts.of(view.group);
    for (const c of view.connections) {
      counts[Math.min(c.subflows, 6) - 1]++;
      this.basis.connection(view, c.subflows);
    }
  }

  build(ctx: BuildContext): Item[] {
    const rows: Cell[][] = this.counts.ordered(ctx.groups).map(({ group, value }) => {
      const total = value.reduce((a, b) => a + b, 0);
      return [group.label, total, ...value.map((n) => (total > 0 ? n / total : null))];
    });
    return [
      table(
        'table-2.6',
        'Table 2.6: subflows per connection',
        'Share of connections (MPTCP and plain TCP) with 1, 2, ... subflows, counting subflows whose handshake never completed.',
        this.basis,
        [{ key: 'group', label: 'group' }, { key: 'connections', label: '# connections', format: 'count' }, ...COUNT_CLASSES.map((k) => ({ key: k, label: k, format: 'share' as const }))],
        rows,
      ),
    ];
  }
}

const REASONS = ['backup', 'not-established', 'late', 'higher-rtt', 'other'] as const;
const REASON_LABELS: Record<(typeof REASONS)[number], string> = {
  backup: 'backup',
  'not-established': 'not established',
  late: 'late (after the last data)',
  'higher-rtt': 'higher RTT',
  other: 'other',
};

export class UnusedSubflows implements Builder {
  private readonly counts = new PerGroup(() => ({ subflows: 0, unused: 0, additional: 0, unusedAdditional: 0, reasons: REASONS.map(() => 0) }));
  private readonly basis = new BasisCounter();

  add(view: TestView): void {
    const counts = this.counts.of(view.group);
    for (const c of view.connections) {
      if (c.subflows < 2) continue;
      const subflows = view.subflowsOf(c);
      for (const s of subflows) {
        counts.subflows++;
        if (!s.used) counts.unused++;
        if (s.index === 0) continue;
        counts.additional++;
        if (s.used) continue;
        counts.unusedAdditional++;
        const r = REASONS.indexOf(s.unusedReason ?? 'other');
        counts.reasons[r < 0 ? REASONS.length - 1 : r]++;
      }
      this.basis.connection(view, subflows.length);
    }
  }

  build(ctx: BuildContext): Item[] {
    const share = (a: number, b: number) => (b > 0 ? a / b : null);
    const rows: Cell[][] = this.counts.ordered(ctx.groups).map(({ group, value: v }) => [
      group.label,
      v.subflows,
      share(v.unused, v.subflows),
      v.additional,
      v.unusedAdditional,
      share(v.unusedAdditional, v.additional),
      ...v.reasons.map((n) => share(n, v.unusedAdditional)),
    ]);
    return [
      table(
        'table-unused',
        'Unused subflows and why',
        'Subflows of connections with at least 2 subflows that carried no payload either way; the reasons are shares of the unused additional subflows: flagged backup, handshake not completed, established after the proxy\'s last data, a higher RTT than a used subflow, or none of these.',
        this.basis,
        [
          { key: 'group', label: 'group' },
          { key: 'subflows', label: 'subflows', format: 'count' },
          { key: 'unusedShare', label: '% unused', format: 'share' },
          { key: 'additional', label: 'additional subflows', format: 'count' },
          { key: 'unusedAdditional', label: 'unused additional', format: 'count' },
          { key: 'unusedAdditionalShare', label: '% unused additional', format: 'share' },
          ...REASONS.map((r) => ({ key: r, label: REASON_LABELS[r], format: 'share' as const })),
        ],
        rows,
      ),
    ];
  }
}
