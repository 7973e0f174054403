import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { MPLAB_CLI } from '../../../common/paths.js';

async function proxyStart(args: string[]): Promise<{ exitCode: number | undefined; stderr: string }> {
  const result = await execa(process.execPath, [MPLAB_CLI, 'proxy', 'start', ...args], { reject: false, timeout: 20_000 });
  return { exitCode: result.exitCode, stderr: String(result.stderr) };
}

describe('mplab proxy start: option errors name the option and what was expected', () => {
  it.each([
    [['--listen', '198.18.0.1', '--allow', '198.18.0.0/15'], /--listen "198.18.0.1": expected IP:PORT/],
    [['--listen', 'proxy.lab:1080', '--allow', '198.18.0.0/15'], /--listen "proxy.lab:1080": "proxy.lab" is not an IPv4 address/],
    [['--listen', '198.18.0.1:1080', '--allow', '198.18.0.0/15,10.0.0.0/40'], /--allow "10.0.0.0\/40": prefix must be 0-32/],
    [['--listen', '198.18.0.1:1080', '--allow', '198.18.0.0/15', '--auth', 'nopassword'], /--auth: expected USER:PASS/],
    [['--listen', '198.18.0.1:1080', '--allow', '198.18.0.0/15', '--idle-timeout', 'soon'], /--idle-timeout soon: expected a number of seconds/],
    [['--listen', '198.18.0.1:1080', '--allow', '198.18.0.0/15', '--max-connections', '0'], /--max-connections 0: expected a whole number/],
    [['--listen', '198.18.0.1:1080', '--allow', '198.18.0.0/15', '--hosts', join('/nonexistent', 'lab.hosts')], /--hosts \/nonexistent\/lab.hosts: cannot read it \(ENOENT\)/],
  ])('%j', async (args, message) => {
    const { exitCode, stderr } = await proxyStart(args);
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(message);
  });

  it('requires --listen and --allow (usage error, exit 2)', async () => {
    const { exitCode, stderr } = await proxyStart(['--listen', '198.18.0.1:1080']);
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/--allow/);
  });
});
