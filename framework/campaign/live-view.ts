import type { CampaignEvent } from './campaign-runner.js';
import type { CampaignStore, Counts } from './store/store.js';

/**
 * What a campaign shows while it runs. On a terminal: a block of lines redrawn in place, one per
 * phone (its test and step), then tests done / total, passed / failed / error / skipped and the
 * time left (the mean time of a finished test times the tests left, over the phones). Elsewhere
 * nothing here: the pino JSON lines of the runner say it all.
 */
export interface PhoneLine {
  test: string | null;
  step: string | null;
  out: string | null;
}

export function estimateLeftS(doneSeconds: number[], left: number, phones: number): number | null {
  if (doneSeconds.length === 0 || phones === 0) return null;
  const mean = doneSeconds.reduce((a, b) => a + b, 0) / doneSeconds.length;
  return (mean * left) / phones;
}

export function formatDuration(s: number | null): string {
  if (s === null) return '?';
  const m = Math.round(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : s >= 60 ? `${m} min` : `${Math.round(s)} s`;
}

export class LiveView {
  private readonly phones = new Map<string, PhoneLine>();
  private drawn = 0;
  private readonly seconds: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The counts last read: the store is closed once the campaign ends, before the last redraw. */
  private counts: Counts = { pending: 0, running: 0, passed: 0, failed: 0, error: 0, skipped: 0, total: 0 };

  constructor(
    private readonly stream: NodeJS.WriteStream,
    phones: string[],
    private readonly store: CampaignStore,
    private readonly campaignId: string,
  ) {
    for (const p of phones) this.phones.set(p, { test: null, step: null, out: null });
    this.timer = setInterval(() => this.draw(), 1_000);
    this.timer.unref();
  }

  event(e: CampaignEvent): void {
    if (e.type === 'test-start') this.phones.set(e.phone, { test: `${e.test.scenario} ${e.test.mode} ${e.test.network} #${e.test.repetition}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`, step: 'starting', out: null });
    if (e.type === 'step') {
      const line = this.phones.get(e.phone);
      if (line) line.step = `${e.step.index}/${e.step.total} ${e.step.name}${e.step.state === 'failed' ? ' FAILED' : ''}`;
    }
    if (e.type === 'test-end') {
      const line = this.phones.get(e.phone);
      if (line) this.phones.set(e.phone, { test: null, step: `last: ${e.state}${e.reason ? ` (${e.reason.slice(0, 60)})` : ''}`, out: line.out });
      const t = this.store.test(e.test.id);
      if (t.seconds !== null && e.state !== 'pending') this.seconds.push(t.seconds);
      this.counts = this.store.counts(this.campaignId);
    }
    if (e.type === 'phone-out') this.phones.set(e.phone, { test: null, step: null, out: e.why });
    this.draw();
  }

  lines(): string[] {
    if (this.store.db.open) this.counts = this.store.counts(this.campaignId);
    const c = this.counts;
    const done = c.passed + c.failed + c.error + c.skipped;
    const active = [...this.phones.values()].filter((p) => !p.out).length;
    const width = this.stream.columns ?? 100;
    const rows = [...this.phones.entries()].map(([phone, l]) => (l.out ? `${phone}: out of the campaign: ${l.out}` : `${phone}: ${l.test ?? 'idle'}${l.step ? ` | ${l.step}` : ''}`));
    rows.push(`${done}/${c.total} done: ${c.passed} passed, ${c.failed} failed, ${c.error} error, ${c.skipped} skipped; about ${formatDuration(estimateLeftS(this.seconds, c.pending + c.running, active))} left`);
    return rows.map((r) => (r.length > width - 1 ? `${r.slice(0, width - 2)}…` : r));
  }

  draw(): void {
    const lines = this.lines();
    let out = this.drawn ? `\x1b[${this.drawn}F` : '';
    for (const l of lines) out += `\x1b[2K${l}\n`;
    this.stream.write(out);
    this.drawn = lines.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.draw();
  }
}
