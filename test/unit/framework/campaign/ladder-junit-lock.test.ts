import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decideRecovery } from '../../../../framework/campaign/ladder.js';
import { junitXml } from '../../../../framework/campaign/junit.js';
import { PhoneLockError, PhoneLocks } from '../../../../framework/campaign/phone-lock.js';
import type { AttemptRow, CampaignRow, TestRow } from '../../../../framework/campaign/store/store.js';
import { tempDir } from '../../../support/tmp.js';

describe('recovery ladder', () => {
  const decide = (consecutive: number, failedStep: string | null, allowReboot = true, unhealthyAfter = 5) => decideRecovery({ consecutive, failedStep, unhealthyAfter, allowReboot });

  it('checks adb first and climbs one rung per failure in a row, from the rung the failed step calls for', () => {
    expect(decide(1, 'health').rungs).toEqual(['adb']);
    expect(decide(2, 'health').rungs).toEqual(['adb', 'session']);
    expect(decide(1, 'session').rungs).toEqual(['adb', 'session']);
    expect(decide(2, 'session').rungs).toEqual(['adb', 'appium']);
    expect(decide(1, 'scenario').rungs).toEqual(['adb', 'session']);
    expect(decide(1, 'reset').rungs).toEqual(['adb', 'app']);
  });

  it('reboots as the last chance before the phone is given up, when the phone may be rebooted', () => {
    expect(decide(4, 'health').rungs).toEqual(['adb', 'reboot']);
    expect(decide(4, 'health', false).rungs).toEqual(['adb', 'app']);
    expect(decide(2, 'session', true, 3).rungs).toEqual(['adb', 'reboot']);
  });

  it('gives the phone up at unhealthyAfter failures in a row', () => {
    expect(decide(5, 'health')).toMatchObject({ unhealthy: true, rungs: [] });
    expect(decide(4, 'health').unhealthy).toBe(false);
  });
});

describe('JUnit XML', () => {
  const campaign = { id: 'c1', name: 'nightly', day: '2025-01-01', seed: 'abcd0123', created: 1_735_700_000, started: 1_735_700_000 } as CampaignRow;
  const test = (over: Partial<TestRow>): TestRow => ({ id: 1, campaignId: 'c1', key: 'k', position: 0, phone: 'p1', scenario: 'web', params: {}, mode: 'mptcp', network: 'both', repetition: 1, state: 'passed', attempts: 1, reason: null, ranOn: 'p1', started: 0, ended: 0, seconds: 12.5, dir: 'c1/x', finalAttempt: 1, ...over });
  const attempt = (over: Partial<AttemptRow>): AttemptRow => ({ id: 1, testId: 1, number: 1, phone: 'p1', state: 'passed', kind: null, reason: null, failedStep: null, dir: 'c1/x', started: 0, ended: 0, recovery: [], ...over });

  it('has one testcase per test with its properties, and failure, error and skipped as Jenkins reads them', () => {
    const xml = junitXml(campaign, [
      { test: test({ key: 'a' }), attempts: [attempt({})] },
      { test: test({ key: 'b', state: 'failed', reason: 'view <"x"> & more did not appear' }), attempts: [attempt({ state: 'failed', kind: 'scenario', reason: 'view <"x"> & more did not appear', failedStep: 'scenario' })] },
      { test: test({ key: 'c', state: 'error', reason: 'adb gone', attempts: 2 }), attempts: [attempt({ state: 'error', kind: 'infrastructure', reason: 'adb gone', recovery: ['adb'] }), attempt({ number: 2, state: 'error', kind: 'infrastructure', reason: 'adb gone' })] },
      { test: test({ key: 'd', state: 'skipped', reason: 'no MPTCP', ranOn: null, seconds: null }), attempts: [] },
    ]);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="nightly" tests="4" failures="1" errors="1" skipped="1"/);
    expect(xml).toContain('<testsuite name="nightly.p1" id="0" package="nightly" hostname="p1" tests="4" failures="1" errors="1" skipped="1" time="37.500" timestamp="');
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toContain('<property name="key" value="b"/>');
    expect(xml).toContain('<failure message="view &lt;&quot;x&quot;&gt; &amp; more did not appear" type="scenario">attempt 1 on p1: failed (scenario) at step scenario');
    expect(xml).toContain('<error message="adb gone" type="infrastructure">attempt 1 on p1: error (infrastructure): adb gone; folder c1/x; recovery: adb\nattempt 2');
    expect(xml).toContain('<skipped message="no MPTCP"/>');
  });

  it('is well-formed XML (expat), control characters and all', () => {
    const xml = junitXml(campaign, [{ test: test({ state: 'failed', reason: 'bad \u0001 byte ]]> <end>' }), attempts: [attempt({ reason: 'x\u0007' })] }]);
    const file = path.join(tempDir(), 'j.xml');
    writeFileSync(file, xml);
    // Python's expat parser: a strict XML 1.0 parser (python3 is installed for node-gyp)
    expect(() => execFileSync('python3', ['-c', 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])', file], { stdio: 'pipe' })).not.toThrow();
  });
});

describe('phone locks', () => {
  const phones = [{ serial: '127.0.0.1:6601', label: 'phone1' }];

  it('refuses phones a live process holds, naming the campaign', async () => {
    const dir = tempDir();
    // another live process holds the lock
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[19];
    writeFileSync(path.join(dir, '127.0.0.1_6601.lock'), JSON.stringify({ pid: child.pid, start: stat, campaign: 'other', phone: 'phone1' }));
    try {
      expect(() => PhoneLocks.acquire(phones, 'mine', dir)).toThrow(PhoneLockError);
      expect(() => PhoneLocks.acquire(phones, 'mine', dir)).toThrow(/phone phone1 \(127.0.0.1:6601\) is in use by campaign other/);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.on('exit', r));
    // the holder died: its lock is taken over
    const locks = PhoneLocks.acquire(phones, 'mine', dir);
    expect(JSON.parse(readFileSync(path.join(dir, '127.0.0.1_6601.lock'), 'utf8'))).toMatchObject({ pid: process.pid, campaign: 'mine' });
    locks.release();
    expect(existsSync(path.join(dir, '127.0.0.1_6601.lock'))).toBe(false);
  });

  it('a pid reused by another process does not keep the lock', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, '127.0.0.1_6601.lock'), JSON.stringify({ pid: process.pid, start: '1', campaign: 'old', phone: 'phone1' }));
    const locks = PhoneLocks.acquire(phones, 'new', dir);
    locks.release();
  });
});
