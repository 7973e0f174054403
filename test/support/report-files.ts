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
  try {
    let html = readFileSync(join(out, 'report.html'), 'utf8');
    html = html.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, 'TIME');
    for (const label of inputLabels) html = html.split(label).join('INPUT');
    files['report.html'] = html;
  } catch {
    // no html asked for
  }
  return files;
}
