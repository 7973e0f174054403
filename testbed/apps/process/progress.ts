import { every, type Emit } from './channel.js';
import type { JobEvent } from './protocol.js';
import { errorText } from './jobs/run.js';

/**
 * A transfer's progress as a job reports it: the bytes so far (and the total when known) four
 * times a second, then "done" with the time it took, or "error".
 */
export class Progress {
  bytes = 0;
  total: number | null = null;
  items: { done: number; total: number } | undefined;
  private readonly started = Date.now();
  private readonly stop: () => void;

  constructor(private readonly emit: Emit) {
    this.stop = every(250, () => emit({ type: 'progress', bytes: this.bytes, total: this.total, ...(this.items ? { items: { ...this.items } } : {}) }));
  }

  done(extra: Omit<Extract<JobEvent, { type: 'done' }>, 'type' | 'bytes' | 'ms'> = {}): void {
    this.stop();
    this.emit({ type: 'done', bytes: this.bytes, ms: Date.now() - this.started, ...extra });
  }

  /** No more reports (the job was cancelled). */
  close(): void {
    this.stop();
  }

  fail(error: unknown): void {
    this.stop();
    this.emit({ type: 'error', message: errorText(error) });
  }
}
