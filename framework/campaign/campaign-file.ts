import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { UserError } from '../../common/errors.js';
import { PROFILES_DIR, loadProfile } from '../../testbed/lab/profile.js';
import { parsePartialDirection, type DirectionParams } from '../../testbed/link/params.js';
import { MPTCP_MODES, type MptcpMode } from '../devices/mptcp-commands.js';
import { CELLULAR_TYPES, type CellularType } from '../devices/cellular-type.js';
import { parseChange, type ChangeRequest } from '../runner/network-changes.js';
import { NETWORK_NAMES, type NetworkName } from '../runner/phone-setup.js';
import { Problems, readBoolean, readEnum, readObject, readPositiveInt, readString, type Path } from '../config/validate.js';

/**
 * A campaign file (YAML or JSON): which phones, scenarios, MPTCP modes and networks, how many
 * repetitions, the time cap, the retries, and where the results go. Validated as a whole: every
 * problem is reported with the file and the field (`nightly.yaml: networks[1].changes[0]: expected
 * SECONDS:CHANGE ...`). docs/campaigns.md describes every field.
 */
export const ASSIGN = ['every', 'any'] as const;
/** every: each test runs on each phone; any: each test runs once, on whichever phone is free. */
export type Assign = (typeof ASSIGN)[number];

export type LinkSettings = Partial<Record<'wifi' | 'cellular', { up?: Partial<DirectionParams>; down?: Partial<DirectionParams> }>>;

export interface CampaignNetwork {
  name: string;
  net: NetworkName;
  defaultRoute: 'wifi' | 'cellular';
  /** Lab phones: a lab profile (its file) whose links the phone gets for the test. */
  profile: string | null;
  /** Lab phones: link settings on top of the profile (or of the links as they are). */
  link: LinkSettings | null;
  /** The cellular technology for the test (mplab device net --cellular-type). */
  cellularType: CellularType | null;
  changes: ChangeRequest[];
}

export interface CampaignScenario {
  name: string;
  params: Record<string, string | number | boolean>;
}

export interface CampaignSpec {
  /** The file it came from (absolute), or null for a spec built in code. */
  file: string | null;
  name: string;
  phones: string[];
  assign: Assign;
  scenarios: CampaignScenario[];
  modes: MptcpMode[];
  networks: CampaignNetwork[];
  repetitions: number;
  capSeconds: number;
  /** Tries after an infrastructure error (each after the recovery ladder). */
  retries: number;
  /** Tries after the scenario's own failure (0: a failure is recorded, not retried). */
  scenarioRetries: number;
  /** Consecutive infrastructure failures after which a phone is taken out of the campaign. */
  unhealthyAfter: number;
  /** Mixed with the day into the shuffle's seed; the campaign name when absent. */
  seed: string | null;
  /** Capture on rooted phones too (devices.json capture.onPhone must allow it). */
  phoneCapture: boolean;
  /** Where the results folder is (the store and one folder per test attempt). */
  results: string;
  /** An Appium server (or Grid) to use instead of starting one. */
  appium: string | null;
}

export const CAMPAIGN_DEFAULTS = { capSeconds: 120, retries: 2, scenarioRetries: 0, unhealthyAfter: 3, repetitions: 1 } as const;

const FIELDS = ['name', 'phones', 'assign', 'scenarios', 'modes', 'networks', 'repetitions', 'capSeconds', 'retries', 'scenarioRetries', 'unhealthyAfter', 'seed', 'phoneCapture', 'results', 'appium'];
const NETWORK_FIELDS = ['name', 'net', 'defaultRoute', 'profile', 'link', 'cellularType', 'changes'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const NAME_TEXT = 'a name of letters, digits, "_", "." and "-" (at most 64)';

export class CampaignFileError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`}`, 2);
    this.name = 'CampaignFileError';
  }
}

/** Reads and validates a campaign file; throws CampaignFileError with every problem. */
export function loadCampaignFile(file: string): CampaignSpec {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new CampaignFileError(abs, [`cannot read the file (${(err as Error).message})`]);
  }
  return parseCampaignText(text, abs);
}

/** Parses YAML (JSON is YAML too); `file` names the source in errors and anchors relative paths. */
export function parseCampaignText(text: string, file: string): CampaignSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new CampaignFileError(
      file,
      doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0]);
        return `line ${at.line}, column ${at.col}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const { spec, problems } = validateCampaign(doc.toJS(), file);
  if (!spec) throw new CampaignFileError(file, problems);
  return spec;
}

function readStringList(obj: Record<string, unknown>, key: string, path: Path, problems: Problems, opts: { required?: boolean; pattern?: RegExp; patternText?: string } = {}): string[] | undefined {
  const value = obj[key];
  if (value === undefined) {
    if (opts.required) problems.add([...path, key], 'missing (required)');
    return undefined;
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) {
    problems.add([...path, key], 'expected at least one entry, got an empty list');
    return undefined;
  }
  const out: string[] = [];
  list.forEach((item, i) => {
    const v = readString({ item }, 'item', [...path, key, i], problems, { pattern: opts.pattern, patternText: opts.patternText });
    if (v !== undefined) out.push(v);
  });
  return out;
}

function fixPath(p: Path): Path {
  // readString on a wrapper object appends "item": drop it
  return p.filter((x) => x !== 'item');
}

/** A Problems that strips the wrapper key readStringList uses. */
class FieldProblems extends Problems {
  override add(p: Path, message: string): void {
    super.add(fixPath(p), message);
  }
}

function readScenarios(obj: Record<string, unknown>, problems: Problems): CampaignScenario[] | undefined {
  const value = obj.scenarios;
  if (value === undefined) {
    problems.add(['scenarios'], 'missing (required)');
    return undefined;
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) problems.add(['scenarios'], 'expected at least one scenario, got an empty list');
  const out: CampaignScenario[] = [];
  list.forEach((item, i) => {
    const where: Path = ['scenarios', i];
    if (typeof item === 'string') {
      if (!NAME.test(item)) problems.add(where, `expected a scenario name, got ${JSON.stringify(item)}`);
      else out.push({ name: item, params: {} });
      return;
    }
    const o = readObject(item, where, problems, ['name', 'params']);
    if (!o) return;
    const name = readString(o, 'name', where, problems, { required: true, pattern: NAME, patternText: 'a scenario name' });
    const params: Record<string, string | number | boolean> = {};
    if (o.params !== undefined) {
      const p = readObject(o.params, [...where, 'params'], problems, Object.keys(o.params ?? {}));
      for (const [k, v] of Object.entries(p ?? {})) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') params[k] = v;
        else problems.add([...where, 'params', k], `expected a string, number or boolean, got ${v === null ? 'null' : typeof v}`);
      }
    }
    if (name) out.push({ name, params });
  });
  const names = out.map((s) => `${s.name}${JSON.stringify(s.params)}`);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) problems.add(['scenarios', i], `the same scenario with the same parameters as scenarios[${names.indexOf(n)}]`);
  });
  return out;
}

function resolveProfile(name: string, file: string): string {
  if (name.includes('/') || name.endsWith('.json')) return path.resolve(path.dirname(file), name);
  return path.join(PROFILES_DIR, `${name}.json`);
}

function readLink(value: unknown, where: Path, problems: Problems, file: string): LinkSettings | null {
  const o = readObject(value, where, problems, ['wifi', 'cellular']);
  if (!o) return null;
  const out: LinkSettings = {};
  for (const kind of ['wifi', 'cellular'] as const) {
    if (o[kind] === undefined) continue;
    const l = readObject(o[kind], [...where, kind], problems, ['up', 'down']);
    if (!l) continue;
    const link: { up?: Partial<DirectionParams>; down?: Partial<DirectionParams> } = {};
    for (const d of ['up', 'down'] as const) {
      if (l[d] === undefined) continue;
      try {
        link[d] = parsePartialDirection(l[d], { file, field: [...where, kind, d].join('.') }, (p) => path.resolve(path.dirname(file), p));
      } catch (err) {
        problems.add([...where, kind, d], (err as Error).message.replace(/^.*?: /, ''));
      }
    }
    out[kind] = link;
  }
  return out;
}

function readNetworks(obj: Record<string, unknown>, problems: Problems, file: string): CampaignNetwork[] | undefined {
  const value = obj.networks;
  if (value === undefined) return [{ name: 'both', net: 'both', defaultRoute: 'wifi', profile: null, link: null, cellularType: null, changes: [] }];
  if (!Array.isArray(value) || value.length === 0) {
    problems.add(['networks'], 'expected a list of at least one network');
    return undefined;
  }
  const out: CampaignNetwork[] = [];
  value.forEach((item, i) => {
    const where: Path = ['networks', i];
    const o = readObject(item, where, problems, NETWORK_FIELDS);
    if (!o) return;
    const name = readString(o, 'name', where, problems, { required: true, pattern: NAME, patternText: NAME_TEXT });
    const net = readEnum(o, 'net', NETWORK_NAMES, where, problems, { fallback: 'both' });
    const defaultRoute = readEnum(o, 'defaultRoute', ['wifi', 'cellular'] as const, where, problems, { fallback: 'wifi' });
    const cellularType = readEnum(o, 'cellularType', CELLULAR_TYPES, where, problems);
    let profile: string | null = null;
    const profileName = readString(o, 'profile', where, problems);
    if (profileName) {
      profile = resolveProfile(profileName, file);
      try {
        loadProfile(profile);
      } catch (err) {
        problems.add([...where, 'profile'], `expected a lab profile (a name in testbed/profiles/ or a path): ${(err as Error).message}`);
      }
    }
    const link = o.link === undefined ? null : readLink(o.link, [...where, 'link'], problems, file);
    const changes: ChangeRequest[] = [];
    if (o.changes !== undefined) {
      const list = Array.isArray(o.changes) ? o.changes : [o.changes];
      list.forEach((c, j) => {
        const parsed = typeof c === 'string' ? parseChange(c) : `expected SECONDS:CHANGE, got ${JSON.stringify(c)}`;
        if (typeof parsed === 'string') problems.add([...where, 'changes', j], parsed);
        else changes.push(parsed);
      });
    }
    if (net && net !== 'both' && o.defaultRoute !== undefined && defaultRoute !== net) problems.add([...where, 'defaultRoute'], `expected "${net}" or nothing: with net "${net}" the default route is ${net}`);
    if (name && net && defaultRoute) out.push({ name, net, defaultRoute: net === 'both' ? defaultRoute : net, profile, link, cellularType: cellularType ?? null, changes });
  });
  const names = out.map((n) => n.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) problems.add(['networks', i, 'name'], `expected a name of its own: ${JSON.stringify(n)} is also networks[${names.indexOf(n)}]`);
  });
  return out;
}

/** Validates parsed YAML/JSON: the spec, or every problem (each "field: what was expected, got what"). */
export function validateCampaign(json: unknown, file: string): { spec: CampaignSpec | null; problems: string[] } {
  const problems = new FieldProblems();
  const top = readObject(json, [], problems, FIELDS);
  if (!top) return { spec: null, problems: problems.list };
  const name = readString(top, 'name', [], problems, { required: true, pattern: NAME, patternText: NAME_TEXT });
  const phones = readStringList(top, 'phones', [], problems, { required: true });
  const assign = readEnum(top, 'assign', ASSIGN, [], problems, { fallback: 'every' });
  const scenarios = readScenarios(top, problems);
  const modes = readStringList(top, 'modes', [], problems) ?? ['mptcp'];
  modes.forEach((m, i) => {
    if (!(MPTCP_MODES as readonly string[]).includes(m)) problems.add(['modes', i], `expected one of ${MPTCP_MODES.map((x) => `"${x}"`).join(', ')}, got ${JSON.stringify(m)}`);
  });
  const networks = readNetworks(top, problems, file);
  const repetitions = readPositiveInt(top, 'repetitions', [], problems, { fallback: CAMPAIGN_DEFAULTS.repetitions, max: 1000 });
  const capSeconds = readPositiveInt(top, 'capSeconds', [], problems, { fallback: CAMPAIGN_DEFAULTS.capSeconds, max: 86_400 });
  const retries = readPositiveInt(top, 'retries', [], problems, { fallback: CAMPAIGN_DEFAULTS.retries, max: 20, allowZero: true });
  const scenarioRetries = readPositiveInt(top, 'scenarioRetries', [], problems, { fallback: CAMPAIGN_DEFAULTS.scenarioRetries, max: 20, allowZero: true });
  const unhealthyAfter = readPositiveInt(top, 'unhealthyAfter', [], problems, { fallback: CAMPAIGN_DEFAULTS.unhealthyAfter, max: 100 });
  const seed = readString(top, 'seed', [], problems);
  const phoneCapture = readBoolean(top, 'phoneCapture', [], problems, { fallback: false });
  const results = readString(top, 'results', [], problems, { fallback: 'runs/campaigns' });
  const appium = readString(top, 'appium', [], problems, { pattern: /^https?:\/\/\S+$/, patternText: 'an http(s) URL' });
  for (const list of [phones, modes] as const) {
    const key = list === phones ? 'phones' : 'modes';
    list?.forEach((v, i) => {
      if (list.indexOf(v) !== i) problems.add([key, i], `expected each entry once: ${JSON.stringify(v)} is also ${key}[${list.indexOf(v)}]`);
    });
  }
  if (problems.count > 0 || !name || !phones || !scenarios || !networks || !assign || repetitions === undefined || capSeconds === undefined || retries === undefined || scenarioRetries === undefined || unhealthyAfter === undefined || results === undefined || phoneCapture === undefined) {
    return { spec: null, problems: problems.list };
  }
  return {
    spec: {
      file,
      name,
      phones,
      assign,
      scenarios,
      modes: modes as MptcpMode[],
      networks,
      repetitions,
      capSeconds,
      retries,
      scenarioRetries,
      unhealthyAfter,
      seed: seed ?? null,
      phoneCapture,
      results: path.resolve(path.dirname(file), results),
      appium: appium ?? null,
    },
    problems: [],
  };
}
