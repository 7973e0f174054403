import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../common/paths.js';
import { tempDir } from '../../support/tmp.js';

/**
 * A lab test file whose prerequisites are missing: outside CI the run skips it and ends with a
 * summary naming it and what it lacked; with CI=true the run fails. The lab project is run for
 * real, with a PATH that has node and sh only (so `ip`, `ping` and `ethtool` are missing).
 */
async function labRun(env: Record<string, string | undefined>) {
  const bin = tempDir('mplab-path-');
  for (const cmd of ['node', 'sh']) symlinkSync((await execa('sh', ['-c', `command -v ${cmd}`])).stdout.trim(), join(bin, cmd));
  return execa(process.execPath, [join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--project', 'lab', 'test/lab/testbed/netns.test.ts'], {
    cwd: REPO_ROOT,
    reject: false,
    all: true,
    timeout: 120_000,
    env: { ...env, PATH: bin },
    extendEnv: true,
  });
}

describe('lab tests skipped for a missing prerequisite', () => {
  it('outside CI: skipped, and the run ends with a loud summary of what was skipped and why', async () => {
    const r = await labRun({ CI: undefined });
    expect(r.exitCode).toBe(0);
    const summary = r.all.slice(r.all.indexOf('!!! SKIPPED'));
    expect(summary.split('\n').slice(0, 4)).toEqual([
      '!!! SKIPPED: 1 lab test file did not run, for missing prerequisites (with CI=true they fail the run):',
      '!!!   test/lab/testbed/netns.test.ts: command ip (Debian package iproute2: scripts/setup.sh installs it), command ping (Debian package iputils-ping: scripts/setup.sh installs it), command ethtool (Debian package ethtool: scripts/setup.sh installs it)',
      '!!! Run scripts/setup.sh (as root) to install what is missing, and run the lab tests as root.',
      '!'.repeat(100),
    ]);
  });

  it('with CI=true: the run fails, naming what is missing, and there is nothing to summarize', async () => {
    const r = await labRun({ CI: 'true' });
    expect(r.exitCode).not.toBe(0);
    expect(r.all).toMatch(/missing prerequisites: command ip .*\(CI=true: a missing prerequisite fails the run\)/);
    expect(r.all).not.toMatch(/!!! SKIPPED/);
  });
});
