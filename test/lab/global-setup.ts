import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDeadTestNamespaces } from '../support/netns.js';
import { SKIP_RECORD_ENV, inCI, missingPrereqs, type SkipRecord } from '../support/prereq.js';

// Leftovers of an earlier run that crashed are removed before and after the lab tests. Outside
// CI, test files skipped for a missing prerequisite are recorded (test/support/prereq.ts) and
// listed loudly at the end, so that a green run that skipped half the suite does not pass unnoticed.
let recordDir: string | undefined;

/** Namespaces can be listed and removed (root and ip); else the tests that need them skip or fail on their own. */
const canCleanUp = (): boolean => missingPrereqs({ root: true, commands: ['ip'] }).length === 0;

export async function setup(): Promise<void> {
  if (canCleanUp()) await removeDeadTestNamespaces();
  if (!inCI) {
    recordDir = mkdtempSync(join(tmpdir(), 'mplab-skips-'));
    // the test workers start after this and inherit it
    process.env[SKIP_RECORD_ENV] = join(recordDir, 'skipped.jsonl');
  }
}

export async function teardown(): Promise<void> {
  if (canCleanUp()) await removeDeadTestNamespaces();
  if (!recordDir) return;
  const skipped = readSkips(join(recordDir, 'skipped.jsonl'));
  rmSync(recordDir, { recursive: true, force: true });
  if (skipped.length > 0) process.stderr.write(skipSummary(skipped));
}

function readSkips(file: string): SkipRecord[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const byTest = new Map<string, SkipRecord>();
  for (const line of text.split('\n').filter(Boolean)) {
    const record = JSON.parse(line) as SkipRecord;
    byTest.set(record.test, record);
  }
  return [...byTest.values()].sort((a, b) => a.test.localeCompare(b.test));
}

export function skipSummary(skipped: SkipRecord[]): string {
  const bar = '!'.repeat(100);
  const lines = [
    '',
    bar,
    `!!! SKIPPED: ${skipped.length} lab test file${skipped.length === 1 ? '' : 's'} did not run, for missing prerequisites (with CI=true they fail the run):`,
    ...skipped.map((s) => `!!!   ${s.test}: ${s.missing.join(', ')}`),
    '!!! Run scripts/setup.sh (as root) to install what is missing, and run the lab tests as root.',
    bar,
    '',
  ];
  return `${lines.join('\n')}\n`;
}
