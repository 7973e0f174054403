import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Fresh directories under one temporary directory per test file, removed after its tests. */
let root: string | undefined;

export function tempDir(prefix = 'mplab-test-'): string {
  if (!root) root = mkdtempSync(join(tmpdir(), prefix));
  return mkdtempSync(join(root, 'd-'));
}

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});
