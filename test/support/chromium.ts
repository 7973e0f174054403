import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import CDP from 'chrome-remote-interface';
import { execa, type ResultPromise } from 'execa';

/**
 * Debian's headless Chromium driven over the DevTools protocol: opens a local page, records
 * console errors, uncaught exceptions and every request the page makes, evaluates expressions and
 * takes full-page screenshots. A fresh profile per browser, removed on close; nothing is
 * downloaded (no browser of its own, unlike test runners that fetch one).
 */
export interface OpenedPage {
  /** console.error/assert, uncaught exceptions and log entries of level error */
  errors: string[];
  /** URLs the page requested (the page itself included) */
  requests: string[];
  evaluate<T>(expression: string): Promise<T>;
  /** the whole page, or the part from `top` of `height` CSS pixels */
  screenshot(file: string, part?: { top: number; height: number }): Promise<void>;
  /** the page's height in CSS pixels */
  height(): Promise<number>;
  close(): Promise<void>;
}

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

async function devtoolsPort(browser: ResultPromise): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not open its DevTools port in 30 s: ${text}`)), 30_000);
    browser.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    browser.catch((err: unknown) => {
      clearTimeout(timer);
      reject(err instanceof Error ? err : new Error(String(err)));
    });
  });
}

export async function openInChromium(file: string, width = 1400): Promise<OpenedPage> {
  const profile = mkdtempSync(join(tmpdir(), 'mplab-chromium-'));
  const browser = execa('chromium', [...FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-port=0', '--window-size=1400,900', 'about:blank'], {
    reject: false,
    stdin: 'ignore',
    stdout: 'ignore',
    buffer: false,
  });
  const close = async () => {
    browser.kill('SIGTERM');
    await browser;
    rmSync(profile, { recursive: true, force: true });
  };
  let client: CDP.Client;
  try {
    const port = await devtoolsPort(browser);
    client = await CDP({ port, target: (targets: CDP.Target[]) => targets.findIndex((t) => t.type === 'page') });
  } catch (err) {
    await close();
    throw err;
  }
  const errors: string[] = [];
  const requests: string[] = [];
  client.Runtime.consoleAPICalled((e) => {
    if (e.type === 'error' || e.type === 'assert') errors.push(`console.${e.type}: ${e.args.map((a) => a.value ?? a.description).join(' ')}`);
  });
  client.Runtime.exceptionThrown((e) => errors.push(`exception: ${e.exceptionDetails.exception?.description ?? e.exceptionDetails.text}`));
  client.Log.entryAdded((e) => {
    if (e.entry.level === 'error') errors.push(`log: ${e.entry.text} ${e.entry.url ?? ''}`.trim());
  });
  client.Network.requestWillBeSent((e) => requests.push(e.request.url));
  await Promise.all([client.Runtime.enable(), client.Log.enable(), client.Network.enable({}), client.Page.enable()]);
  await client.Emulation.setDeviceMetricsOverride({ width, height: 900, deviceScaleFactor: 1, mobile: false });
  const loaded = client.Page.loadEventFired();
  await client.Page.navigate({ url: pathToFileURL(file).href });
  await loaded;

  return {
    errors,
    requests,
    async evaluate<T>(expression: string): Promise<T> {
      const r = await client.Runtime.evaluate({ expression, returnByValue: true });
      if (r.exceptionDetails) throw new Error(`evaluating ${expression}: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
      return r.result.value as T;
    },
    async screenshot(out: string, part?: { top: number; height: number }): Promise<void> {
      const metrics = await client.Page.getLayoutMetrics();
      const size = metrics.cssContentSize ?? metrics.contentSize;
      const top = part?.top ?? 0;
      const height = Math.min(part?.height ?? Infinity, Math.ceil(size.height) - top);
      const shot = await client.Page.captureScreenshot({
        format: 'png',
        captureBeyondViewport: true,
        clip: { x: 0, y: top, width: Math.ceil(size.width), height, scale: 1 },
      });
      writeFileSync(out, Buffer.from(shot.data, 'base64'));
    },
    async height(): Promise<number> {
      const metrics = await client.Page.getLayoutMetrics();
      return Math.ceil((metrics.cssContentSize ?? metrics.contentSize).height);
    },
    async close(): Promise<void> {
      await client.close().catch(() => {});
      await close();
    },
  };
}
