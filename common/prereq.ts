import { existsSync } from 'node:fs';
import path from 'node:path';
import { execaSync } from 'execa';
import { assertListedCommand, externalCommands } from './external-commands.js';
import { REPO_ROOT } from './paths.js';

/**
 * What is missing of root, the given commands and npm packages (empty when everything is there).
 * Each command must be on scripts/external-commands.txt, so that the set-up installs it on a fresh
 * machine; packages come from the checkout's node_modules (npm ci), `files` from Debian packages.
 */
export function missingPrereqs(opts: { root?: boolean; commands?: string[]; packages?: string[]; files?: Array<{ path: string; package: string }> }): string[] {
  const missing: string[] = [];
  if (opts.root && process.getuid?.() !== 0) missing.push('root (run as root)');
  for (const cmd of opts.commands ?? []) {
    assertListedCommand(cmd);
    const found = execaSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { reject: false });
    if (found.exitCode !== 0) missing.push(`command ${cmd} (Debian package ${externalCommands().get(cmd)}: scripts/setup.sh installs it)`);
  }
  for (const name of opts.packages ?? []) {
    // Where npm ci puts a dependency (package.json may not be in a package's exports).
    if (!existsSync(path.join(REPO_ROOT, 'node_modules', name, 'package.json'))) missing.push(`npm package ${name} (npm ci installs it)`);
  }
  for (const file of opts.files ?? []) {
    if (!existsSync(file.path)) missing.push(`${file.path} (Debian package ${file.package}: scripts/setup.sh installs it)`);
  }
  return missing;
}
