import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under one temporary directory per test process, removed when the process exits. */
let root: string | undefined;

export function tempDir(prefix = 'mplab-test-'): string {
  if (!root) {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    root = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return mkdtempSync(join(root, 'd-'));
}
