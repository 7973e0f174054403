import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';

/** The list of external commands mplab runs, with the Debian package of each (scripts/external-commands.txt). */
export const EXTERNAL_COMMANDS_FILE = path.join(REPO_ROOT, 'scripts/external-commands.txt');
export const DEBIAN_PACKAGES_FILE = path.join(REPO_ROOT, 'scripts/debian-packages.txt');

function contentLines(file: string): { line: number; words: string[] }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((text, i) => ({ line: i + 1, words: text.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean) }))
    .filter((l) => l.words.length > 0);
}

let commands: Map<string, string> | undefined;

/** Command name to the Debian package that provides it. */
export function externalCommands(): ReadonlyMap<string, string> {
  if (commands) return commands;
  const map = new Map<string, string>();
  for (const { line, words } of contentLines(EXTERNAL_COMMANDS_FILE)) {
    if (words.length !== 2) throw new Error(`${EXTERNAL_COMMANDS_FILE}:${line}: expected "COMMAND PACKAGE", got ${JSON.stringify(words.join(' '))}`);
    map.set(words[0], words[1]);
  }
  commands = map;
  return map;
}

/** The packages scripts/setup.sh installs. */
export function debianPackages(): string[] {
  return contentLines(DEBIAN_PACKAGES_FILE).map((l) => l.words[0]);
}

/** Throws for a command that is not on the list: using one means adding it, with its package, first. */
export function assertListedCommand(command: string): void {
  if (!externalCommands().has(command)) {
    throw new Error(`command ${command} is not in scripts/external-commands.txt: add it there with the Debian package that provides it (and the package to scripts/debian-packages.txt)`);
  }
}
