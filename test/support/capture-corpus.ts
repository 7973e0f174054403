import { copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect, vi } from 'vitest';
import type { AnalyzeOptions } from '../../analysis/analyze.js';

/**
 * A vitest setup file (test/support/capture-corpus.config.ts) that records every analysis the
 * analyzer's unit tests run: the capture files as they were at the call (copied: the tests' own
 * temporary files go when their file's tests end), in the order given, and the options that both
 * engines take. test/unit/analysis/engines.test.ts runs those tests with it and then runs every
 * recorded analysis through both engines. MPLAB_CAPTURE_CORPUS is the directory written to: one
 * folder per analysis, holding the files and call.json (a CorpusCall).
 */
export interface CorpusCall {
  /** the test that ran it */
  test: string;
  /** the copies' names, in the order given */
  files: string[];
  options: Pick<AnalyzeOptions, 'wifi' | 'cellular' | 'graceSeconds' | 'idleSeconds' | 'strict'>;
}

const corpus = process.env.MPLAB_CAPTURE_CORPUS;
let calls = 0;

function record(files: readonly string[], options: AnalyzeOptions | undefined): void {
  if (!corpus) return;
  // streams and missing files cannot be analyzed again
  if (!files.every((f) => f !== '-' && statSync(f, { throwIfNoEntry: false })?.isFile())) return;
  const dir = join(corpus, `${process.pid}-${++calls}`);
  mkdirSync(dir, { recursive: true });
  const names = files.map((f, i) => `${i}-${basename(f)}`);
  files.forEach((f, i) => copyFileSync(f, join(dir, names[i])));
  const { wifi, cellular, graceSeconds, idleSeconds, strict } = options ?? {};
  const call: CorpusCall = { test: expect.getState().currentTestName ?? '?', files: names, options: { wifi, cellular, graceSeconds, idleSeconds, strict } };
  writeFileSync(join(dir, 'call.json'), JSON.stringify(call));
}

vi.mock('../../analysis/analyze.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../analysis/analyze.js')>();
  return {
    ...real,
    analyzeFiles: (files: readonly string[], output: never, options?: AnalyzeOptions) => {
      record(files, options);
      return real.analyzeFiles(files, output, options);
    },
    analyzeInputs: (files: readonly string[], output: never, options?: AnalyzeOptions) => {
      record(files, options);
      return real.analyzeInputs(files, output, options);
    },
  };
});
