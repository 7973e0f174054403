import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The files of a directory and their contents (no vitest here: the fuzz runner, a plain process, uses it). */
export function dirContents(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}
