import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { TestResult } from '../../../common/test-result.js';
import type { CampaignSpec } from '../campaign-file.js';
import type { PlannedTest } from '../matrix.js';
import { readAttemptRecords, type AttemptRecords } from './records.js';
import { migrate } from './schema.js';

/**
 * The campaign store: one SQLite file (WAL) per results folder, `campaigns.sqlite`. The runner
 * writes it; `mplab campaign list|status|cancel` and reports read it, also while a campaign runs
 * (WAL lets readers go on beside the one writer). A test attempt's outcome and its records are
 * written in one transaction, so a campaign killed at any point holds each finished test once.
 */
export const STORE_FILE = 'campaigns.sqlite';

export type TestState = 'pending' | 'running' | 'passed' | 'failed' | 'error' | 'skipped';
export type CampaignState = 'running' | 'finished' | 'cancelled' | 'interrupted';
export type AttemptKind = 'scenario' | 'infrastructure';

export interface CampaignRow {
  id: string;
  name: string;
  file: string | null;
  spec: CampaignSpec;
  day: string;
  seed: string;
  state: CampaignState;
  created: number;
  started: number | null;
  ended: number | null;
  pid: number | null;
  pidStart: string | null;
  cancelRequested: boolean;
  junit: string | null;
}

export interface TestRow {
  id: number;
  campaignId: string;
  key: string;
  position: number;
  phone: string | null;
  scenario: string;
  params: Record<string, string | number | boolean>;
  mode: string;
  network: string;
  repetition: number;
  state: TestState;
  attempts: number;
  reason: string | null;
  ranOn: string | null;
  started: number | null;
  ended: number | null;
  seconds: number | null;
  dir: string | null;
  finalAttempt: number | null;
}

export interface AttemptRow {
  id: number;
  testId: number;
  number: number;
  phone: string;
  state: 'running' | 'passed' | 'failed' | 'error' | 'interrupted';
  kind: AttemptKind | null;
  reason: string | null;
  failedStep: string | null;
  dir: string;
  started: number;
  ended: number | null;
  recovery: string[];
}

export type Counts = Record<TestState, number> & { total: number };

const now = (): number => Date.now() / 1000;

/* eslint-disable @typescript-eslint/no-explicit-any */
function campaignRow(r: any): CampaignRow {
  return {
    id: r.id,
    name: r.name,
    file: r.file,
    spec: JSON.parse(r.spec),
    day: r.day,
    seed: r.seed,
    state: r.state,
    created: r.created,
    started: r.started,
    ended: r.ended,
    pid: r.pid,
    pidStart: r.pid_start,
    cancelRequested: r.cancel_requested === 1,
    junit: r.junit,
  };
}

function testRow(r: any): TestRow {
  return {
    id: r.id,
    campaignId: r.campaign_id,
    key: r.key,
    position: r.position,
    phone: r.phone,
    scenario: r.scenario,
    params: JSON.parse(r.params),
    mode: r.mode,
    network: r.network,
    repetition: r.repetition,
    state: r.state,
    attempts: r.attempts,
    reason: r.reason,
    ranOn: r.ran_on,
    started: r.started,
    ended: r.ended,
    seconds: r.seconds,
    dir: r.dir,
    finalAttempt: r.final_attempt,
  };
}

function attemptRow(r: any): AttemptRow {
  return {
    id: r.id,
    testId: r.test_id,
    number: r.number,
    phone: r.phone,
    state: r.state,
    kind: r.kind,
    reason: r.reason,
    failedStep: r.failed_step,
    dir: r.dir,
    started: r.started,
    ended: r.ended,
    recovery: r.recovery ? JSON.parse(r.recovery) : [],
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

const b = (v: boolean): number => (v ? 1 : 0);

export class CampaignStore {
  readonly db: Database.Database;

  /** Opens (creating and migrating) `dir/campaigns.sqlite`, or the file itself when `file` ends in .sqlite. */
  constructor(
    readonly file: string,
    opts: { readonly?: boolean } = {},
  ) {
    if (!opts.readonly) mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false, timeout: 10_000 });
    if (!opts.readonly) {
      this.db.pragma('journal_mode = WAL');
      // a commit survives a process crash with NORMAL in WAL mode; FULL also survives a power cut
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      migrate(this.db);
    }
  }

  static inResults(dir: string, opts: { readonly?: boolean } = {}): CampaignStore {
    return new CampaignStore(path.join(dir, STORE_FILE), opts);
  }

  close(): void {
    this.db.close();
  }

  /** A new campaign with its tests, all pending, in one transaction. */
  createCampaign(c: { id: string; spec: CampaignSpec; day: string; seed: string; tests: PlannedTest[]; pid: number; pidStart: string | null }): void {
    const insertCampaign = this.db.prepare(
      `INSERT INTO campaigns (id, name, file, spec, day, seed, state, created, started, pid, pid_start) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)`,
    );
    const insertTest = this.db.prepare(
      `INSERT INTO tests (campaign_id, key, position, phone, scenario, params, mode, network, repetition, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
    );
    this.db.transaction(() => {
      const t = now();
      insertCampaign.run(c.id, c.spec.name, c.spec.file, JSON.stringify(c.spec), c.day, c.seed, t, t, c.pid, c.pidStart);
      for (const test of c.tests) insertTest.run(c.id, test.key, test.position, test.phone, test.scenario, JSON.stringify(test.params), test.mode, test.network, test.repetition);
    })();
  }

  campaign(id: string): CampaignRow | null {
    const r = this.db.prepare('SELECT * FROM campaigns WHERE id = ?').get(id);
    return r ? campaignRow(r) : null;
  }

  campaigns(): CampaignRow[] {
    return this.db.prepare('SELECT * FROM campaigns ORDER BY created').all().map(campaignRow);
  }

  tests(campaignId: string): TestRow[] {
    return this.db.prepare('SELECT * FROM tests WHERE campaign_id = ? ORDER BY position').all(campaignId).map(testRow);
  }

  test(id: number): TestRow {
    return testRow(this.db.prepare('SELECT * FROM tests WHERE id = ?').get(id));
  }

  attempts(testId: number): AttemptRow[] {
    return this.db.prepare('SELECT * FROM attempts WHERE test_id = ? ORDER BY number').all(testId).map(attemptRow);
  }

  counts(campaignId: string): Counts {
    const counts: Counts = { pending: 0, running: 0, passed: 0, failed: 0, error: 0, skipped: 0, total: 0 };
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM tests WHERE campaign_id = ? GROUP BY state').all(campaignId) as { state: TestState; n: number }[]) {
      counts[r.state] = r.n;
      counts.total += r.n;
    }
    return counts;
  }

  /**
   * A campaign taken up again (resume): tests left running by a dead process are pending again,
   * their attempts marked interrupted (their folders stay, as evidence of what was under way).
   */
  reopen(id: string, pid: number, pidStart: string | null): { requeued: number } {
    return this.db.transaction(() => {
      this.db.prepare(`UPDATE attempts SET state = 'interrupted', ended = COALESCE(ended, ?) WHERE state = 'running' AND test_id IN (SELECT id FROM tests WHERE campaign_id = ?)`).run(now(), id);
      const requeued = this.db.prepare(`UPDATE tests SET state = 'pending' WHERE campaign_id = ? AND state = 'running'`).run(id).changes;
      this.db.prepare(`UPDATE campaigns SET state = 'running', pid = ?, pid_start = ?, ended = NULL, cancel_requested = 0 WHERE id = ?`).run(pid, pidStart, id);
      return { requeued };
    })();
  }

  /** Starts an attempt: the test is running on `phone`; returns the attempt's id and number. */
  startAttempt(testId: number, phone: string, dirOf: (number: number) => string): { id: number; number: number; dir: string } {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT attempts, state FROM tests WHERE id = ?').get(testId) as { attempts: number; state: TestState };
      if (row.state !== 'pending') throw new Error(`test ${testId} is ${row.state}, not pending: it is not run again`);
      const number = row.attempts + 1;
      const dir = dirOf(number);
      const t = now();
      const id = Number(
        this.db.prepare(`INSERT INTO attempts (test_id, number, phone, state, dir, started) VALUES (?, ?, ?, 'running', ?, ?)`).run(testId, number, phone, dir, t).lastInsertRowid,
      );
      this.db.prepare(`UPDATE tests SET state = 'running', attempts = ?, ran_on = ?, started = COALESCE(started, ?), dir = ? WHERE id = ?`).run(number, phone, t, dir, testId);
      return { id, number, dir };
    })();
  }

  /**
   * Ends an attempt in one transaction: its outcome, its analyzer records and measures, and the
   * test's state: final (passed, failed, error) or pending again when it will be tried again.
   */
  finishAttempt(f: {
    attemptId: number;
    testId: number;
    result: TestResult | null;
    kind: AttemptKind | null;
    reason: string | null;
    recovery: string[];
    /** The test's state after this attempt. */
    testState: Exclude<TestState, 'running'>;
    records?: AttemptRecords;
  }): void {
    const t = now();
    const verdict = f.result?.verdict ?? 'error';
    this.db.transaction(() => {
      this.db
        .prepare(`UPDATE attempts SET state = ?, kind = ?, reason = ?, failed_step = ?, ended = ?, recovery = ? WHERE id = ?`)
        .run(verdict, f.kind, f.reason, f.result?.failedStep ?? null, t, JSON.stringify(f.recovery), f.attemptId);
      if (f.result) this.insertResultFields(f.attemptId, f.result, f.records?.analyzed ?? false);
      if (f.records) this.insertRecords(f.attemptId, f.records);
      if (f.testState === 'pending') {
        this.db.prepare(`UPDATE tests SET state = 'pending', reason = ? WHERE id = ?`).run(f.reason, f.testId);
      } else {
        const started = (this.db.prepare('SELECT started FROM tests WHERE id = ?').get(f.testId) as { started: number | null }).started ?? t;
        this.db
          .prepare(`UPDATE tests SET state = ?, reason = ?, ended = ?, seconds = ?, final_attempt = ? WHERE id = ?`)
          .run(f.testState, f.reason, t, Number((t - started).toFixed(3)), f.attemptId, f.testId);
      }
    })();
  }

  /** An attempt stopped from outside (cancel, SIGINT): the test is pending again, the attempt kept as interrupted. */
  interruptAttempt(attemptId: number, testId: number, reason: string): void {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE attempts SET state = 'interrupted', reason = ?, ended = ? WHERE id = ?`).run(reason, now(), attemptId);
      this.db.prepare(`UPDATE tests SET state = 'pending' WHERE id = ? AND state = 'running'`).run(testId);
    })();
  }

  /** A test that will not run: skipped with the reason (a phone that cannot run it, an unhealthy phone, a cancel). */
  skip(testId: number, reason: string): void {
    this.db.prepare(`UPDATE tests SET state = 'skipped', reason = ?, ended = ? WHERE id = ? AND state = 'pending'`).run(reason, now(), testId);
  }

  /** Moves a pending test to another phone (its own was taken out). */
  reassign(testId: number, phone: string): void {
    this.db.prepare(`UPDATE tests SET phone = ? WHERE id = ? AND state = 'pending'`).run(phone, testId);
  }

  requestCancel(id: string): boolean {
    return this.db.prepare(`UPDATE campaigns SET cancel_requested = 1 WHERE id = ? AND state = 'running'`).run(id).changes > 0;
  }

  cancelRequested(id: string): boolean {
    return (this.db.prepare('SELECT cancel_requested FROM campaigns WHERE id = ?').get(id) as { cancel_requested: number } | undefined)?.cancel_requested === 1;
  }

  endCampaign(id: string, state: Exclude<CampaignState, 'running'>, junit: string | null = null): void {
    this.db.prepare(`UPDATE campaigns SET state = ?, ended = ?, junit = COALESCE(?, junit) WHERE id = ?`).run(state, now(), junit, id);
  }

  /** result.json's fields that a report splits and filters by, so that it reads them from here (framework/report/readers/store.ts). */
  private insertResultFields(attemptId: number, result: TestResult, analyzed: boolean): void {
    // a result that stopped short of result.json's contract (an executor's error) leaves the columns null
    const r = result as Partial<TestResult>;
    this.db
      .prepare(
        `UPDATE attempts SET result_id = ?, app_package = ?, app_label = ?, phone_label = ?, network_name = ?, default_route = ?, network_profile = ?, network_label = ?,
          result_start = ?, result_seconds = ?, analyzed = ? WHERE id = ?`,
      )
      .run(
        r.id ?? null, r.app?.package ?? null, r.app?.label ?? null, r.phone?.label ?? null, r.network?.name ?? null, r.network?.defaultRoute ?? null, r.network?.profile ?? null, r.network?.label ?? null,
        r.start ?? null, r.seconds ?? null, b(analyzed), attemptId,
      );
  }

  private insertRecords(attemptId: number, records: AttemptRecords): void {
    const conn = this.db.prepare(
      `INSERT INTO connections (attempt_id, id, trace, kind, client, server, target_host, target_port, start, end, duration, subflows, bytes_up, bytes_down, unique_up, unique_down,
        retransmitted_up, retransmitted_down, reinjected_up, reinjected_down, cellular_share_up, cellular_share_down, established, failed, empty, handover, record)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const c of records.connections) {
      conn.run(
        attemptId, c.id, c.trace, c.kind, c.client, c.server, c.target?.host ?? null, c.target?.port ?? null, c.start, c.end, c.duration, c.subflows,
        c.bytes.up, c.bytes.down, c.uniqueBytes.up, c.uniqueBytes.down, c.retransmittedBytes.up, c.retransmittedBytes.down, c.reinjectedBytes.up, c.reinjectedBytes.down,
        c.cellularShare?.up ?? null, c.cellularShare?.down ?? null, b(c.established), b(c.failed), b(c.empty), b(c.handover), JSON.stringify(c),
      );
    }
    const sub = this.db.prepare(
      `INSERT INTO subflows (attempt_id, connection, trace, idx, client, server, iface, start, end, join_delay, established, backup, bytes_up, bytes_down, rtt_avg_ms, rtt_samples, used, unused_reason, record)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const s of records.subflows) {
      sub.run(
        attemptId, s.connection, s.trace, s.index, s.client, s.server, s.iface, s.start, s.end, s.joinDelay, b(s.established), b(s.backup),
        s.bytes.up, s.bytes.down, s.rtt.avgMs, s.rtt.samples, b(s.used), s.unusedReason, JSON.stringify(s),
      );
    }
    const measure = this.db.prepare(`INSERT INTO measures (attempt_id, seq, name, item, value, unit, band) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    records.measures.forEach((m, i) => measure.run(attemptId, i, m.name, m.item ?? null, m.value, m.unit, m.band ?? null));
  }
}

export { readAttemptRecords };
