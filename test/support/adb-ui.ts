import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';

/**
 * A phone's screen driven over adb alone, as a test drives an app without Appium: the view
 * hierarchy from `uiautomator dump`, views found by resource id, text or description, and
 * touches with `input tap` / `input swipe` at their centres.
 *
 *   const ui = new AdbUi('127.0.0.1:6601');
 *   await ui.tap({ id: 'com.whatsapp:id/fab' });
 *   await ui.waitFor({ desc: /Delivered/ }, 5000);
 */
export interface View {
  resourceId: string;
  text: string;
  desc: string;
  className: string;
  package: string;
  bounds: [number, number, number, number];
  attributes: Record<string, string>;
}

export interface Selector {
  id?: string;
  text?: string | RegExp;
  desc?: string | RegExp;
}

const DUMP = '/sdcard/window_dump.xml';

function unescape(text: string): string {
  return text.replace(/&(lt|gt|amp|apos|quot|#10);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"', '#10': '\n' })[e]!);
}

/** The views of a `uiautomator dump`, in document order. */
export function parseDump(xml: string): View[] {
  const views: View[] = [];
  for (const match of xml.matchAll(/<node ([^>]*?)\/?>/g)) {
    const attributes: Record<string, string> = {};
    for (const a of match[1].matchAll(/([\w-]+)="([^"]*)"/g)) attributes[a[1]] = unescape(a[2]);
    const b = /\[(\d+),(\d+)\]\[(\d+),(\d+)\]/.exec(attributes.bounds ?? '');
    views.push({
      resourceId: attributes['resource-id'] ?? '',
      text: attributes.text ?? '',
      desc: attributes['content-desc'] ?? '',
      className: attributes.class ?? '',
      package: attributes.package ?? '',
      bounds: b ? [Number(b[1]), Number(b[2]), Number(b[3]), Number(b[4])] : [0, 0, 0, 0],
      attributes,
    });
  }
  return views;
}

function matches(value: string, wanted: string | RegExp | undefined): boolean {
  if (wanted === undefined) return true;
  return typeof wanted === 'string' ? value === wanted : wanted.test(value);
}

export function describeSelector(s: Selector): string {
  return Object.entries(s)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

export class AdbUi {
  constructor(readonly serial: string) {}

  async shell(command: string): Promise<string> {
    const r = await execa('adb', ['-s', this.serial, 'shell', command], { reject: false, timeout: 30_000 });
    if (r.exitCode !== 0) throw new Error(`adb shell ${command}: exit ${r.exitCode}: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  async views(): Promise<View[]> {
    return parseDump(await this.shell(`uiautomator dump ${DUMP} >/dev/null && cat ${DUMP}`));
  }

  async find(selector: Selector): Promise<View | undefined> {
    return (await this.views()).find((v) => (selector.id === undefined || v.resourceId === selector.id) && matches(v.text, selector.text) && matches(v.desc, selector.desc));
  }

  async waitFor(selector: Selector, timeoutMs = 10_000): Promise<View> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.find(selector);
      if (view) return view;
      if (Date.now() > deadline) throw new Error(`no view ${describeSelector(selector)} on the screen within ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  async waitGone(selector: Selector, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (await this.find(selector)) {
      if (Date.now() > deadline) throw new Error(`the view ${describeSelector(selector)} is still on the screen after ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  async tapAt(x: number, y: number): Promise<void> {
    await this.shell(`input tap ${Math.round(x)} ${Math.round(y)}`);
  }

  async tap(selector: Selector, timeoutMs = 10_000): Promise<View> {
    const view = await this.waitFor(selector, timeoutMs);
    const [l, t, r, b] = view.bounds;
    await this.tapAt((l + r) / 2, (t + b) / 2);
    return view;
  }

  /** Types into the focused field (`input text`, spaces as %s). */
  async type(text: string): Promise<void> {
    if (!/^[A-Za-z0-9 .,!?-]*$/.test(text)) throw new Error(`type: only letters, digits, spaces and .,!?- (got ${JSON.stringify(text)})`);
    await this.shell(`input text ${text.replace(/ /g, '%s')}`);
  }

  /** Swipes up in the middle of the screen (a list scrolls down) until the view appears. */
  async scrollTo(selector: Selector, maxSwipes = 15): Promise<View> {
    for (let i = 0; i < maxSwipes; i++) {
      const view = await this.find(selector);
      if (view) return view;
      await this.shell('input swipe 540 1800 540 900 300');
    }
    return this.waitFor(selector, 1000);
  }
}
