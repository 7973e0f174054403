import { createHash } from 'node:crypto';
import type { MptcpMode } from '../devices/mptcp-commands.js';
import type { CampaignSpec } from './campaign-file.js';

/**
 * The campaign's matrix expanded into tests, in the order of the day: phones (with assign
 * "every") x scenarios x modes x networks x repetitions, shuffled with a seed derived from the
 * campaign's seed and the day, so that two nights differ and any night can be replayed.
 */
export interface PlannedTest {
  /** Unique within the campaign: phone/scenario/mode/network/repetition. */
  key: string;
  /** The phone it must run on (assign "every"), or null (assign "any": the first free phone). */
  phone: string | null;
  scenario: string;
  params: Record<string, string | number | boolean>;
  mode: MptcpMode;
  network: string;
  /** 1-based. */
  repetition: number;
  /** 0-based place in the day's order. */
  position: number;
}

/** The local calendar day, YYYY-MM-DD: a campaign started at 01:00 belongs to that night. */
export function dayOf(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The shuffle's seed: the first 32 bits of SHA-256 of "seed/day", as 8 hex digits (recorded with the campaign). */
export function daySeed(seed: string, day: string): string {
  return createHash('sha256').update(`${seed}/${day}`).digest('hex').slice(0, 8);
}

/** sfc32-like small PRNG over a 32-bit hex seed: uniform floats in [0, 1). */
export function seededRandom(hexSeed: string): () => number {
  let a = Number.parseInt(hexSeed, 16) >>> 0;
  let b = 0x9e3779b9;
  let c = 0x243f6a88;
  let d = 1;
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

/** Fisher-Yates with the given random source; returns a new array. */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function scenarioId(s: { name: string; params: Record<string, unknown> }): string {
  const params = Object.entries(s.params).sort(([a], [b]) => a.localeCompare(b));
  return params.length ? `${s.name}(${params.map(([k, v]) => `${k}=${String(v)}`).join(',')})` : s.name;
}

/** Every test of the matrix, in matrix order (positions not yet given). */
export function expandMatrix(spec: CampaignSpec): Omit<PlannedTest, 'position'>[] {
  const phones: (string | null)[] = spec.assign === 'every' ? spec.phones : [null];
  const tests: Omit<PlannedTest, 'position'>[] = [];
  for (const phone of phones) {
    for (const scenario of spec.scenarios) {
      for (const mode of spec.modes) {
        for (const network of spec.networks) {
          for (let repetition = 1; repetition <= spec.repetitions; repetition++) {
            const key = `${phone ?? '*'}/${scenarioId(scenario)}/${mode}/${network.name}/${repetition}`;
            tests.push({ key, phone, scenario: scenario.name, params: scenario.params, mode, network: network.name, repetition });
          }
        }
      }
    }
  }
  return tests;
}

/** The day's plan: the matrix shuffled with daySeed(seed, day). */
export function planCampaign(spec: CampaignSpec, day: string): { seed: string; tests: PlannedTest[] } {
  const seed = daySeed(spec.seed ?? spec.name, day);
  const tests = shuffle(expandMatrix(spec), seededRandom(seed)).map((t, position) => ({ ...t, position }));
  return { seed, tests };
}
