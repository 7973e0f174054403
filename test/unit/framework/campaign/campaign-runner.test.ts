import { describe, expect, it } from 'vitest';
import { parseCampaignText } from '../../../../framework/campaign/campaign-file.js';
import { runCampaign, type CampaignPhone, type ExecutorContext, type HostCheck, type TestExecutor } from '../../../../framework/campaign/campaign-runner.js';
import { planCampaign } from '../../../../framework/campaign/matrix.js';
import { CampaignStore } from '../../../../framework/campaign/store/store.js';
import type { DeviceConfig } from '../../../../framework/config/devices-file.js';
import { log } from '../../../../common/log.js';
import { tempDir } from '../../../support/tmp.js';

function device(label: string, extra: Partial<DeviceConfig> = {}): DeviceConfig {
  return { id: `serial-${label}`, label, adbServer: '127.0.0.1:5037', host: null, root: true, kernel: 'upstream', interfaces: { wifi: 'wlan0', cellular: 'rmnet0' }, proxy: null, capture: { onPhone: false, iface: 'any', snaplen: 0, dir: '/data/local/tmp' }, allowReboot: false, ...extra };
}

function result(verdict: 'passed' | 'failed' | 'error', failedStep: string | null = null) {
  return { schema: 1, verdict, reason: verdict === 'passed' ? null : `${verdict} on purpose`, failedStep, measures: [], analysis: null } as never;
}

function setup(yaml: string, phones: CampaignPhone[], hostCheck?: HostCheck) {
  const spec = parseCampaignText(yaml, '/tmp/c.yaml');
  const dir = tempDir();
  const store = CampaignStore.inResults(dir);
  const plan = planCampaign(spec, '2025-01-01');
  store.createCampaign({ id: 'c1', spec, day: '2025-01-01', seed: plan.seed, tests: plan.tests, pid: process.pid, pidStart: null });
  const ran: { phone: string; key: string; at: number }[] = [];
  const rungs: string[] = [];
  const run = (executor: TestExecutor, signal?: AbortSignal) =>
    runCampaign({
      store, campaignId: 'c1', spec, phones, dir, log: log('test'), signal, cancelPollMs: 20, hostCheck,
      executor: async (ctx: ExecutorContext) => {
        ran.push({ phone: ctx.phone.device.label, key: ctx.test.key, at: performance.now() });
        return executor(ctx);
      },
      recovery: async (rung, phone) => {
        rungs.push(`${phone.device.label}:${rung}`);
        return rung;
      },
    });
  return { store, run, ran, rungs, spec };
}

const two = [{ device: device('p1'), lab: true }, { device: device('p2'), lab: true }];

describe('campaign runner', () => {
  it('runs every test once, one at a time per phone, phones in parallel, in the order of the day', async () => {
    const { store, run, ran } = setup('name: n\nphones: [p1, p2]\nscenarios: [a, b]\nmodes: [tcp, mptcp]\n', two);
    const busy = new Map<string, number>();
    let parallel = 0;
    await run(async (ctx) => {
      const label = ctx.phone.device.label;
      expect(busy.get(label) ?? 0).toBe(0);
      busy.set(label, 1);
      parallel = Math.max(parallel, [...busy.values()].reduce((a, b) => a + b, 0));
      await new Promise((r) => setTimeout(r, 10));
      busy.set(label, 0);
      return result('passed');
    });
    expect(store.counts('c1')).toMatchObject({ passed: 8, total: 8 });
    expect(new Set(ran.map((r) => r.key)).size).toBe(8);
    expect(parallel).toBe(2);
    const order = store.tests('c1').filter((t) => t.phone === 'p1').map((t) => t.key);
    expect(ran.filter((r) => r.phone === 'p1').map((r) => r.key)).toEqual(order);
  });

  it('retries an infrastructure error after the recovery ladder and keeps every attempt', async () => {
    const { store, run, rungs } = setup('name: n\nphones: [p1]\nscenarios: [a]\nretries: 2\n', [two[0]]);
    let calls = 0;
    await run(async () => (++calls === 1 ? result('error', 'session') : result('passed')));
    const [t] = store.tests('c1');
    expect(t).toMatchObject({ state: 'passed', attempts: 2 });
    expect(store.attempts(t.id).map((a) => [a.state, a.kind])).toEqual([['error', 'infrastructure'], ['passed', null]]);
    expect(rungs).toEqual(['p1:adb', 'p1:session']);
  });

  it('records a scenario failure without retrying it, unless the campaign asks', async () => {
    const a = setup('name: n\nphones: [p1]\nscenarios: [a]\n', [two[0]]);
    await a.run(async () => result('failed'));
    expect(a.store.tests('c1')[0]).toMatchObject({ state: 'failed', attempts: 1, reason: 'failed on purpose' });
    const b = setup('name: n\nphones: [p1]\nscenarios: [a]\nscenarioRetries: 1\n', [two[0]]);
    await b.run(async () => result('failed'));
    expect(b.store.tests('c1')[0]).toMatchObject({ state: 'failed', attempts: 2 });
    expect(b.rungs).toEqual([]);
  });

  it('takes a phone out after unhealthyAfter infrastructure failures in a row; its tests are not run, with the reason', async () => {
    const { store, run } = setup('name: n\nphones: [p1, p2]\nscenarios: [a, b]\nretries: 5\nunhealthyAfter: 3\n', two);
    await run(async (ctx) => (ctx.phone.device.label === 'p1' ? result('error', 'health') : result('passed')));
    const p1 = store.tests('c1').filter((t) => t.phone === 'p1');
    expect(p1.map((t) => t.state).sort()).toEqual(['error', 'skipped']);
    expect(p1.find((t) => t.state === 'error')!.attempts).toBe(3);
    expect(p1.find((t) => t.state === 'skipped')!.reason).toMatch(/not run: phone p1 was taken out of the campaign \(3 infrastructure failures in a row/);
    expect(store.tests('c1').filter((t) => t.phone === 'p2').every((t) => t.state === 'passed')).toBe(true);
  });

  it('with assign any, an unhealthy phone\'s tests go to the other phone', async () => {
    const { store, run, ran } = setup('name: n\nphones: [p1, p2]\nassign: any\nscenarios: [a, b, c, d]\nunhealthyAfter: 2\nretries: 0\n', two);
    await run(async (ctx) => {
      await new Promise((r) => setTimeout(r, 5));
      return ctx.phone.device.label === 'p1' ? result('error', 'session') : result('passed');
    });
    expect(store.counts('c1')).toMatchObject({ passed: 3, error: 1, total: 4 });
    // the test p1 failed on the second time in a row went back to the queue and p2 ran it
    const errored = store.tests('c1').find((t) => t.state === 'error')!;
    expect(store.attempts(errored.id).every((a) => a.phone === 'p1')).toBe(true);
    expect(ran.filter((r) => r.phone === 'p2').length).toBeGreaterThanOrEqual(3);
  });

  it('with assign any, a phone that found nothing left waits for the tests others still run: one that comes back is run, not lost', async () => {
    // p2 runs its tests fast and finds the queue empty while p1 is still in its only test, which
    // then fails so that p1 is taken out: the test goes back to pending for p2
    const { store, run, ran } = setup('name: n\nphones: [p1, p2]\nassign: any\nscenarios: [a, b, c]\nunhealthyAfter: 1\nretries: 0\n', two);
    let p1Started = false;
    await run(async (ctx) => {
      if (ctx.phone.device.label === 'p1') {
        p1Started = true;
        await new Promise((r) => setTimeout(r, 200));
        return result('error', 'session');
      }
      while (!p1Started) await new Promise((r) => setTimeout(r, 2));
      return result('passed');
    });
    expect(store.counts('c1')).toMatchObject({ passed: 3, skipped: 0, total: 3 });
    const back = store.tests('c1').find((t) => store.attempts(t.id).some((a) => a.phone === 'p1'))!;
    expect(store.attempts(back.id).map((a) => a.phone)).toEqual(['p1', 'p2']);
    expect(ran.filter((r) => r.phone === 'p2')).toHaveLength(3);
  });

  it('a host that is gone takes all its phones out at once; with assign any its tests go to the other host\'s phone and nothing is lost', async () => {
    const phones = [
      { device: device('a1'), lab: true, host: 'A' },
      { device: device('b1'), lab: true, host: 'B' },
      { device: device('b2'), lab: true, host: 'B' },
    ];
    // host B answers until one of its phones fails a test
    let bGone = false;
    const { store, run, ran, rungs } = setup('name: n\nphones: [a1, b1, b2]\nassign: any\nscenarios: [a, b, c, d, e, f]\nretries: 2\nunhealthyAfter: 3\n', phones, async (phone) =>
      phone.host === 'B' && bGone ? 'adb server 127.0.0.1:5038 does not answer: ECONNREFUSED' : null,
    );
    const outcome = await run(async (ctx) => {
      await new Promise((r) => setTimeout(r, 5));
      if (ctx.phone.host !== 'B') return result('passed');
      bGone = true;
      return result('error', 'health');
    });
    expect(store.counts('c1')).toMatchObject({ passed: 6, total: 6 });
    expect(outcome.unhealthy.sort()).toEqual(['b1', 'b2']);
    expect(outcome.out.b1).toMatch(/^host B is gone \(adb server 127.0.0.1:5038 does not answer: ECONNREFUSED\): its phones are taken out/);
    expect(outcome.out.b2).toMatch(/^host B is gone/);
    // no recovery ladder on a host that is gone, and at most one failed attempt per phone of it
    expect(rungs).toEqual([]);
    expect(ran.filter((r) => r.phone !== 'a1').length).toBeLessThanOrEqual(2);
    for (const t of store.tests('c1')) expect(store.attempts(t.id).at(-1)).toMatchObject({ phone: 'a1', state: 'passed' });
  });

  it('with assign every, a gone host\'s tests are recorded as not run with the reason, found before its phone starts one', async () => {
    const phones = [
      { device: device('a1'), lab: true, host: 'A' },
      { device: device('b1'), lab: true, host: 'B' },
    ];
    const { store, run } = setup('name: n\nphones: [a1, b1]\nscenarios: [a, b]\nretries: 2\n', phones, async (phone) => (phone.host === 'B' ? 'Appium server http://127.0.0.1:4791: GET /status failed: ECONNREFUSED' : null));
    await run(async (ctx) => (ctx.phone.host === 'B' ? result('error', 'session') : result('passed')));
    const b1 = store.tests('c1').filter((t) => t.phone === 'b1');
    expect(b1.map((t) => [t.state, t.attempts])).toEqual([['skipped', 0], ['skipped', 0]]);
    for (const t of b1) expect(t.reason).toMatch(/not run: phone b1 was taken out of the campaign \(host B is gone \(Appium server/);
    expect(store.tests('c1').filter((t) => t.phone === 'a1').every((t) => t.state === 'passed')).toBe(true);
  });

  it('skips what a phone cannot run, with the reason, before anything runs', async () => {
    const phones = [{ device: device('p1', { kernel: 'none' }), lab: false }];
    const { store, run } = setup('name: n\nphones: [p1]\nscenarios: [a]\nmodes: [tcp, mptcp]\nnetworks: [{name: w}, {name: slow, profile: 3g}]\n', phones);
    await run(async () => result('passed'));
    const byKey = Object.fromEntries(store.tests('c1').map((t) => [t.key, t]));
    expect(byKey['p1/a/tcp/w/1'].state).toBe('passed');
    expect(byKey['p1/a/mptcp/w/1']).toMatchObject({ state: 'skipped', reason: expect.stringMatching(/no MPTCP .* runs mode tcp only/) });
    expect(byKey['p1/a/tcp/slow/1']).toMatchObject({ state: 'skipped', reason: expect.stringMatching(/not a lab phone/) });
  });

  it('an executor that throws is an infrastructure error; one that hangs is cut off at its limit', async () => {
    const { store, run } = setup('name: n\nphones: [p1]\nscenarios: [a, b]\nretries: 0\ncapSeconds: 1\n', [two[0]]);
    const spec = store.campaign('c1')!.spec;
    let n = 0;
    const outcome = runCampaign({
      store, campaignId: 'c1', spec, phones: [two[0]], dir: tempDir(), log: log('test'), overheadAllowanceS: 0.2,
      recovery: async (r) => r,
      executor: async (ctx) => {
        if (++n === 1) throw new Error('adb went away');
        // a test that ignores nothing but never ends by itself: it ends when told to stop
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        return result('failed', 'scenario');
      },
    });
    await outcome;
    void run;
    const states = store.tests('c1').map((t) => [t.state, t.reason]);
    expect(states).toEqual(expect.arrayContaining([['error', 'adb went away'], ['failed', 'failed on purpose']]));
  });

  it('a cancel from the store stops the campaign: the rest is recorded as not run', async () => {
    const { store, run } = setup('name: n\nphones: [p1]\nscenarios: [a, b, c]\n', [two[0]]);
    await run(async () => {
      store.requestCancel('c1');
      await new Promise((r) => setTimeout(r, 60));
      return result('passed');
    });
    const states = store.tests('c1').map((t) => t.state);
    expect(states.filter((s) => s === 'passed')).toHaveLength(1);
    expect(store.tests('c1').filter((t) => t.state === 'skipped').every((t) => t.reason === 'not run: the campaign was cancelled')).toBe(true);
  });

  it('an interrupted campaign leaves unfinished tests pending, and a resume runs only those', async () => {
    const { store, run, ran } = setup('name: n\nphones: [p1]\nscenarios: [a, b, c]\n', [two[0]]);
    const stop = new AbortController();
    let n = 0;
    await run(async (ctx) => {
      if (++n === 2) {
        stop.abort('SIGINT');
        await new Promise((r) => setTimeout(r, 5));
        return result('failed', 'scenario');
      }
      void ctx;
      return result('passed');
    }, stop.signal);
    expect(store.counts('c1')).toMatchObject({ passed: 1, pending: 2 });
    store.reopen('c1', process.pid, null);
    await run(async () => result('passed'));
    expect(store.counts('c1')).toMatchObject({ passed: 3, total: 3 });
    expect(ran.map((r) => r.key)).toHaveLength(4);
    expect(new Set(ran.slice(2).map((r) => r.key)).size).toBe(2);
    const interrupted = store.tests('c1').find((t) => t.attempts === 2)!;
    expect(store.attempts(interrupted.id).map((a) => a.state)).toEqual(['interrupted', 'passed']);
  });
});
