import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MPLAB_CLI } from '../../../common/paths.js';
import { CampaignStore } from '../../../framework/campaign/store/store.js';
import { labDown, labUp } from '../../../testbed/lab/lab.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { comparableReport, firstDifference } from '../../support/report-files.js';
import { tempDir } from '../../support/tmp.js';
import { testLabName } from '../testbed/lab-helpers.js';

/**
 * The report of a campaign read from the store: a small campaign of two app scenarios (Firefox,
 * WhatsApp) in TCP and MPTCP on a virtual phone, through the CLI as a user runs it; then
 * `mplab report ID --results DIR` (SQL on the store) and `mplab report DIR/ID` (the test folders)
 * write the same files, and the store's numbers are the CSV's.
 */
const run = !skipUnless({ root: true, commands: ['adb', 'tcpdump', 'mptcpize'] });

describe.runIf(run)('the report of a campaign from the store', () => {
  const lab = testLabName(testPrefix());
  const dir = tempDir();
  const devices = path.join(dir, 'devices.json');
  const cli = (args: string[]) => execa(process.execPath, [MPLAB_CLI, ...args], { reject: false, env: { MPLAB_LOG_FORMAT: 'json', MPLAB_LOG_LEVEL: 'warn' } });

  beforeAll(async () => {
    const status = await labUp({ name: lab, phones: 1, mode: 'mptcp', defaultRoute: 'wifi', adbPortBase: 0 });
    writeFileSync(devices, JSON.stringify({ devices: [{ id: status.phones[0].adb, label: 'phone1', root: true, kernel: 'upstream', capture: { onPhone: false } }] }));
  }, 180_000);

  afterAll(async () => {
    await labDown(lab).catch(() => undefined);
    await removeOwnTestNamespaces();
  });

  it('builds the same report from the store as from the test folders', async () => {
    const results = path.join(dir, 'results');
    const file = path.join(dir, 'apps.yaml');
    writeFileSync(file, `name: apps\nphones: [phone1]\nscenarios: [{ name: firefox, params: { pages: 3 } }, whatsapp]\nmodes: [tcp, mptcp]\nrepetitions: 1\ncapSeconds: 180\nresults: ${results}\n`);
    const r = await cli(['campaign', 'run', file, '--devices', devices, '--json']);
    const summary = JSON.parse(r.stdout) as { campaign: { id: string }; counts: Record<string, number> };
    expect(summary.counts, r.stderr.slice(-3000)).toMatchObject({ total: 4 });
    const id = summary.campaign.id;

    const store = CampaignStore.inResults(results, { readonly: true });
    const attempts = store.db.prepare('SELECT COUNT(*) AS n FROM attempts WHERE result_id IS NOT NULL').get() as { n: number };
    const connections = store.db.prepare('SELECT COUNT(*) AS n, SUM(bytes_down) AS down FROM connections').get() as { n: number; down: number };
    store.close();
    expect(attempts.n).toBe(4);
    expect(connections.n).toBeGreaterThan(0);

    const fromStore = path.join(dir, 'report-store');
    const fromFolders = path.join(dir, 'report-folders');
    const a = await cli(['report', id, '--results', results, '--out', fromStore, '--min-samples', '3', '--no-progress', '--json']);
    expect(a.exitCode, a.stderr).toBe(0);
    const b = await cli(['report', path.join(results, id), '--out', fromFolders, '--min-samples', '3', '--no-progress', '--json']);
    expect(b.exitCode, b.stderr).toBe(0);
    expect(JSON.parse(a.stdout).tests).toEqual(JSON.parse(b.stdout).tests);

    const x = comparableReport(fromStore, [`campaign ${id} (${path.join(results, 'campaigns.sqlite')})`]);
    const y = comparableReport(fromFolders, [`results folder ${path.join(results, id)}`]);
    expect(Object.keys(x)).toEqual(Object.keys(y));
    expect(Object.keys(x)).toContain('report.html');
    for (const name of Object.keys(x)) expect(firstDifference(x[name], y[name]), name).toBeNull();

    // the figures' data agree with the store: one fig-2.18 row per stored connection, the same bytes
    const rows = readFileSync(path.join(fromStore, 'csv', 'fig-2.18.csv'), 'utf8').trim().split('\r\n').slice(1);
    expect(rows).toHaveLength(connections.n);
    expect(rows.reduce((sum, row) => sum + Number(row.split(',').at(-1)), 0)).toBe(connections.down);
    console.log(`campaign ${id}: ${JSON.stringify(summary.counts)}; ${connections.n} connections; report from the store ${JSON.parse(a.stdout).seconds.total.toFixed(2)} s, from the folders ${JSON.parse(b.stdout).seconds.total.toFixed(2)} s`);
  }, 900_000);
});
