import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ConnectionRecord, SubflowRecord } from '../../../analysis/records.js';
import type { Measure, TestResult } from '../../../common/test-result.js';

/**
 * What the store keeps of a test attempt besides its outcome: the analyzer's connections and
 * subflows (the test folder's analysis/*.jsonl) and the scenario's experience measures
 * (result.json), read once when the attempt ends.
 */
export interface AttemptRecords {
  connections: ConnectionRecord[];
  subflows: SubflowRecord[];
  measures: Measure[];
  /** The analyzer's files were there (result.json names an analysis folder holding both): false is "no records", not "no connections". */
  analyzed: boolean;
}

function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch (err) {
        throw new Error(`${file}: line ${i + 1}: ${(err as Error).message}`);
      }
    });
}

export function readAttemptRecords(dir: string, result: TestResult | null): AttemptRecords {
  const analysis = path.join(dir, result?.analysis?.dir ?? 'analysis');
  return {
    analyzed: result?.analysis != null && existsSync(path.join(analysis, 'connections.jsonl')) && existsSync(path.join(analysis, 'subflows.jsonl')),
    connections: readJsonLines<ConnectionRecord>(path.join(analysis, 'connections.jsonl')),
    subflows: readJsonLines<SubflowRecord>(path.join(analysis, 'subflows.jsonl')),
    measures: result?.measures ?? [],
  };
}
