import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { UserError } from '../../../common/errors.js';
import { RESULT_FILE, type Measure } from '../../../common/test-result.js';
import { CampaignStore, STORE_FILE } from '../../campaign/store/store.js';
import type { AnalyzerRecords, ConnectionRecord, ReportTest, SubflowRecord, TestSource } from '../model.js';
import { readResultFile, reportTestOf } from './result-file.js';

/** An attempt row with the fields the report reads (`SELECT *`: a store of schema 1 lacks the result columns). */
interface AttemptLine {
  id: number;
  dir: string;
  scenario: string;
  mode: string;
  result_id?: string | null;
  app_package?: string | null;
  app_label?: string | null;
  phone_label?: string | null;
  network_name?: 'wifi' | 'cellular' | 'both' | null;
  default_route?: 'wifi' | 'cellular' | null;
  network_profile?: string | null;
  network_label?: string | null;
  result_start?: number | null;
  result_seconds?: number | null;
  analyzed?: number | null;
  state: 'passed' | 'failed' | 'error';
}

/** The attempt's result columns are filled (schema 2, a complete result.json when it ended). */
function stored(a: AttemptLine): boolean {
  return a.result_id != null && a.app_package != null && a.network_name != null && a.default_route != null;
}

/**
 * Sorts attempt folders as a results folder's walk finds them (framework/report/readers/results-folder.ts
 * sorts each level's names), so that a report from the store lists tests and writes CSV rows in
 * the same order as one from the folders.
 */
export function folderOrder(a: string, b: string): number {
  const x = a.split(/[\\/]/);
  const y = b.split(/[\\/]/);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}

/** A stored measure back in result.json's shape: `item` and `band` only when they were given. */
export function measureOf(row: { name: string; item: string | null; value: number | null; unit: string; band: string | null }): Measure {
  const m: Measure = { name: row.name, value: row.value, unit: row.unit as Measure['unit'] };
  if (row.item !== null) m.item = row.item;
  if (row.band !== null) m.band = row.band as NonNullable<Measure['band']>;
  return m;
}

/**
 * One campaign of the store (`RESULTS/campaigns.sqlite`): every attempt that ended with a result
 * (passed, failed, or an error after result.json was written), as the campaign's results folder
 * holds them, read with SQL: the metadata from the attempt's columns, the measures from
 * `measures`, the analyzer's records from `connections` and `subflows` (their `record` column,
 * the JSONL line as the analyzer wrote it). An attempt stored by a store of schema 1 (before the
 * result columns) has its metadata read from its result.json.
 */
export class StoreSource implements TestSource {
  readonly label: string;
  private readonly store: CampaignStore;
  private readonly attempts: AttemptLine[];

  constructor(
    private readonly results: string,
    private readonly campaignId: string,
  ) {
    const file = join(results, STORE_FILE);
    if (!existsSync(file)) throw new UserError(`${campaignId}: no such folder, and no campaign store in ${results} (${STORE_FILE} missing): give the campaign's results folder with --results`);
    this.store = CampaignStore.inResults(results, { readonly: true });
    const campaign = this.store.campaign(campaignId);
    if (!campaign) {
      const known = this.store.campaigns().map((c) => c.id);
      this.store.close();
      throw new UserError(`${campaignId}: no such folder, and no such campaign in ${file} (${known.length > 0 ? `it holds ${known.join(', ')}` : 'it holds none'})`);
    }
    this.label = `campaign ${campaignId} (${file})`;
    this.attempts = (
      this.store.db
        .prepare(
          `SELECT a.*, t.scenario AS scenario, t.mode AS mode FROM attempts a JOIN tests t ON t.id = a.test_id
           WHERE t.campaign_id = ? AND a.state IN ('passed', 'failed', 'error')`,
        )
        .all(campaignId) as AttemptLine[]
    )
      .filter((a) => stored(a) || existsSync(join(results, a.dir, RESULT_FILE)))
      .sort((a, b) => folderOrder(a.dir, b.dir));
  }

  count(): number {
    return this.attempts.length;
  }

  async *tests(): AsyncIterable<ReportTest> {
    const db = this.store.db;
    const measures = db.prepare('SELECT name, item, value, unit, band FROM measures WHERE attempt_id = ? ORDER BY seq');
    const records = new StoredRecords(db);
    try {
      for (const a of this.attempts) {
        const location = join(this.results, a.dir, RESULT_FILE);
        if (!stored(a)) {
          yield this.fromResultFile(a, location, records);
          continue;
        }
        yield {
          id: a.result_id!,
          input: this.campaignId,
          location,
          app: { package: a.app_package!, label: a.app_label! },
          scenario: a.scenario,
          mode: a.mode,
          network: { name: a.network_name!, defaultRoute: a.default_route!, profile: a.network_profile ?? null, label: a.network_label ?? null },
          phone: a.phone_label ?? null,
          verdict: a.state,
          start: a.result_start ?? null,
          seconds: a.result_seconds ?? null,
          measures: (measures.all(a.id) as Parameters<typeof measureOf>[0][]).map(measureOf),
          records: async () => (a.analyzed === 1 ? records.of(a.id) : null),
        };
      }
    } finally {
      this.store.close();
    }
  }

  /** An attempt of a schema-1 store: metadata and measures from result.json, records from the store when it has some. */
  private fromResultFile(a: AttemptLine, location: string, records: StoredRecords): ReportTest {
    const r = readResultFile(location);
    return reportTestOf(r, this.campaignId, location, async () => (r.analysis ? records.of(a.id) : null));
  }
}

/**
 * The analyzer's records of an attempt, in the order of its JSONL files: each table's `record`
 * column joined by SQLite into one JSON array and parsed once (a parse per row takes a fifth longer
 * on 10,000 tests). `ORDER BY` inside the aggregate needs SQLite 3.44 (better-sqlite3 12 has 3.53).
 */
export class StoredRecords {
  private readonly connections: Database.Statement;
  private readonly subflows: Database.Statement;

  constructor(db: Database.Database) {
    const query = (table: string) => db.prepare(`SELECT '[' || COALESCE(group_concat(record, ',' ORDER BY rowid), '') || ']' AS list FROM ${table} WHERE attempt_id = ?`).pluck();
    this.connections = query('connections');
    this.subflows = query('subflows');
  }

  of(attemptId: number): AnalyzerRecords {
    return {
      connections: JSON.parse(this.connections.get(attemptId) as string) as ConnectionRecord[],
      subflows: JSON.parse(this.subflows.get(attemptId) as string) as SubflowRecord[],
    };
  }
}
