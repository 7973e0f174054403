import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { MPLAB_CLI } from '../../../common/paths.js';
import { earlierResult } from '../../support/analysis-out.js';
import { dirContents } from '../../support/dir-contents.js';
import { tempDir, tempFile } from '../../support/tmp.js';
import { fuzzBases, fuzzVariant, type FuzzReport } from './fuzz-variants.js';

/**
 * Fuzzing `mplab analyze`: seeded corrupted variants of the test captures (bit flips in headers and
 * packet data, impossible lengths, damaged section headers and interface descriptions, garbage,
 * zeros, truncation; see test/support/capture-fuzz.ts), a third of them with --strict. For each:
 * it ends (a variant that takes HANG_MS is a hang), with exit 0 or 1 only; a failure is one line
 * naming the file and the byte offset and leaves the earlier result in --out as it was; no partial
 * file stays; every warning names the file and the offset.
 *
 * The variants run through analyzeInputs(), the function the command runs, in one child process
 * (test/unit/analysis/fuzz-runner.ts: one start-up for all, and a process that can be stopped when a
 * variant never ends); a sample also runs through the command itself, which must agree.
 *
 * MPLAB_FUZZ_SEED (default 20251204) and MPLAB_FUZZ_VARIANTS (default 300) choose other variants:
 *   MPLAB_FUZZ_SEED=$RANDOM MPLAB_FUZZ_VARIANTS=5000 npx vitest run --project unit test/unit/analysis/fuzz.test.ts
 */
const SEED = Number(process.env.MPLAB_FUZZ_SEED ?? 20251204);
const VARIANTS = Number(process.env.MPLAB_FUZZ_VARIANTS ?? 300);
const HANG_MS = 20_000;
const RUNNER = fileURLToPath(new URL('./fuzz-runner.ts', import.meta.url));

const describeVariant = (r: FuzzReport) => `variant ${r.index} of seed ${SEED} (${r.base}${r.strict ? ', --strict' : ''}: ${r.damages.join('; ')})`;

/** What a variant's report shows wrong. */
function problems(r: FuzzReport): string[] {
  const found: string[] = [];
  if (r.outcome === 'crash') found.push(`crashed (a stack trace, not a one-line error): ${r.message}`);
  if (r.outcome === 'error') {
    if (r.exitCode !== 1) found.push(`exit code ${r.exitCode}: ${r.message}`);
    if (r.offset === null || !r.message?.startsWith(`${r.file}: byte offset ${r.offset}: `)) found.push(`error without the file and byte offset: ${r.message}`);
    if (r.message?.includes('\n')) found.push(`error of more than one line: ${r.message}`);
    if (!r.intact) found.push(`--out changed by a failed run: ${r.message}`);
  }
  if (r.leftovers.length > 0) found.push(`left in --out: ${r.leftovers.join(', ')}`);
  for (const w of r.badWarnings) found.push(`warning without the file and byte offset: ${w}`);
  return found.map((p) => `${describeVariant(r)}: ${p}`);
}

/** Runs variants [first, first + count) in the runner; a variant that takes HANG_MS stops it and fails. */
async function runVariants(first: number, count: number): Promise<FuzzReport[]> {
  const dir = tempDir();
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, String(SEED), String(first), String(count), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const reports: FuzzReport[] = [];
  let hung: number | null = null;
  let watchdog: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      hung = first + reports.length;
      child.kill('SIGKILL');
    }, HANG_MS);
  };
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  arm();
  for await (const line of createInterface({ input: child.stdout })) {
    reports.push(JSON.parse(line) as FuzzReport);
    arm();
  }
  const code = await exited;
  clearTimeout(watchdog);
  if (hung !== null) {
    const { base, damages, strict } = fuzzVariant(SEED, hung, fuzzBases());
    throw new Error(`variant ${hung} of seed ${SEED} (${base.name}${strict ? ', --strict' : ''}: ${damages.join('; ')}) did not end within ${HANG_MS / 1000} s`);
  }
  if (code !== 0 || reports.length !== count) throw new Error(`the fuzz runner ended with ${code} after ${reports.length} of ${count} variants: ${stderr}`);
  return reports;
}

describe(`fuzzing mplab analyze (seed ${SEED})`, () => {
  let reports: FuzzReport[] = [];

  it(`${VARIANTS} corrupted variants: exit 0 or 1, one-line errors with the offset, no hang, the earlier result kept`, async () => {
    reports = await runVariants(0, VARIANTS);
    expect(reports.flatMap(problems)).toEqual([]);
    // both ways out were taken, and damage was found and skipped as well as refused
    const outcomes = new Set(reports.map((r) => r.outcome));
    expect(outcomes).toEqual(new Set(['ok', 'error']));
    expect(reports.filter((r) => r.outcome === 'error' && !r.strict).length).toBeGreaterThan(VARIANTS / 20);
  }, 300_000);

  it('the command agrees with analyzeInputs on a sample of them: same exit code, same one-line error, the earlier result kept', async () => {
    expect(reports.length).toBe(VARIANTS);
    const sample = [...reports.filter((r) => r.outcome === 'ok').slice(0, 3), ...reports.filter((r) => r.outcome === 'error').slice(0, 3)];
    const bases = fuzzBases();
    for (const r of sample) {
      const { bytes } = fuzzVariant(SEED, r.index, bases);
      const file = tempFile(`v${r.index}.${r.file.split('.').pop()}`, bytes);
      const { dir, before } = earlierResult();
      const run = await execa(process.execPath, [MPLAB_CLI, 'analyze', file, '--out', dir, '--no-progress', ...(r.strict ? ['--strict'] : [])], {
        reject: false,
        env: { MPLAB_LOG_FORMAT: 'json' },
      });
      const what = describeVariant(r);
      if (r.outcome === 'ok') {
        expect([what, run.exitCode]).toEqual([what, 0]);
        expect(String(run.stdout)).toMatch(new RegExp(`^${r.packets} packets in `));
        expect(Object.keys(dirContents(dir)).sort()).toEqual(['connections.jsonl', 'subflows.jsonl', 'summary.json']);
      } else {
        const message = r.message!.replace(r.file, file);
        expect([what, run.exitCode, String(run.stderr).split('\n').at(-1)]).toEqual([what, 1, `mplab: ${message}`]);
        expect(dirContents(dir)).toEqual(before);
      }
      for (const line of String(run.stderr).split('\n').slice(0, r.outcome === 'ok' ? undefined : -1).filter(Boolean)) {
        const { msg, level } = JSON.parse(line) as { msg: string; level: number };
        if (level >= 40) expect(msg.startsWith(`${file}: byte offset `)).toBe(true);
      }
    }
  }, 120_000);
});
