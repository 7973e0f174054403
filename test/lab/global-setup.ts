import { removeDeadTestNamespaces } from '../support/netns.js';

// Leftovers of an earlier run that crashed are removed before and after the lab tests.
export async function setup(): Promise<void> {
  if (process.getuid?.() === 0) await removeDeadTestNamespaces();
}

export async function teardown(): Promise<void> {
  if (process.getuid?.() === 0) await removeDeadTestNamespaces();
}
