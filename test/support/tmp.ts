import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Fresh directories under one temporary directory per test file, removed after its tests. */
let root: string | undefined;

export function tempDir(prefix = 'mplab-test-'): string {
  if (!root) root = mkdtempSync(join(tmpdir(), prefix));
  return mkdtempSync(join(root, 'd-'));
}

/** A file of `bytes` named `name` in a fresh temporary directory; returns its path. */
export function tempFile(name: string, bytes: Buffer | string): string {
  const file = join(tempDir(), name);
  writeFileSync(file, bytes);
  return file;
}

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});
