import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { RESULT_FILE } from '../../../common/test-result.js';
import { log } from '../../../common/log.js';
import type { ReportTest, TestSource } from '../model.js';
import { isAnalyzerFolder, readAnalyzerRecords } from './analyzer-files.js';
import { readResultFile, reportTestOf } from './result-file.js';

/** How deep test folders are looked for under a results folder (results/campaign/night/test). */
const MAX_DEPTH = 4;

/** Test folders (folders holding result.json) at or under `dir`, sorted; a test folder's own subfolders are not searched. */
export function findTestFolders(dir: string, depth = 0): string[] {
  if (existsSync(join(dir, RESULT_FILE))) return [dir];
  if (depth >= MAX_DEPTH) return [];
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  for (const name of entries) out.push(...findTestFolders(join(dir, name), depth + 1));
  return out;
}

/**
 * A results folder: test folders as `mplab run` leaves them (result.json, and the analyzer's files
 * in the folder result.json's `analysis.dir` names, relative to the test folder), at any depth up
 * to 4 below it; or one test folder itself.
 */
export class ResultsFolderSource implements TestSource {
  readonly label: string;
  private readonly folders: string[];

  constructor(
    dir: string,
    private readonly input: string = dir,
  ) {
    this.label = `results folder ${input}`;
    this.folders = findTestFolders(dir);
  }

  count(): number {
    return this.folders.length;
  }

  async *tests(): AsyncIterable<ReportTest> {
    const logger = log('report');
    for (const folder of this.folders) {
      const file = join(folder, RESULT_FILE);
      const r = readResultFile(file);
      const analysisDir = r.analysis ? resolve(folder, r.analysis.dir) : null;
      yield reportTestOf(r, this.input, file, async () => {
        if (!analysisDir) return null;
        if (!isAnalyzerFolder(analysisDir)) {
          logger.warn({ test: r.id, dir: analysisDir }, `${file}: analysis.dir ${relative(folder, analysisDir) || '.'} has no connections.jsonl and subflows.jsonl: the test counts without connections`);
          return null;
        }
        return readAnalyzerRecords(analysisDir);
      });
    }
  }
}
