import { deleteNetnsWithPrefix, listNetns } from '../../testbed/netns.js';

/**
 * Test namespaces are named `mplabt<pid>x<n>-...`: the pid of the test process that made them,
 * so that a crashed run's leftovers can be told apart from those of a run still going.
 */
let counter = 0;

export function testPrefix(): string {
  counter += 1;
  return `mplabt${process.pid}x${counter}-`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes test namespaces whose process is gone; returns their names. */
export async function removeDeadTestNamespaces(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await listNetns('mplabt')) {
    const pid = Number(/^mplabt(\d+)x/.exec(name)?.[1]);
    if (!pid || !alive(pid)) {
      removed.push(...(await deleteNetnsWithPrefix(name)));
    }
  }
  return removed;
}

/** Removes every namespace made by this process. */
export async function removeOwnTestNamespaces(): Promise<string[]> {
  return deleteNetnsWithPrefix(`mplabt${process.pid}x`);
}
