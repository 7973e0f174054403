/**
 * Runs corrupted variants of the test captures through analyzeInputs(), the function `mplab analyze`
 * runs, all in this one process, into an --out directory that holds the previous result, and prints
 * one JSON line (a FuzzReport) per variant on stdout. test/unit/analysis/fuzz.test.ts runs it as a
 * child process, so that a variant that never ends is seen (no line comes) and stopped.
 *
 *   node --import tsx test/unit/analysis/fuzz-runner.ts SEED FIRST COUNT DIR
 *
 * Variant i is drawn from seed SEED and index i alone, so one variant can be run again by itself.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeInputs } from '../../../analysis/analyze.js';
import { CaptureError } from '../../../analysis/capture/errors.js';
import { DirectoryOutput } from '../../../analysis/output.js';
import { UserError } from '../../../common/errors.js';
import { dirContents } from '../../support/dir-contents.js';
import { fuzzBases, fuzzVariant, type FuzzReport } from './fuzz-variants.js';

const [seed, first, count] = process.argv.slice(2, 5).map(Number);
const dir = process.argv[5];
const bases = fuzzBases();
const out = join(dir, 'out');
mkdirSync(out, { recursive: true });
for (let index = first; index < first + count; index++) {
  const { base, bytes, damages, strict } = fuzzVariant(seed, index, bases);
  const file = join(dir, `v${index}.${base.ext}`);
  writeFileSync(file, bytes);
  const before = dirContents(out);
  const warnings: string[] = [];
  const logger = { info() {}, warn: (_obj: object, msg: string) => void warnings.push(msg) };
  const report: FuzzReport = { index, base: base.name, file, damages, strict, outcome: 'ok', message: null, exitCode: null, offset: null, intact: true, leftovers: [], badWarnings: [], packets: null, ms: 0 };
  const started = performance.now();
  try {
    const summary = await analyzeInputs([file], new DirectoryOutput(out), { progress: false, strict, logger });
    report.packets = summary.packets.read;
  } catch (err) {
    report.outcome = err instanceof UserError ? 'error' : 'crash';
    report.message = err instanceof Error ? (err instanceof UserError ? err.message : String(err.stack)) : String(err);
    report.exitCode = err instanceof UserError ? err.exitCode : null;
    report.offset = err instanceof CaptureError ? err.offset : null;
    const after = dirContents(out);
    report.intact = JSON.stringify(after) === JSON.stringify(before);
  }
  report.ms = Math.round(performance.now() - started);
  report.leftovers = readdirSync(out).filter((f) => !['connections.jsonl', 'subflows.jsonl', 'summary.json'].includes(f));
  const prefix = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: byte offset \\d+: `);
  report.badWarnings = warnings.filter((w) => !prefix.test(w));
  process.stdout.write(`${JSON.stringify(report)}\n`);
  rmSync(file);
}
