import { readFileSync } from 'node:fs';
import { UserError } from '../../../common/errors.js';
import { RESULT_SCHEMA, type Band, type Measure, type TestResult, type Verdict } from '../../../common/test-result.js';
import { Problems, jsonErrorText, type Path } from '../../config/validate.js';
import type { ReportTest } from '../model.js';

/** The fields of result.json (common/test-result.ts) that the report reads, checked. */
export type ResultFields = Pick<TestResult, 'id' | 'scenario' | 'app' | 'mode' | 'verdict' | 'start' | 'seconds' | 'measures'> & {
  phone: { label: string };
  network: Pick<TestResult['network'], 'name' | 'defaultRoute' | 'profile' | 'label'>;
  analysis: { dir: string } | null;
};

const VERDICTS: readonly Verdict[] = ['passed', 'failed', 'error'];
const NETWORKS = ['wifi', 'cellular', 'both'] as const;
const ROUTES = ['wifi', 'cellular'] as const;
const UNITS: readonly Measure['unit'][] = ['s', 'ms', 'ratio', 'bytes', 'kbit/s', 'count'];
const BANDS: readonly Band[] = ['good', 'acceptable', 'bad', 'very bad'];

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Field checks that record a problem with the field's path and go on, so one pass names every problem. */
class Fields {
  constructor(readonly problems: Problems) {}

  object(value: unknown, path: Path): Record<string, unknown> | null {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    this.problems.add(path, `expected an object, got ${describe(value)}`);
    return null;
  }

  string(obj: Record<string, unknown>, key: string, path: Path, allowed?: readonly string[]): string {
    const value = obj[key];
    if (typeof value === 'string' && value !== '' && (!allowed || allowed.includes(value))) return value;
    this.problems.add([...path, key], `expected ${allowed ? `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}` : 'a non-empty string'}, got ${describe(value)}`);
    return '';
  }

  optionalString(obj: Record<string, unknown>, key: string, path: Path): string | null {
    const value = obj[key];
    if (value === null || value === undefined) return null;
    if (typeof value === 'string') return value;
    this.problems.add([...path, key], `expected a string or null, got ${describe(value)}`);
    return null;
  }

  number(obj: Record<string, unknown>, key: string, path: Path, nullable = false): number | null {
    const value = obj[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (nullable && value === null) return null;
    this.problems.add([...path, key], `expected a number${nullable ? ' or null' : ''}, got ${describe(value)}`);
    return nullable ? null : 0;
  }
}

function parseMeasure(f: Fields, value: unknown, path: Path): Measure | null {
  const m = f.object(value, path);
  if (!m) return null;
  const measure: Measure = {
    name: f.string(m, 'name', path),
    value: f.number(m, 'value', path, true),
    unit: f.string(m, 'unit', path, UNITS) as Measure['unit'],
  };
  if (m.item !== undefined) measure.item = f.string(m, 'item', path);
  if (m.band !== undefined) measure.band = f.string(m, 'band', path, BANDS) as Band;
  return measure;
}

/** result.json's fields the report reads; every problem is named with its field (`network.name: expected ...`). */
export function parseResult(json: unknown): { result: ResultFields; problems: string[] } {
  const problems = new Problems();
  const f = new Fields(problems);
  const top = f.object(json, []) ?? {};
  if (top.schema !== RESULT_SCHEMA) problems.add(['schema'], `expected ${RESULT_SCHEMA} (the result.json this mplab reads), got ${describe(top.schema)}`);
  const app = f.object(top.app, ['app']) ?? {};
  const phone = f.object(top.phone, ['phone']) ?? {};
  const network = f.object(top.network, ['network']) ?? {};
  const measures = Array.isArray(top.measures) ? top.measures : (problems.add(['measures'], `expected a list, got ${describe(top.measures)}`), []);
  let analysis: ResultFields['analysis'] = null;
  if (top.analysis !== null) {
    const a = f.object(top.analysis, ['analysis']);
    if (a) analysis = { dir: f.string(a, 'dir', ['analysis']) };
  }
  const result: ResultFields = {
    id: f.string(top, 'id', []),
    scenario: f.string(top, 'scenario', []),
    app: { package: f.string(app, 'package', ['app']), label: f.string(app, 'label', ['app']) },
    phone: { label: f.string(phone, 'label', ['phone']) },
    mode: f.string(top, 'mode', []),
    network: {
      name: f.string(network, 'name', ['network'], NETWORKS) as ResultFields['network']['name'],
      defaultRoute: f.string(network, 'defaultRoute', ['network'], ROUTES) as ResultFields['network']['defaultRoute'],
      profile: f.optionalString(network, 'profile', ['network']),
      // written since 2026-12-07: older results have none
      label: f.optionalString(network, 'label', ['network']),
    },
    verdict: f.string(top, 'verdict', [], VERDICTS) as Verdict,
    start: f.number(top, 'start', []) ?? 0,
    seconds: f.number(top, 'seconds', []) ?? 0,
    measures: measures.map((m, i) => parseMeasure(f, m, ['measures', i])).filter((m): m is Measure => m !== null),
    analysis,
  };
  return { result, problems: problems.list };
}

/** The report's view of a test from its result.json's fields; `records` loads its analyzer output. */
export function reportTestOf(r: ResultFields, input: string, location: string, records: ReportTest['records']): ReportTest {
  return {
    id: r.id,
    input,
    location,
    app: r.app,
    scenario: r.scenario,
    mode: r.mode,
    network: r.network,
    phone: r.phone.label,
    verdict: r.verdict,
    start: r.start,
    seconds: r.seconds,
    measures: r.measures,
    records,
  };
}

/** Reads and checks a result.json; a problem is a UserError naming the file and each field. */
export function readResultFile(file: string): ResultFields {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: ${jsonErrorText(text, err as Error)}`);
  }
  const { result, problems } = parseResult(json);
  if (problems.length > 0) throw new UserError(`${file}: ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return result;
}
