import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { MPLAB_CLI } from '../../../common/paths.js';
import { processAlive } from '../../../common/process.js';
import { labDown, labLink, labUp } from '../../../testbed/lab/lab.js';
import { readState, stateDir } from '../../../testbed/lab/state.js';
import { inNetns, listNetns } from '../../../testbed/netns.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { testLabName } from './lab-helpers.js';

/**
 * The lab's life cycle through the CLI, as a user runs it: up, status, down leaving nothing,
 * a crash (kill -9 of everything, also in the middle of `lab up`) followed by `lab up`, and the
 * teardown of a test that fails halfway.
 */

describe.skipIf(skipUnless({ root: true, commands: ['ip', 'ping', 'adb'] }))('lab life cycle', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'mplab-run-'));
  const env = { ...process.env, MPLAB_RUN_DIR: runDir, MPLAB_LOG_FORMAT: 'json' };
  process.env.MPLAB_RUN_DIR = runDir;
  const mplab = (args: string[], reject = true) => execa(process.execPath, [MPLAB_CLI, ...args], { env, reject });
  afterAll(async () => {
    await removeOwnTestNamespaces();
    rmSync(runDir, { recursive: true, force: true });
  });

  /** The lab's namespaces, the processes running in them or recorded in its state, and whether its state folder exists. */
  async function leftovers(name: string): Promise<{ namespaces: string[]; processes: number[]; state: boolean }> {
    const namespaces = (await listNetns(name)).filter((ns) => ns.startsWith(`${name}-`));
    const state = readState(name);
    const pids = new Set<number>([...Object.values(state?.processes ?? {}).map((r) => r!.pid), ...(state?.phones ?? []).flatMap((p) => (p.adb ? [p.adb.pid] : []))]);
    for (const ns of namespaces) {
      const { stdout } = await execa('ip', ['netns', 'pids', ns], { reject: false });
      for (const pid of String(stdout).split('\n').filter(Boolean)) pids.add(Number(pid));
    }
    return { namespaces, processes: [...pids].filter(processAlive), state: existsSync(stateDir(name)) };
  }

  const ping = (name: string, phone: string, source: string) => inNetns(`${name}-${phone}`, 'ping', ['-c', '1', '-W', '3', '-I', source, '198.18.0.1'], { reject: false });

  it('up, status --json, exec and down through the CLI; down leaves nothing', async () => {
    const name = testLabName(testPrefix());
    await mplab(['lab', 'up', '--name', name, '--phones', '2', '--no-proxy', '--mode', 'backup', '--default-route', 'cellular', '--adb-port-base', '0']);
    const status = JSON.parse(String((await mplab(['lab', 'status', '--json', '--name', name])).stdout));
    expect(status).toMatchObject({ name, running: true, proxy: { netns: `${name}-proxy`, socks: '198.18.0.1:1080' }, origin: { netns: `${name}-origin`, http: '198.19.0.2:80' } });
    const adbSerial = expect.stringMatching(/^127\.0\.0\.1:\d+$/);
    expect(status.phones.map((p: { name: string; netns: string; adb: string; mode: string; defaultRoute: string; wifi: { ip: string }; cellular: { ip: string } }) => [p.name, p.netns, p.adb, p.mode, p.defaultRoute, p.wifi.ip, p.cellular.ip])).toEqual([
      ['phone1', `${name}-phone1`, adbSerial, 'backup', 'cellular', '198.18.1.2', '198.18.2.2'],
      ['phone2', `${name}-phone2`, adbSerial, 'backup', 'cellular', '198.18.3.2', '198.18.4.2'],
    ]);
    // the real adb server drives each phone's own namespace
    const serials: string[] = status.phones.map((p: { adb: string }) => p.adb);
    expect(new Set(serials).size).toBe(2);
    const adbDevices = String((await execa('adb', ['devices'])).stdout);
    for (const serial of serials) expect(adbDevices).toMatch(new RegExp(`^${serial.replace(/\./g, '\\.')}\\s+device$`, 'm'));
    const addr = await execa('adb', ['-s', serials[1], 'shell', 'ip -o -4 addr show rmnet0']);
    expect(addr.stdout).toContain('198.18.4.2/24');
    const endpoints = await mplab(['lab', 'exec', '--name', name, 'phone2', '--', 'ip', 'mptcp', 'endpoint', 'show']);
    expect(String(endpoints.stdout)).toMatch(/198\.18\.4\.2 id \d+ subflow backup dev rmnet0/);
    const route = await mplab(['lab', 'exec', '--name', name, 'phone1', '--', 'ip', 'route', 'get', '198.19.0.2']);
    expect(String(route.stdout)).toMatch(/via 198\.18\.2\.1 dev rmnet0/);
    expect((await mplab(['lab', 'exec', '--name', name, 'phone1', '--', 'sh', '-c', 'exit 7'], false)).exitCode).toBe(7);
    // a command killed by a signal: 128 + its number, as a shell reports it (SIGUSR1 is 10)
    expect((await mplab(['lab', 'exec', '--name', name, 'phone1', '--', 'sh', '-c', 'kill -USR1 $$'], false)).exitCode).toBe(138);
    expect((await ping(name, 'phone2', '198.18.3.2')).exitCode).toBe(0);

    const link = await mplab(['lab', 'link', '--name', name, 'phone2', 'wifi', '--down']);
    expect(String(link.stdout)).toMatch(/OUTAGE/);
    expect((await ping(name, 'phone2', '198.18.3.2')).exitCode).not.toBe(0);
    const bad = await mplab(['lab', 'link', '--name', name, 'phone2', 'wifi', '--loss', 'lots'], false);
    expect(bad.exitCode).toBe(1);
    expect(String(bad.stderr)).toContain('--loss: expected a number, got "lots"');

    const before = await leftovers(name);
    expect(before.namespaces).toHaveLength(5);
    expect(before.processes.length).toBeGreaterThanOrEqual(4); // link daemon, origin, two adb daemons
    await mplab(['lab', 'down', '--name', name]);
    expect(await leftovers(name)).toEqual({ namespaces: [], processes: [], state: false });
    const afterDown = String((await execa('adb', ['devices'])).stdout);
    for (const serial of serials) expect(afterDown).not.toContain(serial);
    expect(before.processes.filter(processAlive)).toEqual([]);
    const gone = await mplab(['lab', 'status', '--name', name, '--json'], false);
    expect(gone.exitCode).toBe(3);
    expect(JSON.parse(String(gone.stdout))).toMatchObject({ running: false, phones: [] });
  });

  it('lab up after a crash (kill -9 of every lab process, also of lab up itself) cleans up and works', async () => {
    const name = testLabName(testPrefix());
    // kill `lab up` in the middle of building the network
    const up = execa(process.execPath, [MPLAB_CLI, 'lab', 'up', '--name', name, '--no-proxy', '--adb-port-base', '0'], { env, reject: false });
    for (let i = 0; i < 1500 && (await listNetns(`${name}-phone1`)).length === 0; i++) await sleep(20);
    up.kill('SIGKILL');
    await up;
    expect((await leftovers(name)).namespaces.length).toBeGreaterThan(0);

    await mplab(['lab', 'up', '--name', name, '--no-proxy', '--adb-port-base', '0']);
    const state = readState(name)!;
    // a crash of everything: every process of the lab dies at once, nothing is cleaned up
    for (const record of Object.values(state.processes)) if (record) process.kill(record.pid, 'SIGKILL');
    for (const phone of state.phones) process.kill(phone.adb!.pid, 'SIGKILL');
    await sleep(200);
    const status = JSON.parse(String((await mplab(['lab', 'status', '--json', '--name', name], false)).stdout));
    expect(status.running).toBe(false);
    expect(status.problems.join('\n')).toMatch(/link daemon is not running/);

    await mplab(['lab', 'up', '--name', name, '--no-proxy', '--adb-port-base', '0']);
    expect((await ping(name, 'phone1', '198.18.1.2')).exitCode).toBe(0);
    expect((await ping(name, 'phone1', '198.18.2.2')).exitCode).toBe(0);
    await mplab(['lab', 'down', '--name', name]);
    expect(await leftovers(name)).toEqual({ namespaces: [], processes: [], state: false });
  });

  it('a test that fails halfway still tears everything down', async () => {
    const name = testLabName(testPrefix());
    let running: number[] = [];
    const failingTest = async (): Promise<void> => {
      try {
        await labUp({ name, proxy: false, adbPortBase: 0, adbConnect: false });
        // traffic and a link in outage at the moment of the failure
        void inNetns(`${name}-phone1`, 'ping', ['-i', '0.2', '198.18.0.1'], { reject: false });
        void inNetns(`${name}-origin`, 'sleep', ['600'], { reject: false });
        await labLink(name, 'phone1', 'wifi', { outage: true });
        await sleep(100);
        running = (await leftovers(name)).processes;
        throw new Error('assertion failed halfway');
      } finally {
        await labDown(name);
      }
    };
    await expect(failingTest()).rejects.toThrow('assertion failed halfway');
    expect(running.length).toBeGreaterThanOrEqual(4); // link daemon, origin, ping, sleep
    expect(await leftovers(name)).toEqual({ namespaces: [], processes: [], state: false });
    expect(running.filter(processAlive)).toEqual([]);
  });
});
