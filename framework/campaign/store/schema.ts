import type Database from 'better-sqlite3';

/**
 * The store's schema, as numbered migrations: the database's `PRAGMA user_version` is the number
 * of migrations applied. A migration runs in the same transaction as the version bump, so a
 * store is at one version or the next, never between. Append new migrations; never edit one that
 * shipped. README "The store" documents the tables.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'campaigns, tests, attempts, connections, subflows, measures',
    sql: `
CREATE TABLE campaigns (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  file TEXT,
  spec TEXT NOT NULL,
  day TEXT NOT NULL,
  seed TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'cancelled', 'interrupted')),
  created REAL NOT NULL,
  started REAL,
  ended REAL,
  pid INTEGER,
  pid_start TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  junit TEXT
);
CREATE TABLE tests (
  id INTEGER PRIMARY KEY,
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  key TEXT NOT NULL,
  position INTEGER NOT NULL,
  phone TEXT,
  scenario TEXT NOT NULL,
  params TEXT NOT NULL,
  mode TEXT NOT NULL,
  network TEXT NOT NULL,
  repetition INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'passed', 'failed', 'error', 'skipped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  reason TEXT,
  ran_on TEXT,
  started REAL,
  ended REAL,
  seconds REAL,
  dir TEXT,
  final_attempt INTEGER,
  UNIQUE (campaign_id, key),
  UNIQUE (campaign_id, position)
);
CREATE INDEX tests_state ON tests (campaign_id, state);
CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  test_id INTEGER NOT NULL REFERENCES tests(id),
  number INTEGER NOT NULL,
  phone TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'passed', 'failed', 'error', 'interrupted')),
  kind TEXT CHECK (kind IN ('scenario', 'infrastructure')),
  reason TEXT,
  failed_step TEXT,
  dir TEXT NOT NULL,
  started REAL NOT NULL,
  ended REAL,
  recovery TEXT,
  UNIQUE (test_id, number)
);
CREATE TABLE connections (
  attempt_id INTEGER NOT NULL REFERENCES attempts(id),
  id INTEGER NOT NULL,
  trace INTEGER NOT NULL,
  kind TEXT NOT NULL,
  client TEXT NOT NULL,
  server TEXT NOT NULL,
  target_host TEXT,
  target_port INTEGER,
  start REAL NOT NULL,
  end REAL NOT NULL,
  duration REAL NOT NULL,
  subflows INTEGER NOT NULL,
  bytes_up INTEGER NOT NULL,
  bytes_down INTEGER NOT NULL,
  unique_up INTEGER NOT NULL,
  unique_down INTEGER NOT NULL,
  retransmitted_up INTEGER NOT NULL,
  retransmitted_down INTEGER NOT NULL,
  reinjected_up INTEGER NOT NULL,
  reinjected_down INTEGER NOT NULL,
  cellular_share_up REAL,
  cellular_share_down REAL,
  established INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  empty INTEGER NOT NULL,
  handover INTEGER NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (attempt_id, trace, id)
);
CREATE TABLE subflows (
  attempt_id INTEGER NOT NULL REFERENCES attempts(id),
  connection INTEGER NOT NULL,
  trace INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  client TEXT NOT NULL,
  server TEXT NOT NULL,
  iface TEXT,
  start REAL NOT NULL,
  end REAL NOT NULL,
  join_delay REAL,
  established INTEGER NOT NULL,
  backup INTEGER NOT NULL,
  bytes_up INTEGER NOT NULL,
  bytes_down INTEGER NOT NULL,
  rtt_avg_ms REAL,
  rtt_samples INTEGER NOT NULL,
  used INTEGER NOT NULL,
  unused_reason TEXT,
  record TEXT NOT NULL,
  PRIMARY KEY (attempt_id, trace, connection, idx)
);
CREATE TABLE measures (
  attempt_id INTEGER NOT NULL REFERENCES attempts(id),
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  item TEXT,
  value REAL,
  unit TEXT NOT NULL,
  band TEXT,
  PRIMARY KEY (attempt_id, seq)
);
`,
  },
  {
    version: 2,
    description: "attempts: result.json's fields a report needs (id, app, phone, network, start, seconds) and whether the analyzer's files were there",
    sql: `
ALTER TABLE attempts ADD COLUMN result_id TEXT;
ALTER TABLE attempts ADD COLUMN app_package TEXT;
ALTER TABLE attempts ADD COLUMN app_label TEXT;
ALTER TABLE attempts ADD COLUMN phone_label TEXT;
ALTER TABLE attempts ADD COLUMN network_name TEXT;
ALTER TABLE attempts ADD COLUMN default_route TEXT;
ALTER TABLE attempts ADD COLUMN network_profile TEXT;
ALTER TABLE attempts ADD COLUMN result_start REAL;
ALTER TABLE attempts ADD COLUMN result_seconds REAL;
ALTER TABLE attempts ADD COLUMN analyzed INTEGER;
`,
  },
  {
    version: 3,
    description: "attempts: result.json's network label (a campaign network's name), which reports split tests by",
    sql: `
ALTER TABLE attempts ADD COLUMN network_label TEXT;
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Brings the database to SCHEMA_VERSION; refuses a newer one (written by a newer mplab). Returns the versions applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations[migrations.length - 1].version;
  if (current > latest) throw new Error(`the store is at schema version ${current}, newer than this mplab knows (${latest}): use a newer mplab`);
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
    applied.push(m.version);
  }
  return applied;
}
