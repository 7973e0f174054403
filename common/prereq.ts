import { execaSync } from 'execa';
import { assertListedCommand, externalCommands } from './external-commands.js';

/**
 * What is missing of root and the given commands (empty when everything is there). Each command
 * must be on scripts/external-commands.txt, so that the set-up installs it on a fresh machine.
 */
export function missingPrereqs(opts: { root?: boolean; commands?: string[] }): string[] {
  const missing: string[] = [];
  if (opts.root && process.getuid?.() !== 0) missing.push('root (run as root)');
  for (const cmd of opts.commands ?? []) {
    assertListedCommand(cmd);
    const found = execaSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { reject: false });
    if (found.exitCode !== 0) missing.push(`command ${cmd} (Debian package ${externalCommands().get(cmd)}: scripts/setup.sh installs it)`);
  }
  return missing;
}
