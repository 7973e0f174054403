import type { Logger } from '../../common/log.js';
import type { StepRecord } from '../../common/test-result.js';

/**
 * A test's steps, in order, each timed, logged and recorded. The first failure is kept as the
 * test's failure; cleanup steps run after it whatever happened and record their own errors
 * without hiding the first one.
 */
export interface StepEvent {
  name: string;
  index: number;
  total: number;
  state: 'start' | 'ok' | 'failed';
  seconds?: number;
  detail?: string;
}

export class StepRunner {
  readonly records: StepRecord[] = [];
  firstError: { step: string; error: unknown } | null = null;
  private index = 0;

  constructor(
    private readonly total: number,
    private readonly log: Logger,
    private readonly onStep: (event: StepEvent) => void = () => undefined,
  ) {}

  /** Runs a step of the test proper: skipped once an earlier step failed. Returns its value, or undefined when it failed or was skipped. */
  async run<T>(name: string, fn: () => Promise<T>, describe?: (value: T) => string | undefined): Promise<T | undefined> {
    if (this.firstError) return undefined;
    return this.execute(name, fn, describe);
  }

  /** Runs a cleanup step: always, even after a failure. */
  async cleanup<T>(name: string, fn: () => Promise<T>, describe?: (value: T) => string | undefined): Promise<T | undefined> {
    return this.execute(name, fn, describe);
  }

  private async execute<T>(name: string, fn: () => Promise<T>, describe?: (value: T) => string | undefined): Promise<T | undefined> {
    const index = ++this.index;
    const start = Date.now() / 1000;
    this.onStep({ name, index, total: this.total, state: 'start' });
    this.log.info({ step: name }, 'step started');
    try {
      const value = await fn();
      const end = Date.now() / 1000;
      const detail = describe?.(value);
      this.records.push({ name, start, end, ok: true });
      this.log.info({ step: name, seconds: end - start, ...(detail ? { detail } : {}) }, 'step done');
      this.onStep({ name, index, total: this.total, state: 'ok', seconds: end - start, detail });
      return value;
    } catch (error) {
      const end = Date.now() / 1000;
      const message = error instanceof Error ? error.message : String(error);
      this.records.push({ name, start, end, ok: false, error: message });
      this.log.error({ step: name, err: message }, 'step failed');
      this.onStep({ name, index, total: this.total, state: 'failed', seconds: end - start, detail: message });
      if (!this.firstError) this.firstError = { step: name, error };
      return undefined;
    }
  }
}
