import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What `mplab run` leaves in a test's folder, as `result.json`: the test (scenario, phone, mode,
 * network), its verdict, its steps, the scenario's marks and experience measures, the analyzer's
 * summary and where every file is. Campaigns (the store) and reports read it; its `schema`
 * changes when a field changes meaning.
 */
export const RESULT_SCHEMA = 1;
export const RESULT_FILE = 'result.json';

export type Verdict = 'passed' | 'failed' | 'error';

/**
 * How good an experience measure is, where a seed defines bands. File downloads (WhatsApp's 5 MB
 * file, 000_1018b5d05352e2c8.txt Fig. 7): up to 20 s good, up to about 40 s still acceptable (the
 * good/bad threshold), beyond it bad, over 80 s very bad.
 */
export type Band = 'good' | 'acceptable' | 'bad' | 'very bad';

export const DOWNLOAD_BANDS: readonly { upTo: number; band: Band }[] = [
  { upTo: 20, band: 'good' },
  { upTo: 40, band: 'acceptable' },
  { upTo: 80, band: 'bad' },
  { upTo: Infinity, band: 'very bad' },
];

/** The band of a file download's time in seconds. */
export function downloadBand(seconds: number): Band {
  return DOWNLOAD_BANDS.find((b) => seconds <= b.upTo)!.band;
}

export interface Measure {
  /** e.g. "download-time", "page-load", "startup-delay", "stall-time", "stall-ratio", "upload-time", "delivery-time" */
  name: string;
  /** What it measured when there are several of a kind: "page 3 (news)", "video 2", "photo". */
  item?: string;
  /** null when the scenario could not measure it (the event never came). */
  value: number | null;
  unit: 's' | 'ms' | 'ratio' | 'bytes' | 'kbit/s' | 'count';
  band?: Band;
}

export interface Mark {
  name: string;
  /** Seconds since the scenario started. */
  t: number;
}

export interface StepRecord {
  /** health, network, reset, captures, session, scenario, stop-captures, analysis, restore */
  name: string;
  start: number;
  end: number;
  ok: boolean;
  error?: string;
}

export interface NetworkChange {
  /** Seconds after the scenario started. */
  at: number;
  /** e.g. "wifi down", "wifi up", "cellular 3g" */
  change: string;
}

export interface TestResult {
  schema: typeof RESULT_SCHEMA;
  /** The test's folder name: unique, sortable by time. */
  id: string;
  scenario: string;
  app: { package: string; label: string };
  phone: { id: string; label: string; model: string | null; android: string | null; sdk: number | null; lab: string | null };
  /** tcp, mptcp, backup, fullmesh, ... */
  mode: string;
  /**
   * The radios and default route (`name`: wifi, cellular or both), the lab profile whose links the
   * phone had (its file, null when none was set), the changes made during the scenario, and
   * `label`, the name of the network condition: a campaign network's name (networks[].name), or
   * for `mplab run` its --change list ("8:wifi-down"), null without one. Reports split tests by
   * all of it: two conditions on the same radios stay apart.
   */
  network: { name: 'wifi' | 'cellular' | 'both'; wifi: boolean; cellular: boolean; defaultRoute: 'wifi' | 'cellular'; profile: string | null; label: string | null; changes: NetworkChange[] };
  /** Scenario parameters (e.g. playback seconds) as given. */
  params: Record<string, string | number | boolean>;
  /** Epoch seconds. */
  start: number;
  end: number;
  seconds: number;
  verdict: Verdict;
  /** Why it failed or erred; null when it passed. */
  reason: string | null;
  /** The step that failed, if one did. */
  failedStep: string | null;
  steps: StepRecord[];
  marks: Mark[];
  measures: Measure[];
  /** The analyzer's view of the proxy capture (files in `analysis/`), null when there was none. */
  analysis: {
    dir: string;
    connections: number;
    mptcpConnections: number;
    subflows: number;
    bytes: { up: number; down: number };
    bytesOnCellular: { up: number; down: number } | null;
    handovers: number;
  } | null;
  /** Paths relative to the test's folder. */
  files: { captures: string[]; proxyLog: string | null; appiumLog: string | null; log: string; evidence: string[] };
}

/** Writes result.json under a temporary name and renames it into place: a reader never sees half of it. */
export function writeResult(dir: string, result: TestResult): string {
  const file = path.join(dir, RESULT_FILE);
  writeFileSync(`${file}.partial`, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(`${file}.partial`, file);
  return file;
}
