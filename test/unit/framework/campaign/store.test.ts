import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseCampaignText } from '../../../../framework/campaign/campaign-file.js';
import { planCampaign } from '../../../../framework/campaign/matrix.js';
import { migrate, MIGRATIONS, SCHEMA_VERSION } from '../../../../framework/campaign/store/schema.js';
import { CampaignStore, readAttemptRecords } from '../../../../framework/campaign/store/store.js';
import { tempDir } from '../../../support/tmp.js';

const spec = parseCampaignText('name: n\nphones: [phone1]\nscenarios: [a, b]\nmodes: [tcp, mptcp]\n', '/tmp/n.yaml');

function newStore(): { store: CampaignStore; dir: string } {
  const dir = tempDir();
  const store = CampaignStore.inResults(dir);
  const plan = planCampaign(spec, '2025-01-01');
  store.createCampaign({ id: 'c1', spec, day: '2025-01-01', seed: plan.seed, tests: plan.tests, pid: process.pid, pidStart: null });
  return { store, dir };
}

describe('campaign store', () => {
  it('creates the schema at the latest version, in WAL mode', () => {
    const { store } = newStore();
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.counts('c1')).toMatchObject({ pending: 4, total: 4 });
  });

  it('applies only the migrations a store lacks, each with its version, and refuses a newer store', () => {
    const db = new Database(':memory:');
    const extra = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, description: 'test', sql: 'ALTER TABLE tests ADD COLUMN note TEXT;' }];
    expect(migrate(db, MIGRATIONS)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(migrate(db, MIGRATIONS)).toEqual([]);
    expect(migrate(db, extra)).toEqual([SCHEMA_VERSION + 1]);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    expect(() => migrate(db, MIGRATIONS)).toThrow(/newer than this mplab knows/);
  });

  it('a failed migration leaves the store at the version before it', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS);
    const broken = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, description: 'broken', sql: 'CREATE TABLE x (a INTEGER); SELECT * FROM nowhere;' }];
    expect(() => migrate(db, broken)).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'x'").get()).toBeUndefined();
  });

  it('commits an attempt with its connections, subflows and measures together', () => {
    const { store, dir } = newStore();
    const [test] = store.tests('c1');
    const a = store.startAttempt(test.id, 'phone1', (n) => `c1/t-a${n}`);
    expect(store.test(test.id)).toMatchObject({ state: 'running', attempts: 1, ranOn: 'phone1' });
    const folder = path.join(dir, a.dir, 'analysis');
    mkdirSync(folder, { recursive: true });
    const up = { up: 10, down: 20 };
    const conn = { id: 1, trace: 0, kind: 'mptcp', client: '198.18.1.2:4000', server: '198.18.0.1:1080', target: { host: 'origin', port: 80 }, start: 1, end: 2, duration: 1, subflows: 1, bytes: up, uniqueBytes: up, retransmittedBytes: { up: 0, down: 0 }, reinjectedBytes: { up: 0, down: 0 }, cellularShare: { up: 0, down: 0.5 }, established: true, failed: false, empty: false, handover: false };
    const sub = { connection: 1, trace: 0, index: 0, client: '198.18.1.2:4000', server: '198.18.0.1:1080', iface: 'wifi', start: 1, end: 2, joinDelay: null, established: true, backup: false, bytes: up, rtt: { avgMs: 12.5, samples: 3 }, used: true, unusedReason: null };
    writeFileSync(path.join(folder, 'connections.jsonl'), `${JSON.stringify(conn)}\n`);
    writeFileSync(path.join(folder, 'subflows.jsonl'), `${JSON.stringify(sub)}\n`);
    const result = { verdict: 'passed', reason: null, failedStep: null, measures: [{ name: 'download-time', value: 3.2, unit: 's', band: 'good' }], analysis: { dir: 'analysis' } } as never;
    store.finishAttempt({ attemptId: a.id, testId: test.id, result, kind: null, reason: null, recovery: [], testState: 'passed', records: readAttemptRecords(path.join(dir, a.dir), result) });
    expect(store.test(test.id)).toMatchObject({ state: 'passed', finalAttempt: a.id });
    expect(store.db.prepare('SELECT target_host, bytes_down, cellular_share_down FROM connections').all()).toEqual([{ target_host: 'origin', bytes_down: 20, cellular_share_down: 0.5 }]);
    expect(store.db.prepare('SELECT iface, rtt_avg_ms FROM subflows').all()).toEqual([{ iface: 'wifi', rtt_avg_ms: 12.5 }]);
    expect(store.db.prepare('SELECT name, value, band FROM measures').all()).toEqual([{ name: 'download-time', value: 3.2, band: 'good' }]);
    // result.json's fields a report splits by, and whether the analyzer's files were there (this result is partial: no id, app or network)
    expect(store.db.prepare('SELECT result_id, app_package, network_name, analyzed FROM attempts').all()).toEqual([{ result_id: null, app_package: null, network_name: null, analyzed: 1 }]);
    // a finished test is never started again
    expect(() => store.startAttempt(test.id, 'phone1', () => 'x')).toThrow(/not pending/);
  });

  it('resume puts the tests a dead process left running back to pending and keeps their attempts as interrupted', () => {
    const { store } = newStore();
    const [t1, t2] = store.tests('c1');
    const a1 = store.startAttempt(t1.id, 'phone1', () => 'c1/a');
    store.finishAttempt({ attemptId: a1.id, testId: t1.id, result: { verdict: 'passed' } as never, kind: null, reason: null, recovery: [], testState: 'passed' });
    store.startAttempt(t2.id, 'phone1', () => 'c1/b');
    expect(store.reopen('c1', 4242, null)).toEqual({ requeued: 1 });
    expect(store.test(t1.id).state).toBe('passed');
    expect(store.test(t2.id)).toMatchObject({ state: 'pending', attempts: 1 });
    expect(store.attempts(t2.id).map((a) => a.state)).toEqual(['interrupted']);
    const again = store.startAttempt(t2.id, 'phone1', (n) => `c1/b${n}`);
    expect(again.number).toBe(2);
  });

  it('a process killed in the middle of a commit leaves the attempt uncommitted, not half written', () => {
    const { store, dir } = newStore();
    const [t1] = store.tests('c1');
    store.startAttempt(t1.id, 'phone1', () => 'c1/a');
    store.close();
    // a child opens the store, begins the attempt's transaction, writes, and dies by SIGKILL before COMMIT
    const script = `
      const Database = require('better-sqlite3');
      const db = new Database(${JSON.stringify(path.join(dir, 'campaigns.sqlite'))});
      db.exec("BEGIN; UPDATE attempts SET state = 'passed'; UPDATE tests SET state = 'passed' WHERE id = ${t1.id}; INSERT INTO measures VALUES (1, 0, 'x', NULL, 1, 's', NULL);");
      process.kill(process.pid, 'SIGKILL');`;
    expect(() => execFileSync(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: 'pipe' })).toThrow();
    const reopened = CampaignStore.inResults(dir);
    expect(reopened.test(t1.id).state).toBe('running');
    expect(reopened.db.prepare('SELECT COUNT(*) AS n FROM measures').get()).toEqual({ n: 0 });
    expect(reopened.reopen('c1', process.pid, null).requeued).toBe(1);
  });
});
