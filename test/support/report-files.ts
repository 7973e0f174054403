import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A report's files with what names its inputs and its build time taken out (report.json's
 * `generated` and `inputs`; the page's header), so that reports of the same tests read from
 * different sources (folders, the store) can be compared file by file.
 */
export function comparableReport(out: string, inputLabels: readonly string[]): Record<string, string> {
  const files: Record<string, string> = {};
  const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Record<string, unknown>;
  delete json.generated;
  delete json.inputs;
  files['report.json'] = JSON.stringify(json, null, 1);
  for (const name of readdirSync(join(out, 'csv')).sort()) files[`csv/${name}`] = readFileSync(join(out, 'csv', name), 'utf8');
  let html: string;
  try {
    html = readFileSync(join(out, 'report.html'), 'utf8');
  } catch {
    return files; // no html asked for
  }
  html = html.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, 'TIME');
  for (const label of inputLabels) html = html.split(label).join('INPUT');
  // the charts' ids count the charts rendered in the process (and vega's clips): numbered again in page order
  const ids = new Map<string, string>();
  html = html.replace(/\bc\d+-[A-Za-z_-]*\d*/g, (id) => {
    if (!ids.has(id)) ids.set(id, `ID${ids.size}`);
    return ids.get(id)!;
  });
  files['report.html'] = html;
  return files;
}

/** Where two texts first differ, with some context; null when they are the same. */
export function firstDifference(a: string, b: string): string | null {
  if (a === b) return null;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at character ${i}: ${JSON.stringify(a.slice(Math.max(0, i - 80), i + 120))} vs ${JSON.stringify(b.slice(Math.max(0, i - 80), i + 120))}`;
}
