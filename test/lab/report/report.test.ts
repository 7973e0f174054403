import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { MPLAB_CLI, REPO_ROOT } from '../../../common/paths.js';
import { openInChromium } from '../../support/chromium.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { runLabCampaign } from '../../support/report-campaign.js';
import { testLabName } from '../testbed/lab-helpers.js';

/**
 * `mplab report` on real analyzer output of lab traffic: a small campaign of two apps in two
 * modes (MPTCP and TCP) made on the virtual lab. `mplab run` does not exist yet, so the campaign
 * helper writes each test's result.json itself (common/test-result.ts) around the real traffic,
 * capture and analysis. The report is opened in Debian's headless Chromium; screenshots are kept in
 * runs/test-artifacts/report/ for a person to look at.
 */

const ARTIFACTS = join(REPO_ROOT, 'runs', 'test-artifacts', 'report');

interface Connection {
  id: number;
  trace: number;
  duration: number;
  bytes: { up: number; down: number };
  subtraces: { t1: boolean; t2: boolean; t3: boolean };
  synSeen: boolean;
}

const jsonl = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);

function csv(file: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\r\n');
  const keys = head.split(',');
  // the report's CSV quotes only fields with commas, quotes or line breaks: none in these columns
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i], v])));
}

/** What the page shows, read in the browser. */
interface PageView {
  figures: { id: string; svg: boolean; marks: number; empty: string | null }[];
  tables: number;
}

const PAGE_VIEW = `(() => ({
  figures: [...document.querySelectorAll('section.figure')].map((s) => ({
    id: s.id,
    svg: Boolean(s.querySelector('.chart svg')),
    marks: s.querySelectorAll('.chart svg path, .chart svg line').length,
    empty: s.querySelector('.empty') ? s.querySelector('.empty').textContent : null,
  })),
  tables: document.querySelectorAll('table').length,
}))()`;

describe.skipIf(skipUnless({ root: true, commands: ['ip', 'tcpdump', 'mptcpize', 'curl', 'adb', 'chromium'] }))('mplab report on a lab campaign', () => {
  const lab = testLabName(testPrefix());
  const dir = mkdtempSync(join(tmpdir(), 'mplab-report-'));
  const results = join(dir, 'results');
  const out = join(dir, 'report');
  let folders: string[] = [];
  mkdirSync(ARTIFACTS, { recursive: true });
  afterAll(async () => {
    await removeOwnTestNamespaces();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs two apps in MPTCP and TCP mode on the lab and analyzes each test', async () => {
    folders = await runLabCampaign({ lab, dir: results, modes: ['mptcp', 'tcp'], repetitions: 4 });
    expect(folders).toHaveLength(16);
  }, 240_000);

  it('builds a report whose CSV numbers are the analyzer\'s', async () => {
    const r = await execa(process.execPath, [MPLAB_CLI, 'report', results, '--out', out, '--min-samples', '4', '--no-progress'], { reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^16 tests in 4 groups: 13 figures, \d+ tables in [\d.]+ s -> .*report\.html$/m);

    // Fig 2.18's data: every connection of every test, with the analyzer's duration and bytes; but
    // those open before their test (no SYN in its capture: after the WiFi outage, an earlier test's)
    const rows = csv(join(out, 'csv', 'fig-2.18.csv'));
    const analyzed = folders.map((f) => ({ id: f.split('/').pop()!, connections: jsonl<Connection>(join(f, 'analysis', 'connections.jsonl')) }));
    const perTest = analyzed.map((t) => ({ ...t, connections: t.connections.filter((c) => c.synSeen) }));
    const before = analyzed.flatMap((t) => t.connections.filter((c) => !c.synSeen));
    expect(rows).toHaveLength(perTest.reduce((a, t) => a + t.connections.length, 0));
    for (const t of perTest) {
      for (const c of t.connections) {
        const row = rows.find((x) => x.test === t.id && Number(x.connection) === c.id && Number(x.trace) === c.trace)!;
        expect(row, `${t.id} connection ${c.id}`).toBeDefined();
        expect(Number(row.duration_s)).toBe(c.duration);
        expect(Number(row.bytes_up)).toBe(c.bytes.up);
        expect(Number(row.bytes_down)).toBe(c.bytes.down);
      }
    }
    // Table 2.5: connections and bytes per subtrace and group, as summed from connections.jsonl
    const t25 = csv(join(out, 'csv', 'table-2.5.csv'));
    for (const app of ['whatsapp', 'firefox']) {
      for (const mode of ['mptcp', 'tcp']) {
        const conns = perTest.filter((t) => t.id.includes(`-${app}-${mode}-`)).flatMap((t) => t.connections);
        const label = `${app === 'whatsapp' ? 'WhatsApp' : 'Firefox'} · ${mode} · both (default wifi)`;
        const t0 = t25.find((x) => x.group === label && x.subtrace === 'T0')!;
        expect(Number(t0.connections)).toBe(conns.length);
        expect(Number(t0.down)).toBe(conns.reduce((a, c) => a + c.bytes.down, 0));
        const t1 = t25.find((x) => x.group === label && x.subtrace === 'T1')!;
        expect(Number(t1.connections)).toBe(conns.filter((c) => c.subtraces.t1).length);
      }
    }
    // the WiFi outage of the last MPTCP WhatsApp test is a handover (T3), which Fig 2.29 counts
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { leftOut: { connections: number }; sections: { items: { id: string; basis?: { connections: number } }[] }[] };
    expect(report.leftOut.connections).toBe(before.length);
    const fig229 = report.sections.flatMap((s) => s.items).find((i) => i.id === 'fig-2.29')!;
    expect(fig229.basis!.connections).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('opens offline in headless Chromium without errors, every figure drawn or saying why not', async () => {
    const page = await openInChromium(join(out, 'report.html'));
    try {
      await page.screenshot(join(ARTIFACTS, 'lab-campaign.png'));
      expect(page.errors).toEqual([]);
      // nothing fetched but the page itself: charts and styles are inline
      expect(page.requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:'))).toEqual([]);
      const view = await page.evaluate<PageView>(PAGE_VIEW);
      expect(view.figures.map((f) => f.id)).toEqual(['latency', 'fig-2.18', 'fig-2.19', 'fig-2.20', 'fig-2.21', 'fig-2.22', 'fig-2.23', 'fig-2.24', 'fig-2.25', 'fig-2.26', 'fig-2.27', 'fig-2.28', 'fig-2.29']);
      for (const f of view.figures) {
        // a chart with marks, or a sentence saying why there is none
        if (f.svg) expect(f.marks, f.id).toBeGreaterThan(5);
        else expect(f.empty, f.id).toMatch(/\w+ \w+ \w+/);
      }
      // what this campaign has data for is drawn
      const drawn = view.figures.filter((f) => f.svg).map((f) => f.id);
      for (const id of ['latency', 'fig-2.18', 'fig-2.19', 'fig-2.20', 'fig-2.21', 'fig-2.22', 'fig-2.24', 'fig-2.26', 'fig-2.27', 'fig-2.28']) expect(drawn).toContain(id);
      expect(view.figures.find((f) => f.id === 'fig-2.23')!.empty).toMatch(/No test with the default route on cellular/);
      expect(view.tables).toBeGreaterThan(15);
    } finally {
      await page.close();
    }
  });

  it('reports on a single mplab analyze output folder', async () => {
    const single = join(dir, 'single');
    const r = await execa(process.execPath, [MPLAB_CLI, 'report', join(folders[0], 'analysis'), '--out', single, '--no-progress'], { reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^1 test in 1 group: /);
    const page = await openInChromium(join(single, 'report.html'));
    try {
      await page.screenshot(join(ARTIFACTS, 'single-analyze-folder.png'));
      expect(page.errors).toEqual([]);
      const header = await page.evaluate<string>(`document.querySelector('header').textContent`);
      expect(header).toMatch(/split bynothing/);
      const view = await page.evaluate<PageView>(PAGE_VIEW);
      expect(view.figures.find((f) => f.id === 'fig-2.18')!.svg).toBe(true);
    } finally {
      await page.close();
    }
  });
});
