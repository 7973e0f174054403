/**
 * Progress for long work. On a terminal: one line on stderr, redrawn at most every 200 ms.
 * Elsewhere: a log-friendly line every `intervalMs` (default 5 s), so CI logs show that work goes on.
 */
export interface Progress {
  update(done: number, detail?: string): void;
  finish(detail?: string): void;
}

export interface ProgressOptions {
  label: string;
  total?: number;
  unit?: string;
  intervalMs?: number;
  stream?: NodeJS.WriteStream;
  enabled?: boolean;
}

export function progress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const interval = opts.intervalMs ?? (tty ? 200 : 5000);
  const started = Date.now();
  let last = 0;
  let lastDone = 0;
  const enabled = opts.enabled ?? true;

  const line = (done: number, detail?: string): string => {
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const pct = opts.total ? ` ${((100 * done) / opts.total).toFixed(1)}%` : '';
    const of = opts.total ? `/${fmt(opts.total)}` : '';
    const unit = opts.unit ? ` ${opts.unit}` : '';
    return `${opts.label}: ${fmt(done)}${of}${unit}${pct}, ${fmt(rate)}${unit}/s, ${secs.toFixed(1)} s${detail ? `, ${detail}` : ''}`;
  };

  return {
    update(done, detail) {
      lastDone = done;
      if (!enabled) return;
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      stream.write(tty ? `\r\x1b[K${line(done, detail)}` : `${line(done, detail)}\n`);
    },
    finish(detail) {
      if (!enabled) return;
      stream.write(tty ? `\r\x1b[K${line(lastDone, detail)}\n` : `${line(lastDone, detail)}\n`);
    },
  };
}

function fmt(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}
