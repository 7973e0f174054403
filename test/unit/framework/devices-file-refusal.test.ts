import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { MPLAB_CLI, REPO_ROOT } from '../../../common/paths.js';
import { tempDir } from '../../support/tmp.js';

const INVALID = JSON.stringify({ devices: [{ id: 'emulator-5554', kernel: 'linux' }, { id: '', root: 'yes' }] });

async function mplab(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = await execa(process.execPath, [MPLAB_CLI, ...args], { cwd, env: { MPLAB_DEVICES: undefined, ...env }, extendEnv: true, reject: false });
  return { exitCode: r.exitCode, stderr: String(r.stderr), stdout: String(r.stdout) };
}

describe('an invalid devices.json stops every command, not only devices and device', () => {
  it('refuses analyze, lab and capture with the problems devices check lists, exit status 3', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'devices.json'), INVALID);
    const check = await mplab(dir, ['devices', 'check']);
    expect(check.exitCode).toBe(3);
    const [heading, ...problems] = check.stderr.trim().split('\n');
    expect(heading).toMatch(/: 5 problems$/);
    expect(problems.join('\n')).toMatch(/devices\[0\]\.kernel: expected one of/);
    expect(problems.join('\n')).toMatch(/devices\[1\]\.id/);
    expect(problems.join('\n')).toMatch(/devices\[1\]\.root/);
    const expected = `mplab: ${join(dir, 'devices.json')}: 5 problems\n${problems.join('\n')}`;
    for (const args of [['analyze', 'none.pcap', '--out', 'out'], ['lab', 'status', '--name', 'mplabnone'], ['capture', 'show', 'x', '--dir', dir]]) {
      const r = await mplab(dir, args);
      expect([args[0], r.exitCode, r.stderr.trim()]).toEqual([args[0], 3, expected]);
    }
    // the file named by $MPLAB_DEVICES, from anywhere
    const elsewhere = tempDir();
    const r = await mplab(elsewhere, ['analyze', 'none.pcap', '--out', 'out'], { MPLAB_DEVICES: join(dir, 'devices.json') });
    expect([r.exitCode, r.stderr.trim()]).toEqual([3, expected]);
  });

  it('lets a command that drives no phone run without ./devices.json, but not with a missing $MPLAB_DEVICES', async () => {
    const dir = tempDir();
    const withoutFile = await mplab(dir, ['analyze', 'none.pcap', '--out', 'out']);
    expect([withoutFile.exitCode, withoutFile.stderr.trim()]).toEqual([1, 'mplab: none.pcap: cannot open: ENOENT']);
    const missing = join(dir, 'phones.json');
    const named = await mplab(dir, ['analyze', 'none.pcap', '--out', 'out'], { MPLAB_DEVICES: missing });
    expect([named.exitCode, named.stderr.trim()]).toEqual([3, `mplab: ${missing}: 1 problem\n  file not found`]);
    writeFileSync(join(dir, 'devices.json'), readFileSync(join(REPO_ROOT, 'devices.json')));
    const valid = await mplab(dir, ['analyze', 'none.pcap', '--out', 'out']);
    expect(valid.exitCode).toBe(1);
  });
});
