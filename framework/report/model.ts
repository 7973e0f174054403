/**
 * The report's input model: what `mplab report` knows about each test, whatever it was read from.
 *
 * A source (a results folder, an `mplab analyze` output folder, a campaign of the store) is a
 * `TestSource`: it says how many tests it holds and yields them one at a time as
 * `ReportTest`s. The report keeps only what its figures need of each test, so a source must not
 * load every test's records up front: `records()` is called once per test, and only for the tests
 * that pass the report's filters (`--since`), after their metadata was looked at, and before the
 * next test is asked for (the store's reader closes the database after the last one).
 *
 * Writing a reader for a new source:
 *   - metadata comes from result.json's fields (common/test-result.ts) or their columns; a source
 *     that does not know a field gives null (an analyze folder has no app, mode or network), and
 *     the report then neither splits nor filters by it;
 *   - `records()` returns the analyzer's records of the test as `mplab analyze` writes them
 *     (analysis/records.ts, docs/analyzer.md): every field docs/analyzer.md lists, in the same units.
 *     Fields added to the analyzer later (`ackSizes`, `connectRttMs`) may be missing in older
 *     records; the report then says the figure lacks data instead of failing;
 *   - errors a user can fix (a malformed file, a field of the wrong type) are UserErrors that name
 *     the file or row and the field.
 */
import type { ConnectionRecord as AnalyzerConnection, SubflowRecord as AnalyzerSubflow } from '../../analysis/records.js';
import type { Measure, Verdict } from '../../common/test-result.js';

export type { Band, Measure } from '../../common/test-result.js';

/** A connection record; `ackSizes` is missing in the output of an analyzer older than the report. */
export type ConnectionRecord = Omit<AnalyzerConnection, 'ackSizes'> & Partial<Pick<AnalyzerConnection, 'ackSizes'>>;
/** A subflow record; `connectRttMs` is missing in the output of an analyzer older than the report. */
export type SubflowRecord = Omit<AnalyzerSubflow, 'connectRttMs'> & Partial<Pick<AnalyzerSubflow, 'connectRttMs'>>;

/** The analyzer's output for one test: its connections and their subflows (any order). */
/** A connection's key among a test's records (its trace and id), as its subflows name it (`trace`, `connection`). */
export function connectionKey(trace: number, id: number): number {
  return trace * 1e9 + id;
}

export interface AnalyzerRecords {
  connections: ConnectionRecord[];
  subflows: SubflowRecord[];
}

export interface ReportTest {
  /** Unique among the report's tests: result.json's id, or the analyze folder's path. */
  id: string;
  /** The input it came from as the user named it (a folder, a campaign id): the `input` split. */
  input: string;
  /** What a message about this test points to: its result.json, or its folder. */
  location: string;
  /** The app under test; null when the source does not say (an analyze folder). */
  app: { package: string; label: string } | null;
  scenario: string | null;
  /** tcp, mptcp, backup, fullmesh, ...; null when unknown. */
  mode: string | null;
  network: { name: 'wifi' | 'cellular' | 'both'; defaultRoute: 'wifi' | 'cellular'; profile: string | null; label: string | null } | null;
  /** The phone's label. */
  phone: string | null;
  /** null when the source has no verdict (an analyze folder: no test was run). */
  verdict: Verdict | null;
  /** Epoch seconds: when the test (or the trace) started; null when unknown. */
  start: number | null;
  /** How long the test took, in seconds; null when unknown. */
  seconds: number | null;
  /** The scenario's experience measures (download time, stalling ratio, ...), with their bands. */
  measures: Measure[];
  /** The test's analyzer records, or null when it has none (no capture, analysis failed). */
  records(): Promise<AnalyzerRecords | null>;
}

export interface TestSource {
  /** What messages and the report's header call it: "results folder runs/night1". */
  readonly label: string;
  /** How many tests `tests()` will yield, for progress; known after a cheap look (a folder listing). */
  count(): number;
  tests(): AsyncIterable<ReportTest>;
}
