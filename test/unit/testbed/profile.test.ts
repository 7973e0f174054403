import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParamError } from '../../../testbed/link/params.js';
import { loadProfile, parseProfile, PROFILES_DIR } from '../../../testbed/lab/profile.js';
import { readdirSync } from 'node:fs';
import { tempDir } from '../../support/tmp.js';
import { makeTestAdbKey } from '../../support/adb-key.js';
import { phoneDaemonArgv } from '../../../testbed/lab/phones.js';
import { labPlan } from '../../../testbed/lab/plan.js';

describe('lab profiles', () => {
  it('loads every shipped profile', () => {
    const files = readdirSync(PROFILES_DIR).filter((f) => f.endsWith('.json'));
    expect(files).toContain('default.json');
    for (const file of files) expect(() => loadProfile(join(PROFILES_DIR, file))).not.toThrow();
  });

  it('the default profile resembles the source lab: WiFi about 15 ms RTT, 4G 40-50 ms RTT', () => {
    const phone = loadProfile(join(PROFILES_DIR, 'default.json')).phone('phone1');
    expect(phone.mode).toBe('mptcp');
    expect(phone.defaultRoute).toBe('wifi');
    expect(phone.wifi.up.delayMs + phone.wifi.down.delayMs).toBeCloseTo(15, 0);
    const cellularRtt = phone.cellular.up.delayMs + phone.cellular.down.delayMs;
    expect(cellularRtt).toBeGreaterThanOrEqual(40);
    expect(cellularRtt).toBeLessThanOrEqual(50);
  });

  it('merges per-phone overrides field by field over the lab-level settings', () => {
    const profile = parseProfile(
      {
        mode: 'backup',
        wifi: { down: { delayMs: 5, rateKbit: 10_000 } },
        phones: { phone2: { mode: 'tcp', defaultRoute: 'cellular', wifi: { down: { rateKbit: 500 }, outage: true } } },
      },
      '/x/p.json',
    );
    expect(profile.phone('phone1')).toMatchObject({ mode: 'backup', defaultRoute: 'wifi', wifi: { down: { delayMs: 5, rateKbit: 10_000 }, outage: false } });
    expect(profile.phone('phone2')).toMatchObject({ mode: 'tcp', defaultRoute: 'cellular', wifi: { down: { delayMs: 5, rateKbit: 500 }, outage: true } });
    expect(profile.phone('phone2').cellular.up.rateKbit).toBeNull();
  });

  it('says which file, which field and what was expected', () => {
    const bad = (value: unknown) => () => parseProfile(value, '/p/lab.json');
    expect(bad({ wifi: { down: { delayMs: 'ten' } } })).toThrow(ParamError);
    expect(bad({ wifi: { down: { delayMs: 'ten' } } })).toThrow('/p/lab.json: wifi.down.delayMs: expected a number from 0 to 10000 (ms), got "ten"');
    expect(bad({ mode: 'multipath' })).toThrow('/p/lab.json: mode: expected one of "tcp", "mptcp", "backup", "fullmesh", got "multipath"');
    expect(bad({ cellular: { up: { delay: 3 } } })).toThrow(/cellular\.up\.delay: expected one of the fields delayMs, jitterMs/);
    expect(bad({ wifi: { down: { lossPct: 101 } } })).toThrow(/wifi\.down\.lossPct: expected a number from 0 to 100/);
    expect(bad({ wifi: { down: { burstLoss: { enterPct: 1 } } } })).toThrow(/wifi\.down\.burstLoss\.exitPct: expected a number/);
    expect(bad({ phones: { tablet: {} } })).toThrow(/phones\.tablet: expected a phone name/);
    expect(bad({ wifi: { outage: 'yes' } })).toThrow(/wifi\.outage: expected true or false/);
    expect(bad([])).toThrow(/\(top level\): expected a JSON object/);
  });

  it('resolves trace paths against the profile file and checks the trace', () => {
    const dir = tempDir('mplab-profile-');
    writeFileSync(join(dir, 'lte.down'), '1\n2\n3\n');
    writeFileSync(join(dir, 'broken.down'), '1\nx\n');
    const profile = parseProfile({ cellular: { down: { trace: 'lte.down' } } }, join(dir, 'p.json'));
    expect(profile.phone('phone1').cellular.down.trace).toBe(join(dir, 'lte.down'));
    expect(() => parseProfile({ cellular: { down: { trace: 'broken.down' } } }, join(dir, 'p.json'))).toThrow(/cellular\.down\.trace: expected a readable Mahimahi trace, got .*broken\.down: line 2/);
    expect(() => parseProfile({ cellular: { down: { trace: 'missing' } } }, join(dir, 'p.json'))).toThrow(/cannot read the trace/);
  });

  it('reports unreadable and invalid JSON files', () => {
    const dir = tempDir('mplab-profile-');
    writeFileSync(join(dir, 'bad.json'), '{ "mode": ');
    expect(() => loadProfile(join(dir, 'bad.json'))).toThrow(/bad\.json: \(file\): expected valid JSON/);
    expect(() => loadProfile(join(dir, 'none.json'))).toThrow(/none\.json: \(file\): expected a readable profile file/);
  });

  it('lists more adb keys for every phone, relative to the profile file, each checked', () => {
    const dir = tempDir('mplab-profile-');
    writeFileSync(join(dir, 'ci.pub'), `${makeTestAdbKey('ci@lab').publicLine}\n`);
    writeFileSync(join(dir, 'ssh.pub'), 'ssh-rsa AAAAB3NzaC1yc2E user@host\n');
    const profile = parseProfile({ adbKeys: ['ci.pub'] }, join(dir, 'p.json'));
    expect(profile.adbKeys).toEqual([join(dir, 'ci.pub')]);
    expect(parseProfile({}, join(dir, 'p.json')).adbKeys).toEqual([]);
    // each phone daemon is told of them
    const argv = phoneDaemonArgv(labPlan('mplabx', 1).phones[0], '/run/x', 6601, profile.adbKeys);
    expect(argv.slice(-2)).toEqual(['--adb-key', join(dir, 'ci.pub')]);
    expect(() => parseProfile({ adbKeys: ['ssh.pub'] }, join(dir, 'p.json'))).toThrow(/p\.json: adbKeys\[0\]: expected a readable adb public key file \(adbkey\.pub\), got .*ssh\.pub: expected the base64 of an adb RSA public key/);
    expect(() => parseProfile({ adbKeys: ['ci.pub', 'none.pub'] }, join(dir, 'p.json'))).toThrow(/adbKeys\[1\]: expected a readable adb public key file .*none\.pub: cannot read the adb public key \(ENOENT\)/);
    expect(() => parseProfile({ adbKeys: 'ci.pub' }, join(dir, 'p.json'))).toThrow(/adbKeys: expected a list of adb public key files/);
  });
});
