import type {} from 'webdriverio';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Band, Measure } from '../../common/test-result.js';
import type { ScenarioDefinition, ScenarioEnvironment, ScenarioOutcome } from './scenario.js';
import { describeSelector, scrollIntoView, wdioSelector, type Selector } from './selectors.js';

/**
 * The one helper every scenario uses: open the app fresh, find views by id, text or description
 * with waits, tap, type, scroll to, go back or home, timed marks and experience measures. A
 * scenario's own failure (a view that never comes, a measure that never completes) throws a
 * ScenarioFailure, which `mplab run` records as "failed" with its evidence; anything else (the
 * session lost, adb gone) is an infrastructure error.
 */
export class ScenarioFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioFailure';
  }
}

/** How long a view is waited for unless a step says otherwise (seconds). */
export const DEFAULT_WAIT_S = 15;

export class ScenarioKit {
  readonly package: string;
  readonly outcome: ScenarioOutcome = { marks: [], measures: [] };
  private readonly started = performance.now();

  constructor(
    readonly scenario: ScenarioDefinition,
    readonly env: ScenarioEnvironment,
  ) {
    this.package = scenario.app.package;
  }

  /** The Appium session (WebdriverIO); a scenario declared `ui: false` has none. */
  get driver(): WebdriverIO.Browser {
    if (!this.env.driver) throw new Error(`scenario ${this.scenario.name} declares ui: false and has no Appium session`);
    return this.env.driver;
  }

  /** A parameter's value (the default unless `mplab run --param` gave another). */
  param<T extends string | number | boolean>(name: string): T {
    if (!(name in this.scenario.params)) throw new Error(`scenario ${this.scenario.name} has no parameter ${name}`);
    return (this.env.params[name] ?? this.scenario.params[name].default) as T;
  }

  get log() {
    return this.env.log;
  }

  /** Seconds since the scenario started. */
  now(): number {
    return (performance.now() - this.started) / 1000;
  }

  mark(name: string): number {
    const t = Number(this.now().toFixed(3));
    this.outcome.marks.push({ name, t });
    this.log.info({ mark: name, t }, 'mark');
    return t;
  }

  /** Seconds between two marks (the last of each name). */
  between(from: string, to: string): number {
    const at = (name: string) => {
      const m = this.outcome.marks.findLast((x) => x.name === name);
      if (!m) throw new Error(`no mark ${name}`);
      return m.t;
    };
    return Number((at(to) - at(from)).toFixed(3));
  }

  measure(measure: Measure): void {
    this.outcome.measures.push(measure);
    this.log.info({ measure }, 'measure');
  }

  /** A time measure in seconds, with its band when the kind has bands. */
  measureSeconds(name: string, value: number | null, opts: { item?: string; band?: (s: number) => Band } = {}): void {
    this.measure({ name, ...(opts.item ? { item: opts.item } : {}), value, unit: 's', ...(value !== null && opts.band ? { band: opts.band(value) } : {}) });
  }

  private checkAborted(): void {
    if (this.env.signal.aborted) throw new ScenarioFailure(`stopped: ${String(this.env.signal.reason ?? 'the test ran over its time cap')}`);
  }

  /** Waits, or fails when the test is stopped meanwhile. */
  async pause(seconds: number): Promise<void> {
    this.checkAborted();
    await sleep(seconds * 1000, undefined, { signal: this.env.signal }).catch(() => this.checkAborted());
  }

  /** The app: force-stopped, its data cleared, launched, and in front. */
  async openFresh(): Promise<void> {
    await this.env.phone.resetApp(this.package);
    await this.launch();
  }

  /**
   * Starts the app's launcher activity with `am start` through mplab's quoted adb shell rather than
   * the driver's activateApp: appium-adb 8 passes the resolved activity unquoted to the phone's
   * shell, so a launcher such as YouTube's `.app.honeycomb.Shell$HomeActivity` loses its `$...`.
   */
  async launch(): Promise<void> {
    const { phone } = this.env;
    const resolved = await phone.shell(['cmd', 'package', 'resolve-activity', '--brief', this.package]);
    const component = resolved.stdout.trim().split('\n').pop()?.trim() ?? '';
    if (resolved.exitCode !== 0 || !component.includes('/')) {
      throw new ScenarioFailure(`${this.scenario.app.label} (${this.package}) has no launcher activity: ${component || resolved.stderr.trim()}`);
    }
    const start = await phone.shell(['am', 'start', '-W', '-a', 'android.intent.action.MAIN', '-c', 'android.intent.category.LAUNCHER', '-f', '0x10200000', '-n', component]);
    if (start.exitCode !== 0 || /^Error/m.test(start.stdout)) {
      throw new ScenarioFailure(`am start of ${component} failed: ${(start.stdout + start.stderr).trim()}`);
    }
    await this.until(async () => (await this.driver.getCurrentPackage()) === this.package, DEFAULT_WAIT_S, `${this.scenario.app.label} (${this.package}) did not come to the front`);
  }

  /** Polls `check` every `everyMs` until it is true, or fails with `what` after `timeoutS`. */
  async until(check: () => Promise<boolean>, timeoutS: number, what: string, everyMs = 200): Promise<void> {
    const deadline = performance.now() + timeoutS * 1000;
    for (;;) {
      this.checkAborted();
      if (await check()) return;
      if (performance.now() >= deadline) throw new ScenarioFailure(`${what} within ${timeoutS} s`);
      await this.pause(everyMs / 1000);
    }
  }

  private async query(sel: Selector): Promise<WebdriverIO.Element> {
    return this.driver.$(wdioSelector(sel, this.package)).getElement();
  }

  /** The view, once it exists (waited for up to `timeoutS`). */
  async find(sel: Selector, timeoutS = DEFAULT_WAIT_S): Promise<WebdriverIO.Element> {
    const deadline = performance.now() + timeoutS * 1000;
    for (;;) {
      this.checkAborted();
      const el = await this.query(sel);
      if (await el.isExisting()) return el;
      if (performance.now() >= deadline) {
        const front = await this.driver.getCurrentPackage().catch(() => 'unknown');
        throw new ScenarioFailure(`${describeSelector(sel)} did not appear within ${timeoutS} s (in front: ${front})`);
      }
      await this.pause(0.15);
    }
  }

  /** Whether the view is on screen now (no waiting). */
  async exists(sel: Selector): Promise<boolean> {
    return (await this.query(sel)).isExisting();
  }

  async tap(sel: Selector, timeoutS = DEFAULT_WAIT_S): Promise<void> {
    await (await this.find(sel, timeoutS)).click();
  }

  /** Replaces a field's text. */
  async type(sel: Selector, text: string, timeoutS = DEFAULT_WAIT_S): Promise<void> {
    await (await this.find(sel, timeoutS)).setValue(text);
  }

  async text(sel: Selector, timeoutS = DEFAULT_WAIT_S): Promise<string> {
    return (await this.find(sel, timeoutS)).getText();
  }

  /** Waits until the view's text satisfies `test` (a pattern or a predicate); returns the text. */
  async waitForText(sel: Selector, test: RegExp | ((text: string) => boolean), timeoutS: number, what?: string): Promise<string> {
    const ok = typeof test === 'function' ? test : (t: string) => test.test(t);
    let last = '';
    await this.until(
      async () => {
        const el = await this.query(sel);
        last = (await el.isExisting()) ? await el.getText() : '';
        return ok(last);
      },
      timeoutS,
      `${what ?? `${describeSelector(sel)} to read ${String(test)}`} (last seen: ${JSON.stringify(last)})`,
    );
    return last;
  }

  /** The view, scrolling the screen's list until it shows when it is not on screen already. */
  async scrollTo(sel: Selector): Promise<WebdriverIO.Element> {
    const shown = await this.query(sel);
    if (await shown.isExisting()) return shown;
    const el = await this.driver.$(`android=${scrollIntoView(sel, this.package)}`).getElement();
    if (!(await el.isExisting())) throw new ScenarioFailure(`${describeSelector(sel)} not found by scrolling the list`);
    return el;
  }

  /** Waits until the view is gone (a spinner, a progress bar). */
  async waitGone(sel: Selector, timeoutS = DEFAULT_WAIT_S): Promise<void> {
    await this.until(async () => !(await this.exists(sel)), timeoutS, `${describeSelector(sel)} still on screen`);
  }

  /** The view's content description (its accessibility text), or null when it is not on screen. */
  async description(sel: Selector): Promise<string | null> {
    const el = await this.query(sel);
    return (await el.isExisting()) ? el.getAttribute('content-desc') : null;
  }

  /** Presses Enter (submits a search field or an address bar). */
  async enter(): Promise<void> {
    await this.driver.pressKeyCode(66);
  }

  /** Puts `bytes` on the phone as `remote` (through adb, as a user copies a file onto the phone). */
  async pushFile(name: string, bytes: Buffer, remote: string): Promise<void> {
    const local = path.join(this.env.workDir, name);
    await writeFile(local, bytes);
    await this.env.phone.push(local, remote);
    await rm(local, { force: true });
  }

  async back(): Promise<void> {
    await this.driver.back();
  }

  async home(): Promise<void> {
    await this.driver.pressKeyCode(3);
  }
}

/**
 * Runs a scenario's steps on its kit; the marks and measures are on `kit.outcome` whatever
 * happens. When the kit's signal aborts (the time cap, a stopped run) it returns at once with a
 * ScenarioFailure, even if a step is stuck in a call that does not watch the signal.
 */
export async function runScenario(kit: ScenarioKit): Promise<void> {
  const signal = kit.env.signal;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => reject(new ScenarioFailure(`stopped: ${String(signal.reason ?? 'the test ran over its time cap')}`));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  stopped.catch(() => undefined);
  try {
    await Promise.race([
      (async () => {
        await kit.scenario.prepare?.(kit);
        await kit.scenario.run(kit);
      })(),
      stopped,
    ]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
