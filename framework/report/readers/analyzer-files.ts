import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../../common/errors.js';
import { jsonErrorText } from '../../config/validate.js';
import type { AnalyzerRecords, ConnectionRecord, SubflowRecord } from '../model.js';

/** The files `mplab analyze --out DIR` writes. */
export const CONNECTIONS_FILE = 'connections.jsonl';
export const SUBFLOWS_FILE = 'subflows.jsonl';
export const SUMMARY_FILE = 'summary.json';

/** An analyze output folder: it holds connections.jsonl and subflows.jsonl. */
export function isAnalyzerFolder(dir: string): boolean {
  return existsSync(join(dir, CONNECTIONS_FILE)) && existsSync(join(dir, SUBFLOWS_FILE));
}

/**
 * The records of a JSON Lines file. The whole file is parsed as one JSON array (several times
 * faster than a parse per line); only when that fails is it read line by line, to say which line
 * is wrong.
 */
export function readJsonl(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const body = text.trimEnd();
  if (body === '') return [];
  try {
    // JSON strings hold no raw newline, so the line ends are exactly the records' ends
    return JSON.parse(`[${body.replaceAll('\n', ',')}]`) as unknown[];
  } catch {
    const out: unknown[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === '') continue;
      try {
        out.push(JSON.parse(lines[i]));
      } catch (err) {
        throw new UserError(`${file}: line ${i + 1}: ${jsonErrorText(lines[i], err as Error).replace(/ at line 1,/, ' at')}`);
      }
    }
    return out;
  }
}

type Check = [path: string, type: 'number' | 'string' | 'boolean' | 'object'];

const CONNECTION_FIELDS: Check[] = [
  ['id', 'number'],
  ['kind', 'string'],
  ['start', 'number'],
  ['duration', 'number'],
  ['subflows', 'number'],
  ['bytes.up', 'number'],
  ['bytes.down', 'number'],
  ['uniqueBytes.down', 'number'],
  ['blocks', 'object'],
  ['subtraces.t1', 'boolean'],
];
const SUBFLOW_FIELDS: Check[] = [
  ['connection', 'number'],
  ['index', 'number'],
  ['bytes.up', 'number'],
  ['rtt', 'object'],
  ['used', 'boolean'],
];

/**
 * Checks the fields the report reads on a file's first record: a file of another kind (a proxy
 * log given as connections.jsonl) fails here with the field it lacks, instead of drawing nonsense.
 * The other records come from the same writer.
 */
function checkFirst(file: string, records: unknown[], checks: Check[]): void {
  if (records.length === 0) return;
  const first = records[0];
  for (const [path, type] of checks) {
    let value: unknown = first;
    for (const key of path.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    const actual = value === null ? 'null' : typeof value;
    if (actual !== type) {
      throw new UserError(`${file}: line 1: field "${path}": expected ${type === 'object' ? 'an object' : `a ${type}`}, got ${value === undefined ? 'nothing' : actual} (is this ${file.endsWith(SUBFLOWS_FILE) ? 'subflows' : 'connections'}.jsonl of mplab analyze?)`);
    }
  }
}

/** connections.jsonl and subflows.jsonl of an analyze output folder. */
export function readAnalyzerRecords(dir: string): AnalyzerRecords {
  const connectionsFile = join(dir, CONNECTIONS_FILE);
  const subflowsFile = join(dir, SUBFLOWS_FILE);
  const connections = readJsonl(connectionsFile);
  checkFirst(connectionsFile, connections, CONNECTION_FIELDS);
  const subflows = readJsonl(subflowsFile);
  checkFirst(subflowsFile, subflows, SUBFLOW_FIELDS);
  return { connections: connections as ConnectionRecord[], subflows: subflows as SubflowRecord[] };
}

/** summary.json's time span start (epoch seconds), or null when the file or the field is not there. */
export function summaryStart(dir: string): number | null {
  const file = join(dir, SUMMARY_FILE);
  if (!existsSync(file)) return null;
  let summary: unknown;
  try {
    summary = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file}: ${jsonErrorText(readFileSync(file, 'utf8'), err as Error)}`);
  }
  const start = (summary as { timeSpan?: { start?: unknown } | null })?.timeSpan?.start;
  return typeof start === 'number' ? start : null;
}
