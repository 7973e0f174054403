import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { log } from '../../../common/log.js';
import type { TestResult } from '../../../common/test-result.js';
import { parseCampaignText } from '../../../framework/campaign/campaign-file.js';
import type { CampaignEvent } from '../../../framework/campaign/campaign-runner.js';
import { startCampaign, type CampaignSummary } from '../../../framework/campaign/campaign.js';
import { CampaignStore } from '../../../framework/campaign/store/store.js';
import { loadDevicesFile } from '../../../framework/config/devices-file.js';
import { labDown, labLink, labUp } from '../../../testbed/lab/lab.js';
import { startPhoneDaemon } from '../../../testbed/lab/phones.js';
import { labPlan } from '../../../testbed/lab/plan.js';
import { isRunning, stopProcess } from '../../../testbed/lab/processes.js';
import { startProxy } from '../../../testbed/lab/proxy.js';
import { readState, stateDir, writeState } from '../../../testbed/lab/state.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { tempDir } from '../../support/tmp.js';
import { testLabName } from '../testbed/lab-helpers.js';

/**
 * Faults injected into campaigns on two virtual phones, each in its own test, at the moment a
 * test's scenario starts (from the campaign's own events): one phone's adb connection dropped, its
 * phone daemon killed (and back a few seconds later, as a phone whose adbd restarts), the proxy
 * restarted, a WiFi outage, the app crashing (a virtual app's fault property), a test hanging past
 * its cap. Whatever happens, every test ends passed,
 * failed with evidence, or not run with the reason, and none is recorded twice.
 */
const run = !skipUnless({ root: true, commands: ['adb', 'tcpdump', 'mptcpize'] });

describe.runIf(run)('campaign faults', () => {
  const lab = testLabName(testPrefix());
  const dir = tempDir();
  const devicesFile = path.join(dir, 'devices.json');
  let serials: string[] = [];

  beforeAll(async () => {
    const status = await labUp({ name: lab, phones: 2, mode: 'mptcp', defaultRoute: 'wifi', adbPortBase: 0 });
    serials = status.phones.map((p) => p.adb!);
    writeFileSync(devicesFile, JSON.stringify({ devices: serials.map((id, i) => ({ id, label: `phone${i + 1}`, root: true, kernel: 'upstream', capture: { onPhone: false } })) }));
  }, 180_000);

  afterAll(async () => {
    await labDown(lab).catch(() => undefined);
    await removeOwnTestNamespaces();
  });

  /** Runs a campaign of 2 phones x `tests` repetitions; `inject` runs once, when the first scenario on phone1 starts. */
  async function campaign(name: string, yaml: string, inject: () => Promise<void>): Promise<{ summary: CampaignSummary; store: CampaignStore }> {
    const results = path.join(dir, name);
    const spec = parseCampaignText(`name: ${name}\nphones: [phone1, phone2]\nresults: ${results}\n${yaml}`, path.join(dir, `${name}.yaml`));
    let injected: Promise<void> | null = null;
    const onEvent = (e: CampaignEvent) => {
      if (!injected && e.type === 'step' && e.phone === 'phone1' && e.step.name === 'scenario' && e.step.state === 'start') injected = inject();
    };
    const summary = await startCampaign(spec, { devices: await loadDevicesFile(devicesFile), log: log('campaign-faults'), onEvent });
    expect(injected, 'the fault was injected').not.toBeNull();
    await injected;
    const store = CampaignStore.inResults(results, { readonly: true });
    checkNothingLost(store, summary.campaign.id, results);
    return { summary, store };
  }

  /** Every test passed, failed with evidence, erred with a reason, or was not run with the reason; each once. */
  function checkNothingLost(store: CampaignStore, id: string, results: string): void {
    const tests = store.tests(id);
    const counts = store.counts(id);
    expect(counts.pending + counts.running).toBe(0);
    expect(counts.passed + counts.failed + counts.error + counts.skipped).toBe(tests.length);
    for (const t of tests) {
      const attempts = store.attempts(t.id);
      expect(attempts.filter((a) => a.state === 'passed')).toHaveLength(t.state === 'passed' ? 1 : 0);
      if (t.state !== 'passed') expect(t.reason, t.key).toBeTruthy();
      if (t.state === 'failed') expect(existsSync(path.join(results, t.dir!, 'evidence')), `${t.key} has evidence`).toBe(true);
      if (t.state !== 'skipped') expect(existsSync(path.join(results, t.dir!, 'result.json')) || t.state === 'error').toBe(true);
    }
  }

  const settings = 'scenarios: [{ name: settings, params: { hold: 3 } }]\nrepetitions: 2\ncapSeconds: 40\n';

  it("one phone's adb connection dropped mid-test", async () => {
    const { summary } = await campaign('adbdrop', settings, async () => {
      await execa('adb', ['disconnect', serials[0]]);
    });
    expect(summary.counts).toMatchObject({ total: 4, passed: 4 });
  }, 600_000);

  it('its phone daemon killed, back a few seconds later', async () => {
    const { summary, store } = await campaign('daemon', settings, async () => {
      const state = readState(lab)!;
      const record = state.phones[0].adb!;
      await stopProcess(record, 0);
      await sleep(4_000);
      const plan = labPlan(lab, state.phones.length);
      const port = Number(record.serial.split(':')[1]);
      state.phones[0].adb = await startPhoneDaemon(plan.phones[0], stateDir(lab), port);
      writeState(state);
    });
    expect(summary.counts.total).toBe(4);
    // the test under way when the daemon died erred and was tried again after the ladder's adb rung, or passed through the device layer's own recovery
    const p1 = store.tests(summary.campaign.id).filter((t) => t.ranOn === 'phone1');
    expect(p1.every((t) => t.state === 'passed')).toBe(true);
  }, 600_000);

  it('the proxy restarted', async () => {
    const { summary } = await campaign('proxy', settings, async () => {
      const state = readState(lab)!;
      await stopProcess(state.processes.proxy!, 0);
      const started = await startProxy(labPlan(lab, state.phones.length), stateDir(lab), state.proxyLog ?? undefined);
      state.processes.proxy = started.record;
      writeState(state);
      expect(isRunning(started.record)).toBe(true);
    });
    expect(summary.counts).toMatchObject({ total: 4, passed: 4 });
  }, 600_000);

  it('a WiFi outage in the middle of a test, and a planned WiFi cut', async () => {
    const { summary, store } = await campaign('wifi', `${settings}networks: [{ name: cut, changes: ["1:wifi-down", "2:wifi-up"] }]\n`, async () => {
      await labLink(lab, 'phone1', 'wifi', { outage: true });
      await sleep(3_000);
      await labLink(lab, 'phone1', 'wifi', { outage: false });
    });
    expect(summary.counts).toMatchObject({ total: 4, passed: 4 });
    // result.json and the store name the network condition, which reports split tests by
    for (const t of store.tests(summary.campaign.id)) {
      const result = JSON.parse(readFileSync(path.join(dir, 'wifi', t.dir!, 'result.json'), 'utf8')) as TestResult;
      expect(result.network).toMatchObject({ name: 'both', label: 'cut', changes: [{ change: 'wifi down' }, { change: 'wifi up' }] });
    }
    expect(store.db.prepare('SELECT DISTINCT network_label FROM attempts').all()).toEqual([{ network_label: 'cut' }]);
  }, 600_000);

  it('the app crashing: its test fails with evidence and the reason from logcat, the other phone passes', async () => {
    const fault = 'debug.mplab.fault.com.whatsapp';
    const setFault = (serial: string, value: string) => execa('adb', ['-s', serial, 'shell', 'setprop', fault, value]);
    try {
      const { summary, store } = await campaign('crash', 'scenarios: [whatsapp]\ncapSeconds: 150\n', async () => {
        await setFault(serials[0], 'crash:send');
      });
      expect(summary.counts).toMatchObject({ total: 2, failed: 1, passed: 1 });
      const results = path.join(dir, 'crash');
      for (const t of store.tests(summary.campaign.id)) {
        expect(store.attempts(t.id), t.key).toHaveLength(1);
        if (t.ranOn === 'phone2') continue;
        expect(t.state).toBe('failed');
        expect(t.reason).toMatch(/^app crashed: java\.lang\.IllegalStateException: send failed \(mplab fault\)/);
        const logcat = readFileSync(path.join(results, t.dir!, 'evidence', 'logcat.txt'), 'utf8');
        expect(logcat).toMatch(/FATAL EXCEPTION/);
        expect(logcat).toMatch(/Process: com\.whatsapp, PID: \d+/);
      }
    } finally {
      await setFault(serials[0], "''");
    }
  }, 600_000);

  it('a test that hangs past its cap is stopped, cleaned up and recorded as failed with evidence', async () => {
    const { summary, store } = await campaign('hang', 'scenarios: [{ name: settings, params: { hold: 600 } }]\ncapSeconds: 4\n', async () => undefined);
    expect(summary.counts).toMatchObject({ total: 2, failed: 2 });
    for (const t of store.tests(summary.campaign.id)) {
      expect(t.reason).toMatch(/stopped: the scenario ran over its time cap of 4 s/);
      expect(t.seconds!).toBeLessThan(120);
    }
  }, 600_000);
});
