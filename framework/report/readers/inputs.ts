import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../../common/errors.js';
import { RESULT_FILE } from '../../../common/test-result.js';
import type { TestSource } from '../model.js';
import { AnalyzeFolderSource } from './analyze-folder.js';
import { isAnalyzerFolder } from './analyzer-files.js';
import { ResultsFolderSource } from './results-folder.js';

/** A word that is no path: how `mplab run`'s campaigns will be named in the store. */
const CAMPAIGN_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/**
 * The source each `mplab report` argument names: an analyze output folder (connections.jsonl and
 * subflows.jsonl), a results folder or test folder (result.json files), or a campaign id.
 */
export function openInput(input: string): TestSource {
  if (!existsSync(input)) {
    if (CAMPAIGN_ID.test(input) && !input.includes('/')) {
      throw new UserError(
        `${input}: no such folder, and campaigns need the store of issue 12, which does not exist yet: give a results folder (test folders with result.json) or an mplab analyze output folder`,
      );
    }
    throw new UserError(`${input}: no such folder (expected a results folder, a test folder or an mplab analyze output folder)`);
  }
  if (!statSync(input).isDirectory()) {
    throw new UserError(`${input}: not a folder (expected a results folder, a test folder or an mplab analyze output folder; mplab analyze turns a capture into one)`);
  }
  // a test folder whose analyzer files lie beside result.json is a test, not a bare trace
  if (!existsSync(join(input, RESULT_FILE)) && isAnalyzerFolder(input)) return new AnalyzeFolderSource(input);
  const results = new ResultsFolderSource(input);
  if (results.count() === 0) {
    throw new UserError(`${input}: holds no test (no result.json at most 4 folders down) and is no mplab analyze output (no connections.jsonl and subflows.jsonl)`);
  }
  return results;
}
