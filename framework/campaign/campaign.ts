import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { SCENARIOS, findScenario } from '../../scenarios/index.js';
import { findDevice, sessionUrlOf, type DevicesFile } from '../config/devices-file.js';
import { Problems } from '../config/validate.js';
import { findLabPhone } from '../runner/lab-phone.js';
import { AppiumService } from './appium-service.js';
import { hostHealthCheck } from './host-health.js';
import { CampaignFileError, type CampaignSpec } from './campaign-file.js';
import { runCampaign, type CampaignEvent, type CampaignPhone, type RecoveryActions, type TestExecutor } from './campaign-runner.js';
import { junitXml } from './junit.js';
import { dayOf, planCampaign } from './matrix.js';
import { PhoneLockError, PhoneLocks, processStart } from './phone-lock.js';
import { CampaignStore, type CampaignRow, type Counts } from './store/store.js';
import { runnerExecutor, runnerRecovery } from './test-executor.js';

/**
 * A campaign from start to end: checked against devices.json and the scenarios, planned for the
 * day, recorded in the results folder's store, its phones locked, run, and closed with its JUnit
 * file. `resume` takes a campaign of the store up again where it stopped.
 */
export const CAMPAIGN_EXIT = { ok: 0, failed: 1, usage: 2, devices: 3, error: 6, busy: 7, interrupted: 130 } as const;

export interface CampaignRunOptions {
  devices: DevicesFile;
  log: Logger;
  onEvent?: (event: CampaignEvent, store: CampaignStore, campaignId: string) => void;
  signal?: AbortSignal;
  /** The day the order is shuffled for (default today). */
  day?: string;
  /** Tests: another executor and recovery than mplab run's. */
  executor?: TestExecutor;
  recovery?: RecoveryActions;
  now?: Date;
}

export interface CampaignSummary {
  campaign: CampaignRow;
  counts: Counts;
  junit: string;
  store: string;
  unhealthy: string[];
  /** Why each phone was taken out (too many failures in a row, its host gone). */
  out: Record<string, string>;
  cancelled: boolean;
  interrupted: boolean;
}

/**
 * The campaign's phones from devices.json, and whether each is a lab phone. Unknown scenarios,
 * parameters a scenario does not take and phones devices.json does not know are refused together,
 * each with its field, as the file's own problems are.
 */
export function campaignPhones(spec: CampaignSpec, devices: DevicesFile): CampaignPhone[] {
  const problems = new Problems();
  spec.scenarios.forEach((s, i) => {
    const scenario = findScenario(s.name);
    if (!scenario) {
      problems.add(['scenarios', i], `no scenario ${JSON.stringify(s.name)}; there are: ${SCENARIOS.map((x) => x.name).join(', ')}`);
      return;
    }
    const known = Object.keys(scenario.params);
    for (const k of Object.keys(s.params)) if (!known.includes(k)) problems.add(['scenarios', i, 'params', k], `scenario ${s.name} takes ${known.length ? known.join(', ') : 'no parameters'}`);
  });
  const phones = spec.phones.flatMap((id, i) => {
    let device;
    try {
      device = findDevice(devices, id);
    } catch (err) {
      problems.add(['phones', i], (err as Error).message);
      return [];
    }
    // sessions: the campaign file's server, else the Grid or the phone's host's Appium server, else the campaign's own
    return [{ device, lab: findLabPhone(device.id) !== null, host: device.host ?? device.adbServer, sessionUrl: spec.appium ?? sessionUrlOf(devices, device) }];
  });
  if (problems.count > 0) throw new CampaignFileError(spec.file ?? 'campaign', problems.list);
  return phones;
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export async function startCampaign(spec: CampaignSpec, opts: CampaignRunOptions): Promise<CampaignSummary> {
  const phones = campaignPhones(spec, opts.devices);
  const now = opts.now ?? new Date();
  const day = opts.day ?? dayOf(now);
  const plan = planCampaign(spec, day);
  const id = `${spec.name}-${stamp(now)}`;
  const store = CampaignStore.inResults(spec.results);
  try {
    const locks = lockPhones(phones, id);
    try {
      store.createCampaign({ id, spec, day, seed: plan.seed, tests: plan.tests, pid: process.pid, pidStart: processStart(process.pid) });
      opts.log.info({ campaign: id, day, seed: plan.seed, tests: plan.tests.length, store: store.file }, 'campaign started');
      return await execute(store, id, spec, phones, opts);
    } finally {
      locks.release();
    }
  } finally {
    store.close();
  }
}

/** Takes a campaign of `results`'s store up again: tests a dead process left running are run again, finished ones never. */
export async function resumeCampaign(id: string, results: string, opts: CampaignRunOptions): Promise<CampaignSummary> {
  const store = CampaignStore.inResults(results);
  try {
    const row = store.campaign(id);
    if (!row) throw new UserError(`no campaign ${id} in ${store.file}`, CAMPAIGN_EXIT.usage);
    if (row.state === 'running' && row.pid !== null && row.pid !== process.pid && processStart(row.pid) !== null && processStart(row.pid) === row.pidStart) {
      throw new UserError(`campaign ${id} is running (pid ${row.pid}); mplab campaign cancel ${id} stops it`, CAMPAIGN_EXIT.busy);
    }
    const spec = row.spec;
    const phones = campaignPhones(spec, opts.devices);
    const locks = lockPhones(phones, id);
    try {
      const { requeued } = store.reopen(id, process.pid, processStart(process.pid));
      opts.log.info({ campaign: id, requeued, counts: store.counts(id) }, 'campaign resumed');
      return await execute(store, id, spec, phones, opts);
    } finally {
      locks.release();
    }
  } finally {
    store.close();
  }
}

function lockPhones(phones: CampaignPhone[], id: string): PhoneLocks {
  try {
    return PhoneLocks.acquire(phones.map((p) => ({ serial: p.device.id, label: p.device.label })), id);
  } catch (err) {
    if (err instanceof PhoneLockError) throw new UserError(`${err.message}: a phone runs one campaign at a time`, CAMPAIGN_EXIT.busy);
    throw err;
  }
}

async function execute(store: CampaignStore, id: string, spec: CampaignSpec, phones: CampaignPhone[], opts: CampaignRunOptions): Promise<CampaignSummary> {
  const appium = opts.executor ? null : new AppiumService({ url: spec.appium, logFile: path.join(spec.results, id, 'appium.log') });
  const runner = opts.executor ? null : runnerExecutor(appium);
  let outcome;
  try {
    outcome = await runCampaign({
      store,
      campaignId: id,
      spec,
      phones,
      dir: spec.results,
      executor: opts.executor ?? runner!.execute,
      recovery: opts.recovery ?? runnerRecovery(appium),
      onPhoneDone: runner?.putBack,
      hostCheck: hostHealthCheck(opts.devices),
      log: opts.log,
      signal: opts.signal,
      onEvent: (e) => opts.onEvent?.(e, store, id),
    });
  } finally {
    await appium?.stop();
  }
  const interrupted = Boolean(opts.signal?.aborted) && !outcome.cancelled;
  const junit = path.join(spec.results, id, 'junit.xml');
  const campaign = store.campaign(id)!;
  const tests = store.tests(id).map((test) => ({ test, attempts: store.attempts(test.id) }));
  // a campaign whose every test was skipped made no test folder: the campaign's folder may not exist yet
  mkdirSync(path.dirname(junit), { recursive: true });
  writeFileSync(junit, junitXml(campaign, tests));
  store.endCampaign(id, outcome.cancelled ? 'cancelled' : interrupted ? 'interrupted' : 'finished', path.relative(spec.results, junit));
  return { campaign: store.campaign(id)!, counts: store.counts(id), junit, store: store.file, unhealthy: outcome.unhealthy, out: outcome.out, cancelled: outcome.cancelled, interrupted };
}

/** The exit status of a campaign: 0 all passed (or skipped for a reason), 1 a scenario failed, 6 an infrastructure error or a test not run, 130 interrupted. */
export function campaignExitCode(s: CampaignSummary): number {
  if (s.interrupted) return CAMPAIGN_EXIT.interrupted;
  if (s.counts.error > 0 || s.unhealthy.length > 0 || s.cancelled) return CAMPAIGN_EXIT.error;
  if (s.counts.failed > 0) return CAMPAIGN_EXIT.failed;
  return CAMPAIGN_EXIT.ok;
}
