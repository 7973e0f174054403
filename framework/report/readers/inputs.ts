import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../../common/errors.js';
import { RESULT_FILE } from '../../../common/test-result.js';
import type { TestSource } from '../model.js';
import { AnalyzeFolderSource } from './analyze-folder.js';
import { isAnalyzerFolder } from './analyzer-files.js';
import { ResultsFolderSource } from './results-folder.js';
import { StoreSource } from './store.js';

/** A word that is no path: how `mplab campaign` names campaigns in the store. */
const CAMPAIGN_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/**
 * The source each `mplab report` argument names: an analyze output folder (connections.jsonl and
 * subflows.jsonl), a results folder or test folder (result.json files), or the id of a campaign in
 * the store of `storeResults` (the campaigns' results folder); a folder of that name wins over a campaign.
 */
export function openInput(input: string, storeResults?: string): TestSource {
  if (!existsSync(input)) {
    if (CAMPAIGN_ID.test(input) && !input.includes('/')) {
      if (!storeResults) throw new UserError(`${input}: no such folder; for a campaign id, say which results folder holds the store (--results)`);
      return new StoreSource(storeResults, input);
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
