import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MPLAB_CLI } from '../../../common/paths.js';
import { loadCampaignFile } from '../../../framework/campaign/campaign-file.js';
import { planCampaign } from '../../../framework/campaign/matrix.js';
import { CampaignStore } from '../../../framework/campaign/store/store.js';
import { labDown, labStatus, labUp } from '../../../testbed/lab/lab.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { tempDir } from '../../support/tmp.js';
import { testLabName } from '../testbed/lab-helpers.js';

/**
 * Campaigns on two virtual phones of a lab, through the CLI as a user runs them: a campaign of
 * the adb-only settings scenario in two modes and two networks completes, and the store and the
 * JUnit file agree with what ran; a campaign killed with SIGKILL in the middle is resumed and
 * runs only what had not finished, never a finished test twice.
 */
const run = !skipUnless({ root: true, commands: ['adb', 'tcpdump', 'mptcpize'] });

describe.runIf(run)('campaigns on virtual phones', () => {
  const lab = testLabName(testPrefix());
  const dir = tempDir();
  const devices = path.join(dir, 'devices.json');

  beforeAll(async () => {
    const status = await labUp({ name: lab, phones: 2, mode: 'mptcp', defaultRoute: 'wifi', adbPortBase: 0 });
    const list = status.phones.map((p, i) => ({ id: p.adb, label: `phone${i + 1}`, root: true, kernel: 'upstream', capture: { onPhone: false } }));
    writeFileSync(devices, JSON.stringify({ devices: list }));
  }, 180_000);

  afterAll(async () => {
    await labDown(lab).catch(() => undefined);
    await removeOwnTestNamespaces();
  });

  /** 2 phones x `scenarios` x 2 modes x `repetitions`; the settings scenario with different hold times stands for three scenarios until the app scenarios land. */
  const campaignFile = (name: string, results: string, o: { scenarios: string; repetitions: number; extra?: string }) => {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, `name: ${name}\nphones: [phone1, phone2]\nscenarios: ${o.scenarios}\nmodes: [tcp, mptcp]\nrepetitions: ${o.repetitions}\ncapSeconds: 30\nresults: ${results}\n${o.extra ?? ''}`);
    return file;
  };
  const cli = (args: string[]) => execa(process.execPath, [MPLAB_CLI, ...args], { reject: false, env: { MPLAB_LOG_FORMAT: 'json', MPLAB_LOG_LEVEL: 'warn' } });

  it('completes 2 phones x 3 scenarios x 2 modes x 2 repetitions: the store and the JUnit file agree with what ran, in the order of the day', async () => {
    const results = path.join(dir, 'r1');
    const file = campaignFile('matrix', results, { scenarios: '[{ name: settings, params: { hold: 0 } }, { name: settings, params: { hold: 1 } }, { name: settings, params: { hold: 2 } }]', repetitions: 2 });
    const r = await cli(['campaign', 'run', file, '--devices', devices, '--day', '2025-03-01', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { campaign: { id: string; day: string; seed: string }; counts: Record<string, number>; junit: string };
    expect(summary.counts).toMatchObject({ total: 24, passed: 24 });
    const store = CampaignStore.inResults(results, { readonly: true });
    const tests = store.tests(summary.campaign.id);
    expect(tests.filter((t) => t.ranOn === 'phone1')).toHaveLength(12);
    // the recorded order is the day's plan, the same for the same day and another for another day
    const spec = loadCampaignFile(file);
    expect(summary.campaign).toMatchObject({ day: '2025-03-01', seed: planCampaign(spec, '2025-03-01').seed });
    expect(tests.map((t) => t.key)).toEqual(planCampaign(spec, '2025-03-01').tests.map((t) => t.key));
    expect(tests.map((t) => t.key)).not.toEqual(planCampaign(spec, '2025-03-02').tests.map((t) => t.key));
    // and each phone ran its tests in that order
    for (const phone of ['phone1', 'phone2']) {
      const mine = tests.filter((t) => t.ranOn === phone);
      const byStart = [...mine].sort((a, b) => a.started! - b.started!);
      expect(byStart.map((t) => t.position)).toEqual(mine.map((t) => t.position));
    }
    for (const t of tests) {
      expect(store.attempts(t.id)).toHaveLength(1);
      const result = JSON.parse(readFileSync(path.join(results, t.dir!, 'result.json'), 'utf8'));
      expect(result).toMatchObject({ verdict: 'passed', scenario: 'settings', mode: t.mode, phone: { label: t.ranOn } });
    }
    store.close();
    const junit = readFileSync(summary.junit, 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(24);
    expect(junit).toContain('failures="0" errors="0" skipped="0"');
    for (const t of tests) expect(junit).toContain(`<property name="key" value="${t.key}"/>`);
  }, 900_000);

  it('mplab device net --cellular-type on a lab phone: the real commands, and the lab moves its cellular link to that technology', async () => {
    const rate = async () => (await labStatus(lab)).phones[0].cellular.link!.down.params.rateKbit;
    expect(await rate()).toBe(20000);
    const r3 = await cli(['device', 'phone1', 'net', '--cellular-type', '3g', '--devices', devices]);
    expect(r3.exitCode, r3.stderr).toBe(0);
    expect(r3.stdout).toContain('cmd phone set-allowed-network-types-for-users');
    expect(await rate()).toBe(3000);
    const r5 = await cli(['device', 'phone1', 'net', '--cellular-type', '5g', '--devices', devices]);
    expect(r5.exitCode, r5.stderr).toBe(0);
    expect(await rate()).toBe(150000);
    const auto = await cli(['device', 'phone1', 'net', '--cellular-type', 'auto', '--devices', devices]);
    expect(auto.exitCode, auto.stderr).toBe(0);
    expect(await rate()).toBe(20000);
  }, 120_000);

  it('a campaign killed with SIGKILL resumes and runs only the tests that had not finished', async () => {
    const results = path.join(dir, 'r2');
    const file = campaignFile('killed', results, { scenarios: '[{ name: settings, params: { hold: 1 } }]', repetitions: 2 });
    const child = execa(process.execPath, [MPLAB_CLI, 'campaign', 'run', file, '--devices', devices], { reject: false, env: { MPLAB_LOG_FORMAT: 'json' } });
    let id = '';
    // wait until at least one test has finished and another is running, then kill
    for (let i = 0; i < 600; i++) {
      await sleep(500);
      try {
        const store = CampaignStore.inResults(results, { readonly: true });
        const c = store.campaigns()[0];
        if (c) {
          id = c.id;
          const counts = store.counts(id);
          store.close();
          if (counts.passed >= 1 && counts.running >= 1) break;
        } else store.close();
      } catch {
        // the store is not there yet
      }
    }
    child.kill('SIGKILL');
    await child;
    expect(id).not.toBe('');
    const before = CampaignStore.inResults(results, { readonly: true });
    const finished = before.tests(id).filter((t) => t.state === 'passed').map((t) => [t.id, t.finalAttempt]);
    expect(before.counts(id).running).toBeGreaterThanOrEqual(1);
    before.close();
    const listed = await cli(['campaign', 'list', '--results', results]);
    expect(listed.stdout).toContain('interrupted');

    const r = await cli(['campaign', 'resume', id, '--results', results, '--devices', devices, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const store = CampaignStore.inResults(results, { readonly: true });
    expect(store.counts(id)).toMatchObject({ total: 8, passed: 8 });
    // the tests finished before the kill kept their one attempt; none ran twice to the end
    for (const [testId, attempt] of finished) expect(store.test(testId as number).finalAttempt).toBe(attempt);
    for (const t of store.tests(id)) expect(store.attempts(t.id).filter((a) => a.state === 'passed')).toHaveLength(1);
    const interrupted = store.tests(id).flatMap((t) => store.attempts(t.id)).filter((a) => a.state === 'interrupted');
    expect(interrupted.length).toBeGreaterThanOrEqual(1);
    store.close();
  }, 1_200_000);
});
