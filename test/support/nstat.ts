import { inNetns } from '../../testbed/netns.js';

/**
 * The kernel's absolute SNMP/MPTCP counters inside a namespace, those named by `patterns` (nstat's
 * globs, e.g. "MPTcp*") or all: `nstat -asz`, which leaves nstat's history file untouched.
 */
export async function nstat(netns: string, patterns: string[] = []): Promise<Map<string, number>> {
  const { stdout } = await inNetns(netns, 'nstat', ['-asz', ...patterns]);
  const counters = new Map<string, number>();
  for (const line of String(stdout).split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name && /^\d+$/.test(value ?? '')) counters.set(name, Number(value));
  }
  return counters;
}
