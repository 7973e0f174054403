import type { Device } from '../devices/device.js';

/**
 * `mplab scenario inspect`: what is on a phone's screen now, as a scenario's selectors see it
 * (resource ids, texts, content descriptions), from `uiautomator dump` over adb, so that a user
 * writes or fixes an app's selector map without an Appium session.
 */
export interface ScreenView {
  depth: number;
  class: string;
  package: string;
  resourceId: string;
  text: string;
  contentDesc: string;
  bounds: string;
  clickable: boolean;
  scrollable: boolean;
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (_, name: string, dec?: string, hex?: string) => {
    if (dec) return String.fromCodePoint(Number(dec));
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[name];
  });
}

/** The views of a uiautomator window dump, in document order with their depth. */
export function parseWindowDump(xml: string): ScreenView[] {
  const views: ScreenView[] = [];
  let depth = 0;
  for (const m of xml.matchAll(/<(\/?)node\b([^>]*?)(\/?)>/g)) {
    if (m[1]) {
      depth--;
      continue;
    }
    const attrs = new Map<string, string>();
    for (const a of m[2].matchAll(/([\w-]+)="([^"]*)"/g)) attrs.set(a[1], unescapeXml(a[2]));
    views.push({
      depth,
      class: attrs.get('class') ?? '',
      package: attrs.get('package') ?? '',
      resourceId: attrs.get('resource-id') ?? '',
      text: attrs.get('text') ?? '',
      contentDesc: attrs.get('content-desc') ?? '',
      bounds: attrs.get('bounds') ?? '',
      clickable: attrs.get('clickable') === 'true',
      scrollable: attrs.get('scrollable') === 'true',
    });
    if (!m[3]) depth++;
  }
  return views;
}

export async function dumpScreen(device: Device): Promise<string> {
  const file = '/data/local/tmp/mplab-window-dump.xml';
  const dump = await device.shell(['uiautomator', 'dump', file], { timeoutMs: 30_000 });
  if (dump.exitCode !== 0 || !/dumped to/i.test(dump.stdout.toString())) {
    throw new Error(`uiautomator dump failed (exit status ${dump.exitCode}): ${(dump.stderr.toString() || dump.stdout.toString()).trim()}`);
  }
  const xml = (await device.shell(['cat', file], { timeoutMs: 30_000 })).stdout.toString();
  await device.shell(['rm', '-f', file]);
  return xml;
}

/** The views a selector can name (with an id, a text or a description), one per line, indented by depth. */
export function formatScreen(views: readonly ScreenView[], all = false): string {
  const lines: string[] = [];
  for (const v of views) {
    if (!all && !v.resourceId && !v.text && !v.contentDesc) continue;
    const parts = [v.class.replace(/^android\.(widget|view)\./, '')];
    if (v.resourceId) parts.push(`id=${v.resourceId}`);
    if (v.text) parts.push(`text=${JSON.stringify(v.text)}`);
    if (v.contentDesc) parts.push(`desc=${JSON.stringify(v.contentDesc)}`);
    if (v.clickable) parts.push('clickable');
    if (v.scrollable) parts.push('scrollable');
    parts.push(v.bounds);
    lines.push(`${'  '.repeat(Math.max(0, v.depth - 1))}${parts.join('  ')}`);
  }
  return lines.join('\n');
}
