import { execaSync } from 'execa';

/** What is missing of root and the given commands (empty when everything is there). */
export function missingPrereqs(opts: { root?: boolean; commands?: string[] }): string[] {
  const missing: string[] = [];
  if (opts.root && process.getuid?.() !== 0) missing.push('root (run as root)');
  for (const cmd of opts.commands ?? []) {
    const found = execaSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { reject: false });
    if (found.exitCode !== 0) missing.push(`command ${cmd}`);
  }
  return missing;
}
