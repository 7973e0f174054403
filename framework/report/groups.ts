import type { ReportTest } from './model.js';

/** What `--by` may split the tests by. */
export const DIMENSIONS = ['app', 'mode', 'network', 'scenario', 'phone', 'input'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export const DEFAULT_DIMENSIONS: Dimension[] = ['app', 'mode', 'network'];

/** A set of tests the report shows side by side: one value per `--by` dimension (null where a test does not say). */
export interface Group {
  key: string;
  /** "WhatsApp · mptcp · both (default wifi)"; "all tests" when nothing splits */
  label: string;
  app: string | null;
  /** the app's package (its colour) */
  appPackage: string | null;
  mode: string | null;
  network: string | null;
  scenario: string | null;
  phone: string | null;
  input: string | null;
}

/**
 * "both (default wifi) · handover", "both (default cellular) · dsl-wifi": the network as tests vary
 * it, with the condition's name (a campaign network's, when it is not just the radios') and the lab
 * profile.
 */
export function networkLabel(network: ReportTest['network']): string | null {
  if (!network) return null;
  let label = network.name === 'both' ? `both (default ${network.defaultRoute})` : network.name;
  if (network.label && network.label !== network.name) label += ` · ${network.label}`;
  const profile = network.profile ? network.profile.replace(/^.*\//, '').replace(/\.json$/, '') : null;
  return profile && profile !== 'default' && profile !== network.label ? `${label} · ${profile}` : label;
}

/** Groups tests by the chosen dimensions; a dimension no test has a value for is left out of the labels. */
export class Grouping {
  private readonly groups = new Map<string, Group>();

  constructor(readonly by: readonly Dimension[]) {}

  of(test: ReportTest): Group {
    const values: Record<Dimension, string | null> = {
      app: test.app?.label ?? null,
      mode: test.mode,
      network: networkLabel(test.network),
      scenario: test.scenario,
      phone: test.phone,
      input: test.input,
    };
    const key = this.by.map((d) => values[d] ?? '').join('\u0001');
    let group = this.groups.get(key);
    if (!group) {
      const pick = (d: Dimension) => (this.by.includes(d) ? values[d] : null);
      group = {
        key,
        label: '',
        app: pick('app'),
        appPackage: this.by.includes('app') ? (test.app?.package ?? null) : null,
        mode: pick('mode'),
        network: pick('network'),
        scenario: pick('scenario'),
        phone: pick('phone'),
        input: pick('input'),
      };
      this.groups.set(key, group);
    }
    return group;
  }

  /** The dimensions that split anything: at least one group has a value for them. */
  usedDimensions(): Dimension[] {
    return this.by.filter((d) => [...this.groups.values()].some((g) => g[d] !== null));
  }

  /** Every group, labelled, in a stable order (by app, then mode with TCP first, then the rest). */
  all(): Group[] {
    const used = this.usedDimensions();
    const list = [...this.groups.values()];
    for (const g of list) g.label = used.map((d) => g[d] ?? `(no ${d})`).join(' · ') || 'all tests';
    return list.sort((a, b) => compareGroups(a, b, used));
  }
}

function modeRank(mode: string | null): string {
  return mode === 'tcp' ? '0' : mode === 'mptcp' ? '1' : `2${mode ?? ''}`;
}

function compareGroups(a: Group, b: Group, dims: readonly Dimension[]): number {
  for (const d of dims) {
    const x = d === 'mode' ? modeRank(a.mode) : (a[d] ?? '');
    const y = d === 'mode' ? modeRank(b.mode) : (b[d] ?? '');
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * The group a mode is compared with: same values on every other dimension, mode `tcp`. Null when
 * the report does not split by mode, the group is TCP itself, or there is no such group.
 */
export function baselineOf(group: Group, groups: readonly Group[]): Group | null {
  if (group.mode === null || group.mode === 'tcp') return null;
  return (
    groups.find(
      (g) => g.mode === 'tcp' && g.app === group.app && g.network === group.network && g.scenario === group.scenario && g.phone === group.phone && g.input === group.input,
    ) ?? null
  );
}
