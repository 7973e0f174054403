import { appendFileSync } from 'node:fs';
import { missingPrereqs } from '../../common/prereq.js';
import { REPO_ROOT } from '../../common/paths.js';

export { missingPrereqs };

/**
 * Prerequisites of integration tests. Outside CI a missing one skips the test with the reason,
 * and the run ends with a summary of every skip (test/lab/global-setup.ts); with CI=true it fails
 * the run, so that CI never passes by skipping.
 */
export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/** The file (JSON lines) where skips are recorded for the end-of-run summary; set by the lab's global set-up. */
export const SKIP_RECORD_ENV = 'MPLAB_SKIPPED_TESTS';

export interface SkipRecord {
  /** the test file, relative to the checkout */
  test: string;
  missing: string[];
}

/**
 * Use as `describe.skipIf(skipUnless({root: true, commands: ['tshark']}))(...)`. Throws in CI when
 * something is missing; outside CI returns true (skip), prints why and records it for the summary.
 */
export function skipUnless(opts: Parameters<typeof missingPrereqs>[0]): boolean {
  const missing = missingPrereqs(opts);
  if (missing.length === 0) return false;
  const message = `missing prerequisites: ${missing.join(', ')}`;
  if (inCI) throw new Error(`${message} (CI=true: a missing prerequisite fails the run)`);
  console.warn(`skipping: ${message}`);
  const record = process.env[SKIP_RECORD_ENV];
  if (record) appendFileSync(record, `${JSON.stringify({ test: callerTestFile(), missing } satisfies SkipRecord)}\n`);
  return true;
}

/** The test file that called skipUnless, from the call stack. */
function callerTestFile(): string {
  const root = `${REPO_ROOT.replace(/\/$/, '')}/`;
  for (const line of (new Error().stack ?? '').split('\n')) {
    const at = line.indexOf(root);
    if (at < 0) continue;
    const file = line.slice(at + root.length).replace(/:\d+:\d+\)?$/, '');
    if (file.endsWith('.test.ts')) return file;
  }
  return '(a test file)';
}
