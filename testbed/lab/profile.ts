import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { at, checkKeys, Found, isObject, NO_SHAPING, ParamError, parsePartialDirection, withDefaults, type DirectionParams, type Where } from '../link/params.js';
import { readTrace, TraceError } from '../link/trace.js';
import { AdbKeyError, readAdbKeyFile } from '../phone/adb-auth.js';
import { LINK_KINDS, type LinkKind } from './plan.js';

/**
 * Lab profile files: the access links of the phones (per direction), the MPTCP mode and the
 * interface of the default route, with optional per-phone overrides. See testbed/profiles/.
 *
 * {
 *   "description": "...",
 *   "mode": "mptcp",                 // tcp | mptcp | backup | fullmesh
 *   "defaultRoute": "wifi",          // wifi | cellular
 *   "wifi":     { "up": {DIRECTION}, "down": {DIRECTION}, "outage": false },
 *   "cellular": { "up": {DIRECTION}, "down": {DIRECTION}, "outage": false },
 *   "phones": { "phone2": { "mode": "tcp", "cellular": { "down": { "rateKbit": 384 } } } },
 *   "adbKeys": ["keys/ci-adbkey.pub"]  // more adb public keys every phone authorizes (relative to the profile)
 * }
 * DIRECTION: delayMs, jitterMs, rateKbit, lossPct, burstLoss {enterPct, exitPct, lossPct},
 * queuePackets, trace (a Mahimahi trace file, relative to the profile file).
 */
export const MODES = ['tcp', 'mptcp', 'backup', 'fullmesh'] as const;
export type MptcpMode = (typeof MODES)[number];

export interface LinkProfile {
  up: DirectionParams;
  down: DirectionParams;
  outage: boolean;
}

export interface PhoneProfile {
  mode: MptcpMode;
  defaultRoute: LinkKind;
  wifi: LinkProfile;
  cellular: LinkProfile;
}

export interface LabProfile {
  file: string;
  description: string;
  /** adb public key files (absolute paths) the phones authorize besides the key of the user running the lab */
  adbKeys: string[];
  /** settings of phone `name` (1-based phone names "phone1", ...) */
  phone(name: string): PhoneProfile;
}

export const PROFILES_DIR = fileURLToPath(new URL('../profiles/', import.meta.url));
export const DEFAULT_PROFILE = resolve(PROFILES_DIR, 'default.json');

type PartialLink = { up: Partial<DirectionParams>; down: Partial<DirectionParams>; outage?: boolean };
interface PartialPhone {
  mode?: MptcpMode;
  defaultRoute?: LinkKind;
  wifi?: PartialLink;
  cellular?: PartialLink;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], where: Where): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) throw new ParamError(where, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value);
  return value as T;
}

function parseLink(value: unknown, where: Where, resolvePath: (p: string) => string): PartialLink {
  if (!isObject(value)) throw new ParamError(where, 'an object with fields up, down, outage', value);
  checkKeys(value, ['up', 'down', 'outage'], where);
  const link: PartialLink = {
    up: value.up === undefined ? {} : parsePartialDirection(value.up, at(where, 'up'), resolvePath),
    down: value.down === undefined ? {} : parsePartialDirection(value.down, at(where, 'down'), resolvePath),
  };
  if (value.outage !== undefined) {
    if (typeof value.outage !== 'boolean') throw new ParamError(at(where, 'outage'), 'true or false', value.outage);
    link.outage = value.outage;
  }
  for (const d of ['up', 'down'] as const) {
    const trace = link[d].trace;
    if (trace) checkTrace(trace, at(at(where, d), 'trace'));
  }
  return link;
}

function checkTrace(file: string, where: Where): void {
  try {
    readTrace(file);
  } catch (err) {
    if (err instanceof TraceError) throw new ParamError(where, 'a readable Mahimahi trace', new Found(err.message));
    throw err;
  }
}

function parsePhone(value: Record<string, unknown>, where: Where, resolvePath: (p: string) => string, allowed: readonly string[]): PartialPhone {
  checkKeys(value, allowed, where);
  const phone: PartialPhone = {};
  if (value.mode !== undefined) phone.mode = oneOf(value.mode, MODES, at(where, 'mode'));
  if (value.defaultRoute !== undefined) phone.defaultRoute = oneOf(value.defaultRoute, LINK_KINDS, at(where, 'defaultRoute'));
  for (const kind of LINK_KINDS) if (value[kind] !== undefined) phone[kind] = parseLink(value[kind], at(where, kind), resolvePath);
  return phone;
}

/** A list of adb public key files, each read and checked now so that a bad one is named before the lab is built. */
function parseAdbKeys(value: unknown, where: Where, resolvePath: (p: string) => string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ParamError(where, 'a list of adb public key files (adbkey.pub)', value);
  return value.map((item: unknown, i) => {
    const itemWhere = { ...where, field: `${where.field}[${i}]` };
    if (typeof item !== 'string' || !item) throw new ParamError(itemWhere, 'the path of an adb public key file (adbkey.pub)', item);
    const file = resolvePath(item);
    try {
      readAdbKeyFile(file);
    } catch (err) {
      if (err instanceof AdbKeyError) throw new ParamError(itemWhere, 'a readable adb public key file (adbkey.pub)', new Found(err.message));
      throw err;
    }
    return file;
  });
}

function mergeLink(base: LinkProfile, over: PartialLink | undefined): LinkProfile {
  if (!over) return base;
  return { up: withDefaults(over.up, base.up), down: withDefaults(over.down, base.down), outage: over.outage ?? base.outage };
}

function mergePhone(base: PhoneProfile, over: PartialPhone): PhoneProfile {
  return {
    mode: over.mode ?? base.mode,
    defaultRoute: over.defaultRoute ?? base.defaultRoute,
    wifi: mergeLink(base.wifi, over.wifi),
    cellular: mergeLink(base.cellular, over.cellular),
  };
}

const UNSHAPED_LINK: LinkProfile = { up: NO_SHAPING, down: NO_SHAPING, outage: false };
const BASE: PhoneProfile = { mode: 'mptcp', defaultRoute: 'wifi', wifi: UNSHAPED_LINK, cellular: UNSHAPED_LINK };

/** Validates a parsed profile; `file` names it in errors and anchors relative trace paths. */
export function parseProfile(value: unknown, file: string): LabProfile {
  const root: Where = { file, field: '' };
  if (!isObject(value)) throw new ParamError({ file, field: '(top level)' }, 'a JSON object', value);
  const phoneFields = ['mode', 'defaultRoute', 'wifi', 'cellular'];
  const resolvePath = (p: string): string => (isAbsolute(p) ? p : resolve(dirname(file), p));
  const { description, phones, adbKeys, ...rest } = value;
  if (description !== undefined && typeof description !== 'string') throw new ParamError(at(root, 'description'), 'a string', description);
  const keyFiles = parseAdbKeys(adbKeys, at(root, 'adbKeys'), resolvePath);
  const labLevel = mergePhone(BASE, parsePhone(rest, root, resolvePath, phoneFields));
  const overrides = new Map<string, PartialPhone>();
  if (phones !== undefined) {
    const where = at(root, 'phones');
    if (!isObject(phones)) throw new ParamError(where, 'an object keyed by phone name ("phone1", ...)', phones);
    for (const [name, override] of Object.entries(phones)) {
      if (!/^phone[1-9]\d*$/.test(name)) throw new ParamError(at(where, name), 'a phone name such as "phone2"', name);
      if (!isObject(override)) throw new ParamError(at(where, name), `an object with fields ${phoneFields.join(', ')}`, override);
      overrides.set(name, parsePhone(override, at(where, name), resolvePath, phoneFields));
    }
  }
  return {
    file,
    description: typeof description === 'string' ? description : '',
    adbKeys: keyFiles,
    phone: (name) => {
      const over = overrides.get(name);
      return over ? mergePhone(labLevel, over) : labLevel;
    },
  };
}

export function loadProfile(file = DEFAULT_PROFILE): LabProfile {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ParamError({ file: path, field: '(file)' }, 'a readable profile file', new Found((err as Error).message));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ParamError({ file: path, field: '(file)' }, 'valid JSON', new Found((err as Error).message));
  }
  return parseProfile(value, path);
}
