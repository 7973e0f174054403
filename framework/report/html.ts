/**
 * The report as one HTML file: the charts inline as SVG, the styles inline, no script and no
 * reference to anything outside the file but the CSV files beside it, so it opens offline.
 */
import { cellText } from './format.js';
import type { Figure, Item, Section, Table } from './output.js';

export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

const STYLE = `
:root { --ink: #1d2129; --muted: #5b6270; --line: #d9dde3; --bg: #f6f7f9; --helped: #d8f0d8; --hurt: #f7d4d4; --changed: #fbecc7; --same: #eceef1; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 "DejaVu Sans", Helvetica, Arial, sans-serif; color: var(--ink); background: var(--bg); }
header { background: #24324a; color: #fff; padding: 18px 28px 14px; }
header h1 { margin: 0 0 6px; font-size: 22px; font-weight: 600; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0 0; font-size: 13px; }
header dt { color: #b9c4d6; } header dd { margin: 0; }
header a { color: #cfe0ff; }
nav { background: #fff; border-bottom: 1px solid var(--line); padding: 8px 28px; font-size: 13px; position: sticky; top: 0; z-index: 2; }
nav a { margin-right: 14px; color: #24508f; text-decoration: none; white-space: nowrap; }
main { padding: 10px 28px 40px; max-width: 1280px; }
h2 { font-size: 19px; margin: 30px 0 6px; padding-top: 10px; border-top: 2px solid #24324a; }
h3 { font-size: 15px; margin: 0 0 4px; }
.intro { color: var(--muted); margin: 0 0 10px; max-width: 980px; }
.item { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px; margin: 14px 0; overflow-x: auto; }
.caption { color: var(--muted); margin: 0 0 10px; max-width: 980px; font-size: 13px; }
.chart svg { display: block; max-width: 100%; height: auto; }
.empty { padding: 18px; background: var(--same); border-radius: 4px; color: #444; font-style: italic; }
.notes { margin: 8px 0 0; padding-left: 18px; font-size: 12.5px; color: var(--muted); }
.files { font-size: 12px; margin-top: 8px; color: var(--muted); }
.files a { color: #24508f; }
table { border-collapse: collapse; font-size: 12.5px; margin-top: 8px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 9px; text-align: left; vertical-align: top; }
th { background: #eef1f5; font-weight: 600; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.none { color: #aaa; text-align: center; }
td.insufficient { color: #8a8f98; font-style: italic; }
td.verdict.helped { background: var(--helped); }
td.verdict.hurt { background: var(--hurt); }
td.verdict.changed { background: var(--changed); }
td.verdict.same { background: var(--same); }
td.verdict.not-enough-data { color: #8a8f98; font-style: italic; background: repeating-linear-gradient(135deg, #fff, #fff 4px, #f1f2f4 4px, #f1f2f4 8px); }
td small { color: var(--muted); }
h4 { font-size: 13px; margin: 12px 0 0; color: #333; }
footer { color: var(--muted); font-size: 12.5px; padding: 10px 28px 30px; max-width: 1000px; }
`;

export interface PageHeader {
  title: string;
  generated: string;
  inputs: string[];
  tests: string;
  split: string;
  filters: string;
  files: string;
}

function tableHtml(t: Table, nested: boolean): string {
  const head = `<tr>${t.columns.map((c) => `<th${c.title ? ` title="${escapeHtml(c.title)}"` : ''}>${escapeHtml(c.label)}</th>`).join('')}</tr>`;
  const body = t.rows
    .map(
      (row) =>
        `<tr>${row
          .map((cell, i) => {
            const { text, cls, n } = cellText(cell, t.columns[i]);
            return `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(text)}${n !== undefined ? ` <small>n=${n.toLocaleString('en-US')}</small>` : ''}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('\n');
  const title = nested ? `<h4>${escapeHtml(t.title)}</h4>` : `<h3>${escapeHtml(t.title)}</h3>`;
  const caption = t.caption ? `<p class="caption">${escapeHtml(t.caption)}</p>` : '';
  const empty = t.rows.length === 0 ? '<div class="empty">No rows: the tests hold no data of this kind.</div>' : `<table>\n${head}\n${body}\n</table>`;
  return `${title}${caption}${empty}<div class="files">CSV: <a href="csv/${escapeHtml(t.csv)}">csv/${escapeHtml(t.csv)}</a></div>`;
}

function figureHtml(f: Figure): string {
  const chart = f.svg ? `<div class="chart" data-figure="${escapeHtml(f.id)}">${f.svg}</div>` : `<div class="empty" data-empty="${escapeHtml(f.id)}">${escapeHtml(f.empty ?? 'No data.')}</div>`;
  const notes = f.notes.length > 0 ? `<ul class="notes">${f.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  const tables = f.tables.map((t) => tableHtml(t, true)).join('');
  const files = f.csv.map((c) => `<a href="csv/${escapeHtml(c)}">csv/${escapeHtml(c)}</a>`).join(', ');
  return `<h3>${escapeHtml(f.title)}</h3><p class="caption">${escapeHtml(f.caption)}</p>${chart}${notes}${tables}<div class="files">Data: ${files}</div>`;
}

function itemHtml(item: Item): string {
  const kind = item.kind === 'figure' ? 'figure' : 'table';
  return `<section class="item ${kind}" id="${escapeHtml(item.id)}">${item.kind === 'figure' ? figureHtml(item) : tableHtml(item, false)}</section>`;
}

export function pageHtml(header: PageHeader, sections: readonly Section[], footer: string): string {
  const meta: [string, string][] = [
    ['generated', header.generated],
    ['inputs', header.inputs.join(', ')],
    ['tests', header.tests],
    ['split by', header.split],
    ['filters', header.filters],
    ['files', header.files],
  ];
  const nav = sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join('');
  const body = sections
    .map((s) => `<h2 id="${escapeHtml(s.id)}">${escapeHtml(s.title)}</h2>${s.intro ? `<p class="intro">${escapeHtml(s.intro)}</p>` : ''}\n${s.items.map(itemHtml).join('\n')}`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(header.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(header.title)}</h1><dl>${meta.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${k === 'files' ? v : escapeHtml(v)}</dd>`).join('')}</dl></header>
<nav>${nav}</nav>
<main>
${body}
</main>
<footer>${footer}</footer>
</body>
</html>
`;
}
