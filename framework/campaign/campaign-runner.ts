import path from 'node:path';
import pRetry, { AbortError } from 'p-retry';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { TestResult } from '../../common/test-result.js';
import type { DeviceConfig } from '../config/devices-file.js';
import type { KnownPhone } from '../devices/device.js';
import type { StepEvent } from '../runner/steps.js';
import type { CampaignNetwork, CampaignSpec } from './campaign-file.js';
import { cannotRun } from './eligibility.js';
import { decideRecovery, type LadderDecision, type Rung } from './ladder.js';
import { readAttemptRecords, type CampaignStore, type TestRow, type TestState } from './store/store.js';

/**
 * Runs a campaign's pending tests from the store: one worker per phone, one test at a time per
 * phone, phones in parallel. Each test: attempts recorded before they start and committed with
 * their records when they end; infrastructure errors retried (p-retry) after the phone's recovery
 * ladder; a scenario's failure retried only when the campaign asks; a phone with too many
 * infrastructure failures in a row is taken out and its remaining tests go to the other phones
 * (assign "any") or are recorded as not run. The test itself is run by a TestExecutor (the
 * runner's runTest in production), so that this file only sequences, retries and records.
 */
export interface CampaignPhone {
  device: DeviceConfig;
  /** The phone is a virtual lab phone. */
  lab: boolean;
  /** The phone host it is on (devices.json "hosts", else its adb server's address): a host that is gone takes all its phones out. */
  host?: string;
  /** Where its Appium sessions go (a Grid, its host's Appium server); null: the campaign's own server. */
  sessionUrl?: string | null;
  /** What its tests found out about it and the next may take as known (its root method); made by the first test. */
  known?: KnownPhone;
}

/** Whether a phone's host is still there (its adb server, its Appium server): null when it is, else why not. */
export type HostCheck = (phone: CampaignPhone) => Promise<string | null>;

export interface ExecutorContext {
  test: TestRow;
  network: CampaignNetwork;
  phone: CampaignPhone;
  /** The attempt's folder (absolute), new for each attempt. */
  dir: string;
  capSeconds: number;
  phoneCapture: boolean;
  signal: AbortSignal;
  onStep: (event: StepEvent) => void;
  log: Logger;
}

/** Runs one test attempt; resolves with its result.json (a thrown error is an infrastructure error without a result). */
export type TestExecutor = (ctx: ExecutorContext) => Promise<TestResult>;

/** Carries out a rung of the recovery ladder on a phone; resolves with what it did. */
export type RecoveryActions = (rung: Rung, phone: CampaignPhone, test: TestRow, log: Logger) => Promise<string>;

export type CampaignEvent =
  | { type: 'test-start'; phone: string; test: TestRow; attempt: number; dir: string }
  | { type: 'step'; phone: string; test: TestRow; step: StepEvent }
  | { type: 'test-end'; phone: string; test: TestRow; state: TestState; reason: string | null; willRetry: boolean }
  | { type: 'recovery'; phone: string; decision: LadderDecision; done: string[] }
  | { type: 'phone-out'; phone: string; why: string }
  | { type: 'skipped'; test: TestRow; reason: string };

export interface RunCampaignOptions {
  store: CampaignStore;
  campaignId: string;
  spec: CampaignSpec;
  phones: CampaignPhone[];
  /** The results folder: each attempt gets its own folder in <dir>/<campaign id>/. */
  dir: string;
  executor: TestExecutor;
  recovery: RecoveryActions;
  /** Called when a phone has no more tests (or is out): the place to put it back as it was. */
  onPhoneDone?: (phone: CampaignPhone, log: Logger) => Promise<void>;
  log: Logger;
  onEvent?: (event: CampaignEvent) => void;
  /** Aborting stops the running tests (they still clean up) and starts no new one. */
  signal?: AbortSignal;
  /** How often the store is asked whether `mplab campaign cancel` was run (ms). */
  cancelPollMs?: number;
  /** Beyond the scenario's cap, how long the rest of a test (set-up, captures, analysis, restore) may take before it is abandoned (s). */
  overheadAllowanceS?: number;
  /** Asked before each test and after an infrastructure failure: a host that is gone takes all its phones out at once, without climbing the ladder. */
  hostCheck?: HostCheck;
}

export interface CampaignOutcome {
  cancelled: boolean;
  unhealthy: string[];
  /** Why each phone was taken out. */
  out: Record<string, string>;
}

class AttemptFailed extends Error {
  constructor(
    readonly kind: 'scenario' | 'infrastructure',
    message: string,
    readonly willRetry: boolean,
    readonly decision: LadderDecision | null,
  ) {
    super(message);
  }
}

/** A folder name for a test attempt: position, scenario, phone, mode, network, repetition, attempt. */
export function attemptDirName(test: TestRow, phone: string, attempt: number): string {
  return `${String(test.position + 1).padStart(4, '0')}-${test.scenario}-${phone}-${test.mode}-${test.network}-r${test.repetition}-a${attempt}`.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function errorResult(message: string): TestResult {
  // an executor that threw: no result.json, only the reason
  return { verdict: 'error', reason: message, failedStep: null, measures: [], analysis: null } as unknown as TestResult;
}

export async function runCampaign(opts: RunCampaignOptions): Promise<CampaignOutcome> {
  const { store, spec, campaignId, log } = opts;
  const emit = (e: CampaignEvent) => opts.onEvent?.(e);
  const networks = new Map(spec.networks.map((n) => [n.name, n]));
  const stop = new AbortController();
  const external = () => stop.abort(opts.signal?.reason ?? 'stopped');
  opts.signal?.addEventListener('abort', external);
  if (opts.signal?.aborted) external();
  let cancelled = false;
  const poll = setInterval(() => {
    if (store.cancelRequested(campaignId)) {
      cancelled = true;
      stop.abort('the campaign was cancelled (mplab campaign cancel)');
    }
  }, opts.cancelPollMs ?? 2_000);

  const healthy = new Set(opts.phones.map((p) => p.device.label));
  const outWhy = new Map<string, string>();
  const taken = new Set<number>();
  /** Hosts found gone: their phones are not put back at the end (nothing can reach them). */
  const goneHosts = new Set<string>();
  /** Phones whose taking out was logged and emitted. */
  const announced = new Set<string>();
  /**
   * Tests being run now. A phone with nothing left to take waits while others run: a test of a
   * phone taken out goes back to pending, and a phone that had already left would leave it unrun.
   */
  let running = 0;
  let waiters: Array<() => void> = [];
  const wakeWaiters = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const untilATestEnds = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));
  stop.signal.addEventListener('abort', wakeWaiters);

  // tests no phone of the campaign can run are skipped before anything runs
  for (const test of store.tests(campaignId).filter((t) => t.state === 'pending')) {
    const network = networks.get(test.network);
    if (!network) {
      store.skip(test.id, `network ${test.network} is not in the campaign file any more`);
      continue;
    }
    const candidates = test.phone ? opts.phones.filter((p) => p.device.label === test.phone) : opts.phones;
    const reasons = candidates.map((p) => cannotRun(p, { mode: test.mode, network, phoneCapture: spec.phoneCapture }));
    if (candidates.length === 0 || reasons.every((r) => r !== null)) {
      const reason = candidates.length === 0 ? `phone ${test.phone} is not among the campaign's phones` : reasons.join('; ');
      store.skip(test.id, reason);
      emit({ type: 'skipped', test, reason });
    }
  }

  /**
   * Before each test and after an infrastructure failure: is the phone's host gone (its adb server or Appium server)?
   * Then every phone of that host is out at once, and its tests go to other hosts' phones or are
   * not run; the phones of the host that were running a test take themselves out when it ends.
   */
  const checkHost = async (phone: CampaignPhone, tlog: Logger): Promise<LadderDecision | null> => {
    if (!opts.hostCheck || !phone.host) return null;
    let why: string | null;
    try {
      why = await opts.hostCheck(phone);
    } catch (err) {
      why = null;
      tlog.warn({ err: errorMessage(err) }, 'host check failed');
    }
    if (why === null) return null;
    goneHosts.add(phone.host);
    const text = `host ${phone.host} is gone (${why}): its phones are taken out of the campaign`;
    for (const other of opts.phones.filter((p) => p.host === phone.host && p.device.label !== phone.device.label && healthy.has(p.device.label))) {
      healthy.delete(other.device.label);
      outWhy.set(other.device.label, text);
      announced.add(other.device.label);
      log.error({ device: other.device.label, why: text }, 'phone taken out of the campaign');
      emit({ type: 'phone-out', phone: other.device.label, why: text });
    }
    return { rungs: [], unhealthy: true, why: text };
  };

  const nextFor = (phone: CampaignPhone): TestRow | undefined => {
    for (const test of store.tests(campaignId)) {
      if (test.state !== 'pending' || taken.has(test.id)) continue;
      if (test.phone !== null && test.phone !== phone.device.label) continue;
      if (cannotRun(phone, { mode: test.mode, network: networks.get(test.network)!, phoneCapture: spec.phoneCapture })) continue;
      return test;
    }
    return undefined;
  };

  const worker = async (phone: CampaignPhone): Promise<void> => {
    const label = phone.device.label;
    const plog = log.child({ device: label });
    let consecutive = 0;
    while (!stop.signal.aborted && healthy.has(label)) {
      // a host gone between two tests is found before its phone's session waits for it in a Grid's queue
      const gone = await checkHost(phone, plog);
      if (gone) {
        healthy.delete(label);
        if (!outWhy.has(label)) outWhy.set(label, gone.why);
        if (!announced.has(label)) {
          announced.add(label);
          plog.error({ why: gone.why }, 'phone taken out of the campaign');
          emit({ type: 'phone-out', phone: label, why: gone.why });
        }
        return;
      }
      if (!healthy.has(label) || stop.signal.aborted) return;
      const test = nextFor(phone);
      if (!test) {
        if (running === 0) return;
        await untilATestEnds();
        continue;
      }
      taken.add(test.id);
      running += 1;
      let infraTries = 0;
      let scenarioTries = 0;
      try {
        await pRetry(
          async () => {
            if (stop.signal.aborted) throw new AbortError(String(stop.signal.reason));
            const attempt = store.startAttempt(test.id, label, (n) => path.join(campaignId, attemptDirName(test, label, n)));
            const dir = path.join(opts.dir, attempt.dir);
            const tlog = plog.child({ test: test.key, attempt: attempt.number });
            emit({ type: 'test-start', phone: label, test, attempt: attempt.number, dir });
            const result = await runWithLimit(opts, {
              test,
              network: networks.get(test.network)!,
              phone,
              dir,
              capSeconds: spec.capSeconds,
              phoneCapture: spec.phoneCapture,
              signal: stop.signal,
              onStep: (step) => emit({ type: 'step', phone: label, test, step }),
              log: tlog,
            });
            const verdict = result.verdict;
            const reason = result.reason;
            if (stop.signal.aborted && verdict !== 'passed') {
              // stopped from outside, not the test's own doing: run again on resume (or skipped as cancelled)
              store.interruptAttempt(attempt.id, test.id, `interrupted: ${String(stop.signal.reason)}`);
              emit({ type: 'test-end', phone: label, test, state: 'pending', reason: 'interrupted', willRetry: false });
              throw new AbortError(String(stop.signal.reason));
            }
            let records;
            try {
              records = readAttemptRecords(dir, result);
            } catch (err) {
              tlog.warn({ err: errorMessage(err) }, 'analyzer records not readable: the attempt is stored without them');
            }
            if (verdict === 'passed') {
              consecutive = 0;
              store.finishAttempt({ attemptId: attempt.id, testId: test.id, result, kind: null, reason: null, recovery: [], testState: 'passed', records });
              emit({ type: 'test-end', phone: label, test, state: 'passed', reason: null, willRetry: false });
              return;
            }
            if (verdict === 'failed') {
              consecutive = 0;
              scenarioTries += 1;
              const willRetry = scenarioTries <= spec.scenarioRetries && !stop.signal.aborted;
              store.finishAttempt({ attemptId: attempt.id, testId: test.id, result, kind: 'scenario', reason, recovery: [], testState: willRetry ? 'pending' : 'failed', records });
              emit({ type: 'test-end', phone: label, test, state: willRetry ? 'pending' : 'failed', reason, willRetry });
              throw new AttemptFailed('scenario', reason ?? 'failed', willRetry, null);
            }
            consecutive += 1;
            infraTries += 1;
            const hostGone = await checkHost(phone, tlog);
            const decision: LadderDecision =
              hostGone ?? (outWhy.has(label) ? { rungs: [], unhealthy: true, why: outWhy.get(label)! } : decideRecovery({ consecutive, failedStep: result.failedStep, unhealthyAfter: spec.unhealthyAfter, allowReboot: phone.device.allowReboot || phone.lab }));
            if (decision.unhealthy) {
              healthy.delete(label);
              if (!outWhy.has(label)) outWhy.set(label, decision.why);
            }
            const otherPhoneMayTake = decision.unhealthy && test.phone === null && healthy.size > 0;
            const willRetry = !stop.signal.aborted && !decision.unhealthy && infraTries <= spec.retries;
            const state: Exclude<TestState, 'running'> = willRetry || otherPhoneMayTake ? 'pending' : 'error';
            store.finishAttempt({ attemptId: attempt.id, testId: test.id, result: result.schema ? result : null, kind: 'infrastructure', reason, recovery: decision.rungs, testState: state, records });
            emit({ type: 'test-end', phone: label, test, state, reason, willRetry });
            if (otherPhoneMayTake) taken.delete(test.id);
            throw new AttemptFailed('infrastructure', reason ?? 'error', willRetry, decision);
          },
          {
            retries: spec.retries + spec.scenarioRetries,
            minTimeout: 0,
            maxTimeout: 0,
            onFailedAttempt: async ({ error }) => {
              if (!(error instanceof AttemptFailed) || !error.decision) return;
              const done: string[] = [];
              if (error.decision.unhealthy) {
                // a phone its host's check took out was announced then
                if (announced.has(label)) return;
                announced.add(label);
                plog.error({ why: error.decision.why }, 'phone taken out of the campaign');
                emit({ type: 'phone-out', phone: label, why: error.decision.why });
                return;
              }
              if (stop.signal.aborted) return;
              for (const rung of error.decision.rungs) {
                try {
                  done.push(await opts.recovery(rung, phone, test, plog));
                } catch (err) {
                  done.push(`${rung} failed: ${errorMessage(err)}`);
                }
              }
              plog.warn({ why: error.decision.why, done }, 'recovery ladder');
              emit({ type: 'recovery', phone: label, decision: error.decision, done });
            },
            shouldRetry: ({ error }) => error instanceof AttemptFailed && error.willRetry,
          },
        );
      } catch (err) {
        if (!(err instanceof AttemptFailed)) plog.error({ err: errorMessage(err), test: test.key }, 'test stopped');
      } finally {
        running -= 1;
        wakeWaiters();
      }
    }
  };

  const workerThenPutBack = async (phone: CampaignPhone): Promise<void> => {
    try {
      await worker(phone);
    } finally {
      if (phone.host && goneHosts.has(phone.host)) log.warn({ device: phone.device.label, host: phone.host }, 'phone not put back: its host is gone');
      else await opts.onPhoneDone?.(phone, log.child({ device: phone.device.label })).catch((err: unknown) => log.warn({ device: phone.device.label, err: errorMessage(err) }, 'phone not put back'));
    }
  };
  try {
    await Promise.all(opts.phones.map((p) => workerThenPutBack(p)));
  } finally {
    clearInterval(poll);
    opts.signal?.removeEventListener('abort', external);
  }
  if (store.cancelRequested(campaignId)) cancelled = true;

  // what is still pending was not run: say why
  for (const test of store.tests(campaignId).filter((t) => t.state === 'pending')) {
    let reason: string;
    if (cancelled) reason = 'not run: the campaign was cancelled';
    else if (stop.signal.aborted) reason = `not run: the campaign was stopped (${String(stop.signal.reason)})`;
    else {
      const out = test.phone ? outWhy.get(test.phone) : [...outWhy.entries()].map(([p, w]) => `${p}: ${w}`).join('; ');
      reason = `not run: ${test.phone ? `phone ${test.phone} was` : 'every phone that could run it was'} taken out of the campaign${out ? ` (${out})` : ''}`;
    }
    if (stop.signal.aborted && !cancelled) continue; // an interrupted campaign keeps them pending for resume
    store.skip(test.id, reason);
    emit({ type: 'skipped', test, reason });
  }
  return { cancelled, unhealthy: [...outWhy.keys()], out: Object.fromEntries(outWhy) };
}

/**
 * The executor under a hard limit: the scenario's cap plus the allowance for the other steps.
 * Past it the test is told to stop (its cleanup runs); if it still does not return within a
 * minute it is abandoned and recorded as an infrastructure error.
 */
async function runWithLimit(opts: RunCampaignOptions, ctx: ExecutorContext): Promise<TestResult> {
  const limitS = ctx.capSeconds + (opts.overheadAllowanceS ?? 300);
  const abort = new AbortController();
  const forward = () => abort.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', forward);
  let timer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const overrun = new Promise<TestResult>((resolve) => {
    timer = setTimeout(() => {
      abort.abort(`the test ran over its limit of ${limitS} s (cap ${ctx.capSeconds} s plus ${limitS - ctx.capSeconds} s for the other steps)`);
      graceTimer = setTimeout(() => resolve(errorResult(`the test ran over its limit of ${limitS} s and did not stop within 60 s of being told to: abandoned`)), 60_000);
    }, limitS * 1000);
  });
  try {
    return await Promise.race([opts.executor({ ...ctx, signal: abort.signal }).catch((err: unknown) => errorResult(errorMessage(err))), overrun]);
  } finally {
    clearTimeout(timer);
    clearTimeout(graceTimer);
    ctx.signal.removeEventListener('abort', forward);
  }
}
