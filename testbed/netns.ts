import { execa, type Options, type ResultPromise } from 'execa';

/**
 * Network namespace primitives for the virtual lab and the tests. Every namespace this project
 * makes is named `mplab...`, so that leftovers of a crash can be found and removed by prefix.
 * Nothing here touches the host's own interfaces, routes or firewall: every change is made
 * inside a namespace named here.
 */
export const NETNS_PREFIX = 'mplab';

const NAME = /^mplab[A-Za-z0-9_.-]{0,40}$/;

export function assertLabName(name: string): void {
  if (!NAME.test(name)) {
    throw new Error(`network namespace name ${JSON.stringify(name)}: expected "mplab" followed by up to 40 of [A-Za-z0-9_.-]`);
  }
}

export async function listNetns(prefix = NETNS_PREFIX): Promise<string[]> {
  const { stdout } = await execa('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name): name is string => Boolean(name) && name.startsWith(prefix));
}

export async function addNetns(name: string): Promise<void> {
  assertLabName(name);
  await execa('ip', ['netns', 'add', name]);
  await ip(name, ['link', 'set', 'lo', 'up']);
}

/** Kills every process still running in the namespace, then deletes it. Missing namespaces are fine. */
export async function deleteNetns(name: string): Promise<void> {
  assertLabName(name);
  const pids = await execa('ip', ['netns', 'pids', name], { reject: false });
  if (pids.exitCode === 0) {
    for (const pid of pids.stdout.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await execa('ip', ['netns', 'delete', name], { reject: false });
}

/** Removes every namespace whose name starts with `prefix` (which must itself start with "mplab"). */
export async function deleteNetnsWithPrefix(prefix: string): Promise<string[]> {
  if (!prefix.startsWith(NETNS_PREFIX)) throw new Error(`refusing to delete namespaces with prefix ${JSON.stringify(prefix)}`);
  const names = await listNetns(prefix);
  await Promise.all(names.map((name) => deleteNetns(name)));
  return names;
}

/** Runs a program inside a namespace (argument array, no shell). */
export function inNetns(name: string, file: string, args: readonly string[] = [], options: Options = {}): ResultPromise {
  assertLabName(name);
  return execa('ip', ['netns', 'exec', name, file, ...args], options);
}

/** `ip <args>` inside a namespace. */
export async function ip(name: string, args: readonly string[]): Promise<string> {
  assertLabName(name);
  const { stdout } = await execa('ip', ['-n', name, ...args]);
  return stdout;
}

export async function sysctl(name: string, key: string, value: string | number): Promise<void> {
  await inNetns(name, 'sysctl', ['-q', '-w', `${key}=${value}`]);
}

/**
 * A veth pair between two namespaces, both ends up, offloads off (TSO/GSO/GRO would turn a bulk
 * transfer into 64 KB "packets" that no phone link carries), optional addresses.
 */
export async function vethPair(
  a: { netns: string; ifname: string; cidr?: string },
  b: { netns: string; ifname: string; cidr?: string },
): Promise<void> {
  assertLabName(a.netns);
  assertLabName(b.netns);
  await execa('ip', ['-n', a.netns, 'link', 'add', a.ifname, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.netns]);
  for (const end of [a, b]) {
    await inNetns(end.netns, 'ethtool', ['-K', end.ifname, 'tso', 'off', 'gso', 'off', 'gro', 'off'], { reject: false });
    if (end.cidr) await ip(end.netns, ['addr', 'add', end.cidr, 'dev', end.ifname]);
    await ip(end.netns, ['link', 'set', end.ifname, 'up']);
  }
}
