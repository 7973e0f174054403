import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MPLAB_CLI } from '../../../common/paths.js';
import { validateDevicesFile, type DeviceConfig } from '../../../framework/config/devices-file.js';
import { AppResetError, resetApp } from '../../../framework/devices/app.js';
import { pullPhoneCapture, startPhoneCapture, stopPhoneCapture } from '../../../framework/devices/capture.js';
import { Device, type KnownPhone } from '../../../framework/devices/device.js';
import { applyMptcpMode } from '../../../framework/devices/mptcp.js';
import { applyNet } from '../../../framework/devices/network.js';
import { DeviceGoneError } from '../../../framework/devices/recovery.js';
import { ShellCutError, ShellTimeoutError } from '../../../framework/devices/shell.js';
import { listDevices } from '../../../framework/cli/devices.js';
import { takeSnapshot } from '../../../framework/devices/snapshot.js';
import { readStatus } from '../../../framework/devices/status.js';
import { inNetns, ip } from '../../../testbed/netns.js';
import { removeOwnTestNamespaces } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { HOSTILE } from '../../unit/framework/hostile-strings.js';
import { startPhones, subflowsOfOneConnection, type LabPhone } from './phones.js';

/**
 * Device control against virtual phones through the real adb server: every command goes
 * adbkit -> adb server -> `adb connect`ed virtual adbd -> a real sh in the phone's namespace.
 * Effects are checked from the host, inside the phone's namespace.
 */

let rooted: LabPhone;
let plain: LabPhone;
let android10: LabPhone;
let work: string;
let devicesJson: string;

function config(phone: LabPhone, extra: Record<string, unknown> = {}): DeviceConfig {
  const { devices, problems } = validateDevicesFile([{ id: phone.serial, label: phone.label, root: phone.root, kernel: 'upstream', ...extra }]);
  expect(problems).toEqual([]);
  return devices[0];
}

async function mplab(args: string[], env: Record<string, string> = {}) {
  // a command that hangs is killed (exit code undefined) rather than holding up the run
  return execa(process.execPath, [MPLAB_CLI, ...args], { reject: false, timeout: 60_000, env: { MPLAB_LOG_LEVEL: 'warn', MPLAB_LOG_FORMAT: 'json', ...env } });
}

async function nsSysctl(netns: string, key: string): Promise<string> {
  return String((await inNetns(netns, 'sysctl', ['-n', key])).stdout).trim();
}

async function nsEndpoints(netns: string): Promise<string> {
  return ip(netns, ['mptcp', 'endpoint', 'show']);
}

describe.skipIf(skipUnless({ root: true, commands: ['adb', 'ip', 'tcpdump', 'socat', 'mptcpize'] }))('device control on virtual phones through the real adb server', () => {
  beforeAll(async () => {
    [rooted, plain, android10] = await startPhones([
      { label: 'vroot', root: true },
      { label: 'vplain', root: false },
      { label: 'v10', root: false, props: { 'ro.build.version.sdk': '29', 'ro.build.version.release': '10' } },
    ]);
    work = await mkdtemp(join(tmpdir(), 'mplab-device-'));
    devicesJson = join(work, 'devices.json');
    await writeFile(
      devicesJson,
      JSON.stringify({
        devices: [
          { id: rooted.serial, label: 'vroot', root: true, kernel: 'upstream', capture: { onPhone: true } },
          { id: plain.serial, label: 'vplain', root: false, kernel: 'upstream' },
        ],
      }),
    );
  });

  afterAll(async () => {
    await rooted?.close();
    await plain?.close();
    await android10?.close();
    await removeOwnTestNamespaces();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('devices list: the phones adb sees, their state and devices.json labels', async () => {
    const r = await mplab(['devices', 'list', '--json', '--devices', devicesJson]);
    expect(r.exitCode).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ serial: string; state: string; known: boolean; label: string | null }>;
    expect(rows).toContainEqual({ serial: rooted.serial, state: 'device', adbServer: '127.0.0.1:5037', known: true, label: 'vroot' });
    expect(rows).toContainEqual({ serial: plain.serial, state: 'device', adbServer: '127.0.0.1:5037', known: true, label: 'vplain' });
  });

  it('status: Android 14 / SDK 34, boot, battery, screen, interfaces, route, MPTCP, root', async () => {
    const device = new Device(config(rooted));
    await device.run(['sh', '-c', 'dumpsys battery set level 42; dumpsys battery set temp 317; dumpsys battery set ac 1']);
    const r = await mplab(['device', 'vroot', 'status', '--json', '--devices', devicesJson]);
    await device.run(['dumpsys', 'battery', 'reset']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const st = JSON.parse(r.stdout);
    expect(st).toMatchObject({ id: rooted.serial, state: 'device', android: '14', sdk: 34, bootCompleted: true, shellProtocol: 'v2' });
    expect(st.battery).toEqual({ level: 42, temperatureC: 31.7, powered: { ac: true, usb: false, wireless: false } });
    expect(typeof st.screen.on).toBe('boolean');
    expect(st.wifi).toMatchObject({ iface: 'wlan0', up: true });
    expect(st.wifi.ipv4).toHaveLength(1);
    expect(st.mptcp).toMatchObject({ kernel: 'upstream', configured: 'upstream' });
    expect(st.root).toEqual({ configured: true, method: expect.stringMatching(/^(adbd|su-c|su-0)$/) });
    const nsAddr = await ip(rooted.netns, ['-4', '-o', 'addr', 'show', 'dev', 'wlan0']);
    expect(nsAddr).toContain(st.wifi.ipv4[0]);
  });

  it('status reads the same through the legacy shell as through protocol v2', async () => {
    const v2 = await readStatus(new Device(config(rooted), { shellProtocol: 'v2' }));
    const legacy = await readStatus(new Device(config(rooted), { shellProtocol: 'legacy' }));
    expect({ ...legacy, shellProtocol: 'v2', battery: v2.battery }).toEqual(v2);
    expect(legacy.shellProtocol).toBe('legacy');
  });

  it('a root method found by one Device is known to the next for the phone (its status read runs no su), and forgotten after recovery', async () => {
    // the shell commands each Device runs, from its debug log
    const commands = () => {
      const lines: string[] = [];
      const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line).cmd ?? '') });
      return { logger, lines };
    };
    const known: KnownPhone = {};
    const first = commands();
    const before = await readStatus(new Device(config(rooted), { logger: first.logger, known }));
    expect(known.rootMethod).toBe(before.root.method);
    expect(first.lines.some((c) => c.includes("su -c 'id -u'"))).toBe(true);
    const second = commands();
    const after = await readStatus(new Device(config(rooted), { logger: second.logger, known }));
    expect(after.root).toEqual(before.root);
    expect(second.lines.filter(Boolean).length).toBeGreaterThan(0);
    expect(second.lines.some((c) => c.includes('su '))).toBe(false);
    await new Device(config(rooted), { known }).ensureReady();
    expect(known.rootMethod).toBeUndefined();
    const third = commands();
    await readStatus(new Device(config(rooted), { logger: third.logger, known }));
    expect(third.lines.some((c) => c.includes("su -c 'id -u'"))).toBe(true);
  });

  describe('shell', () => {
    for (const protocol of ['v2', 'legacy'] as const) {
      it(`${protocol}: stdout, stderr and exit status`, async () => {
        const device = new Device(config(rooted), { shellProtocol: protocol });
        const r = await device.shell(['sh', '-c', 'echo out; echo err >&2; exit 7']);
        expect(r.protocol).toBe(protocol);
        expect(r.exitCode).toBe(7);
        if (protocol === 'v2') {
          expect(r.stdout.toString()).toBe('out\n');
          expect(r.stderr.toString()).toBe('err\n');
        } else {
          expect(r.stdout.toString().split('\n').sort()).toEqual(['', 'err', 'out']);
        }
        const unknown = await device.shell(['mplab-no-such-command']);
        expect(unknown.exitCode).toBe(127);
        expect((await device.shell(['true'])).exitCode).toBe(0);
      });

      it(`${protocol}: hostile strings reach the phone as one word each and run nothing`, async () => {
        const device = new Device(config(rooted), { shellProtocol: protocol });
        for (const value of HOSTILE) {
          const r = await device.shell(['printf', '%s|', value, 'end']);
          expect(r.stdout.toString('utf8')).toBe(`${value}|end|`);
        }
        expect(await rooted.phoneFileExists('/tmp/pwned')).toBe(false);
        expect(await rooted.phoneFileExists('/data/local/tmp/pwned')).toBe(false);
      });
    }

    it('legacy: a command cannot forge the exit marker, even from its shell\'s command line, nor by killing its shell', async () => {
      const device = new Device(config(rooted), { shellProtocol: 'legacy' });
      // a guessed marker of status 0, then one for each candidate nonce in what the command can read
      // of its shell (command line without quotes and spaces, environment), printed last
      const forge = `printf '\\nMPLABEXIT0123456789abcdef:0\\n'; c=$(cat /proc/$PPID/cmdline /proc/$PPID/environ | tr -d "\\000' \\""); for n in $(printf '%s' "$c" | grep -oE '[0-9a-f]{16}'); do printf '\\nMPLABEXIT%s:0\\n' "$n"; done`;
      const r = await device.shell({ script: `${forge}; exit 3` });
      expect(r.stdout.toString()).toMatch(/MPLABEXIT0123456789abcdef:0\n/);
      expect(r.exitCode).toBe(3);
      const killed = await device.shell({ script: `${forge}; kill -9 $PPID; exit 3` }, { repeatable: false }).catch((e: unknown) => e);
      expect(killed).toBeInstanceOf(ShellCutError);
    });

    it('a command that outlives its timeout fails in time, says so, and is not run again on a phone that answers', async () => {
      const device = new Device(config(rooted));
      await device.run(['rm', '-f', '/data/local/tmp/attempts']);
      const started = Date.now();
      const err = await device.shell(['sh', '-c', 'echo run >> /data/local/tmp/attempts; sleep 20'], { timeoutMs: 1500 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShellTimeoutError);
      expect((err as Error).message).toMatch(/timed out after 1.5 s: sh -c/);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await device.run(['cat', '/data/local/tmp/attempts'])).toBe('run\n');
    });

    it('mplab device shell passes the exit status and stderr through', async () => {
      const r = await mplab(['device', 'vplain', 'shell', '--devices', devicesJson, '--', 'sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
      expect(r.exitCode).toBe(3);
      expect(r.stdout).toBe('to-out');
      expect(r.stderr).toBe('to-err');
    });
  });

  it('push and pull a 10 MB file byte for byte', async () => {
    const device = new Device(config(plain));
    const data = randomBytes(10 * 1024 * 1024);
    const local = join(work, 'big.bin');
    const back = join(work, 'big-back.bin');
    await writeFile(local, data);
    expect(await device.push(local, '/data/local/tmp/big.bin')).toBe(data.length);
    const size = (await device.run(['stat', '-c', '%s', '/data/local/tmp/big.bin'])).trim();
    expect(Number(size)).toBe(data.length);
    expect(await device.pull('/data/local/tmp/big.bin', back)).toBe(data.length);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(await readFile(back))).toBe(sha(data));
    await device.run(['rm', '-f', '/data/local/tmp/big.bin']);
    await expect(device.pull('/data/local/tmp/no-such-file', back)).rejects.toMatchObject({ code: 'ENOENT' });
    const cli = await mplab(['device', 'vplain', 'pull', '--devices', devicesJson, '/data/local/tmp/no-such-file', back]);
    expect(cli.exitCode).toBe(1);
    expect(cli.stderr).toBe('mplab: pull /data/local/tmp/no-such-file: no such file on the phone');
  });

  it('pull: a LOCAL that cannot be written fails at once and leaves no sync service on the phone; a failed pull never touches LOCAL', async () => {
    const device = new Device(config(plain));
    await device.run(['sh', '-c', 'echo fresh > /data/local/tmp/pull-me.txt; echo secret > /data/local/tmp/unreadable; chmod 000 /data/local/tmp/unreadable']);
    const noFolder = join(work, 'no-such-folder', 'x.txt');
    const cases = [
      { local: noFolder, error: `mplab: ${noFolder}: folder ${join(work, 'no-such-folder')} does not exist` },
      { local: work, error: `mplab: ${work}: is a directory; give the path of the file to write` },
    ];
    for (const c of cases) {
      const started = Date.now();
      const r = await mplab(['device', 'vplain', 'pull', '--devices', devicesJson, '/data/local/tmp/pull-me.txt', c.local]);
      expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 1, stderr: c.error });
      expect(Date.now() - started).toBeLessThan(15_000);
      // and through the API, in this process, whose adb connections would outlive a failed pull
      await expect(device.pull('/data/local/tmp/pull-me.txt', c.local)).rejects.toThrow(c.error.slice('mplab: '.length));
    }

    // an earlier file is replaced only by a complete copy: a directory, a missing or an unreadable file leave it as it was
    const kept = join(work, 'kept.txt');
    await writeFile(kept, 'earlier');
    const failures = [
      ['/data/local/tmp', 'mplab: pull /data/local/tmp: is a directory on the phone, not a file'],
      ['/data/local/tmp/gone', 'mplab: pull /data/local/tmp/gone: no such file on the phone'],
      ['/data/local/tmp/unreadable', 'mplab: pull /data/local/tmp/unreadable: the phone says: open failed: Permission denied'],
    ];
    for (const [remote, error] of failures) {
      const r = await mplab(['device', 'vplain', 'pull', '--devices', devicesJson, remote, kept]);
      expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 1, stderr: error });
      expect(await readFile(kept, 'utf8')).toBe('earlier');
      await expect(device.pull(remote, kept)).rejects.toThrow(error.slice('mplab: '.length));
      expect(await readFile(kept, 'utf8')).toBe('earlier');
    }
    expect((await readdir(work)).filter((f) => f.includes('mplab-pull'))).toEqual([]);
    let left: number[] = [];
    for (let i = 0; i < 20; i++) {
      left = await plain.syncServices();
      if (left.length === 0) break;
      await sleep(100);
    }
    expect(left).toEqual([]);

    const ok = await mplab(['device', 'vplain', 'pull', '--devices', devicesJson, '/data/local/tmp/pull-me.txt', kept]);
    expect({ exit: ok.exitCode, stdout: ok.stdout }).toEqual({ exit: 0, stdout: `pulled 6 bytes to ${kept}` });
    expect(await readFile(kept, 'utf8')).toBe('fresh\n');
    await device.run(['rm', '-f', '/data/local/tmp/pull-me.txt', '/data/local/tmp/unreadable']);
  });

  it('a hostile package name or file name runs nothing', async () => {
    const device = new Device(config(plain));
    const hostile = "com.x; touch /data/local/tmp/pwned; echo '";
    const err = await resetApp(device, hostile).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppResetError);
    const cli = await mplab(['device', 'vplain', 'reset', '--devices', devicesJson, '$(touch /data/local/tmp/pwned)']);
    expect(cli.exitCode).toBe(1);
    const file = join(work, 'x.txt');
    await writeFile(file, 'x');
    const remote = "/data/local/tmp/a b;touch /data/local/tmp/pwned;'q";
    await device.push(file, remote);
    expect((await device.run(['cat', remote])).trim()).toBe('x');
    await device.run(['rm', '-f', remote]);
    expect(await plain.phoneFileExists('/data/local/tmp/pwned')).toBe(false);
  });

  it('reset force-stops and clears an installed app', async () => {
    const pkg = plain.installedPackage;
    await plain.writePhoneFile(`/data/data/${pkg}/cache/page.html`, 'cached');
    expect(await plain.phoneFileExists(`/data/data/${pkg}/cache/page.html`)).toBe(true);
    const r = await mplab(['device', 'vplain', 'reset', '--devices', devicesJson, pkg]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`reset ${pkg}: am force-stop ${pkg}; pm clear ${pkg}`);
    expect(await plain.phoneFileExists(`/data/data/${pkg}/cache/page.html`)).toBe(false);
  });

  describe('net', () => {
    it('WiFi off and on, checked in the namespace', async () => {
      const device = new Device(config(rooted));
      const off = await applyNet(device, { wifi: 'off', timeoutMs: 20_000 });
      expect(off.state.wifi.ipv4).toEqual([]);
      expect(await ip(rooted.netns, ['-4', '-o', 'addr', 'show', 'dev', 'wlan0'])).toBe('');
      const on = await applyNet(device, { wifi: 'on', timeoutMs: 20_000 });
      expect(on.summary).toMatch(/^wlan0 up \d/);
      expect(await ip(rooted.netns, ['-4', '-o', 'addr', 'show', 'dev', 'wlan0'])).toContain('inet ');
    });

    it('data off and on; cellular kept up next to WiFi', async () => {
      const device = new Device(config(plain));
      await applyNet(device, { data: 'off', timeoutMs: 20_000 });
      expect(await ip(plain.netns, ['-4', '-o', 'addr', 'show', 'dev', 'rmnet0'])).toBe('');
      const on = await applyNet(device, { data: 'on', wifi: 'on', timeoutMs: 20_000 });
      expect(on.state.cellular.ipv4).toHaveLength(1);
      expect(await ip(plain.netns, ['-4', '-o', 'addr', 'show', 'dev', 'rmnet0'])).toContain('inet ');
      expect((await device.run(['settings', 'get', 'global', 'mobile_data_always_on'])).trim()).toBe('1');
    });

    it('default route on cellular and back (root: policy routes), checked with ip route get in the namespace', async () => {
      const r = await mplab(['device', 'vroot', 'net', '--devices', devicesJson, '--wifi', 'on', '--data', 'on', '--default', 'cellular']);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/default route via rmnet0/);
      expect(await ip(rooted.netns, ['route', 'get', '192.0.2.1'])).toMatch(/dev rmnet0/);
      const wifiAddr = (await ip(rooted.netns, ['-4', '-o', 'addr', 'show', 'dev', 'wlan0'])).match(/inet (\S+)\//)![1];
      expect(await ip(rooted.netns, ['route', 'get', '192.0.2.1', 'from', wifiAddr])).toMatch(/dev wlan0/);
      const back = await mplab(['device', 'vroot', 'net', '--devices', devicesJson, '--default', 'wifi']);
      expect(back.exitCode).toBe(0);
      expect(await ip(rooted.netns, ['route', 'get', '192.0.2.1'])).toMatch(/dev wlan0/);
    });

    it('Android 10 (SDK 29): svc wifi and svc data, effects checked in the namespace', async () => {
      const device = new Device(config(android10));
      expect(await device.sdk()).toBe(29);
      // the phone has only what Android 10 has: the commands of Android 11 are refused and change nothing
      for (const argv of [['cmd', 'wifi', 'set-wifi-enabled', 'disabled'], ['cmd', 'phone', 'data', 'disable'], ['cmd', 'connectivity', 'airplane-mode', 'enable']]) {
        const r = await device.shell(argv);
        expect({ argv, exit: r.exitCode, stderr: r.stderr.toString() }).toEqual({ argv, exit: 255, stderr: `Unknown command: ${argv[2]}\n` });
      }
      expect((await device.shell(['cmd', '-w', 'wifi', 'set-wifi-enabled', 'disabled'])).stderr.toString()).toBe("cmd: Can't find service: -w\n");
      expect(await ip(android10.netns, ['-4', '-o', 'addr', 'show', 'dev', 'wlan0'])).toContain('inet ');
      expect(await ip(android10.netns, ['-4', '-o', 'addr', 'show', 'dev', 'rmnet0'])).toContain('inet ');
      const off = await applyNet(device, { wifi: 'off', data: 'off', timeoutMs: 20_000 });
      expect(off.actions.slice(0, 2)).toEqual(['svc wifi disable', 'svc data disable']);
      expect(await ip(android10.netns, ['-4', '-o', 'addr', 'show', 'dev', 'wlan0'])).toBe('');
      expect(await ip(android10.netns, ['-4', '-o', 'addr', 'show', 'dev', 'rmnet0'])).toBe('');
      const on = await applyNet(device, { wifi: 'on', data: 'on', timeoutMs: 20_000 });
      expect(on.actions.slice(0, 2)).toEqual(['svc wifi enable', 'svc data enable']);
      expect(await ip(android10.netns, ['-4', '-o', 'addr', 'show', 'dev', 'wlan0'])).toContain('inet ');
      expect(await ip(android10.netns, ['-4', '-o', 'addr', 'show', 'dev', 'rmnet0'])).toContain('inet ');
    });

    it('without root, default on cellular with WiFi on is refused', async () => {
      const r = await mplab(['device', 'vplain', 'net', '--devices', devicesJson, '--default', 'cellular']);
      expect(r.exitCode).toBe(5);
      expect(r.stderr).toMatch(/default route on cellular while WiFi is on needs root/);
    });

    it('airplane mode takes both down, and off brings them back', async () => {
      const device = new Device(config(plain));
      await applyNet(device, { airplane: 'on', timeoutMs: 20_000 });
      expect(await ip(plain.netns, ['-4', '-o', 'addr', 'show', 'dev', 'wlan0'])).toBe('');
      expect(await ip(plain.netns, ['-4', '-o', 'addr', 'show', 'dev', 'rmnet0'])).toBe('');
      await applyNet(device, { airplane: 'off', wifi: 'on', data: 'on', timeoutMs: 20_000 });
      expect(await ip(plain.netns, ['-4', '-o', 'addr', 'show', 'dev', 'wlan0'])).toContain('inet ');
    });

    it('a change that does not take effect fails with what was seen', async () => {
      const device = new Device(config(rooted, { interfaces: { wifi: 'wlan9', cellular: 'rmnet0' } }));
      const err = await applyNet(device, { wifi: 'on', timeoutMs: 2_000 }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/did not take effect in time: WiFi on: want wlan9 up with an IPv4 address, saw wlan9 missing/);
    });
  });

  describe('mptcp', () => {
    it('every mode on the upstream kernel, checked in the namespace', async () => {
      const device = new Device(config(rooted));
      await applyNet(device, { wifi: 'on', data: 'on', default: 'wifi' });
      const cell = (await ip(rooted.netns, ['-4', '-o', 'addr', 'show', 'dev', 'rmnet0'])).match(/inet (\S+)\//)![1];
      const wifi = (await ip(rooted.netns, ['-4', '-o', 'addr', 'show', 'dev', 'wlan0'])).match(/inet (\S+)\//)![1];

      await applyMptcpMode(device, 'mptcp');
      expect(await nsSysctl(rooted.netns, 'net.mptcp.enabled')).toBe('1');
      const mp = await nsEndpoints(rooted.netns);
      expect(mp).toMatch(new RegExp(`${wifi.replaceAll('.', '\\.')} id \\d+ subflow dev wlan0 *\n`));
      expect(mp).toMatch(new RegExp(`${cell.replaceAll('.', '\\.')} id \\d+ subflow dev rmnet0 *$`));
      expect(await ip(rooted.netns, ['mptcp', 'limits', 'show'])).toMatch(/subflows 2/);
      // and a real MPTCP connection from the phone gets its second subflow over rmnet0
      expect((await subflowsOfOneConnection(rooted, true)).subflows).toBe(2);

      await applyMptcpMode(device, 'fullmesh');
      const fm = await nsEndpoints(rooted.netns);
      expect(fm).toMatch(new RegExp(`${wifi.replaceAll('.', '\\.')} id \\d+ subflow fullmesh dev wlan0`));
      expect(fm).toMatch(new RegExp(`${cell.replaceAll('.', '\\.')} id \\d+ subflow fullmesh dev rmnet0`));

      await applyMptcpMode(device, 'backup');
      const bk = await nsEndpoints(rooted.netns);
      expect(bk).toMatch(new RegExp(`${wifi.replaceAll('.', '\\.')} id \\d+ subflow dev wlan0 *\n`));
      expect(bk).toMatch(new RegExp(`${cell.replaceAll('.', '\\.')} id \\d+ subflow backup dev rmnet0 *$`));
      expect((await subflowsOfOneConnection(rooted, true)).subflows).toBe(2);

      await applyMptcpMode(device, 'mptcp', { scheduler: 'default', pathManager: 'kernel' });
      expect(await nsSysctl(rooted.netns, 'net.mptcp.scheduler')).toBe('default');

      await applyMptcpMode(device, 'tcp');
      expect(await nsSysctl(rooted.netns, 'net.mptcp.enabled')).toBe('0');
      expect(await nsEndpoints(rooted.netns)).toBe('');
      // the kernel now refuses MPTCP sockets in the phone; plain TCP has its one path
      const refused = await subflowsOfOneConnection(rooted, true);
      expect(refused.subflows).toBeNull();
      expect(refused.clientError).toMatch(/Protocol not available/);
      expect((await subflowsOfOneConnection(rooted, false)).subflows).toBe(1);
    });

    it('refuses clearly what the phone cannot do', async () => {
      const noRoot = await mplab(['device', 'vplain', 'mptcp', 'fullmesh', '--devices', devicesJson]);
      expect(noRoot.exitCode).toBe(5);
      expect(noRoot.stderr).toMatch(/needs root, and devices.json says "root": false/);
      const nd = await mplab(['device', 'vroot', 'mptcp', 'ndiffports', '--devices', devicesJson]);
      expect(nd.exitCode).toBe(5);
      expect(nd.stderr).toMatch(/ndiffports needs the multipath-tcp.org kernel/);
      const rr = await mplab(['device', 'vroot', 'mptcp', 'roundrobin', '--devices', devicesJson]);
      expect(rr.exitCode).toBe(5);
      expect(rr.stderr).toMatch(/scheduler "roundrobin" is not available on this kernel/);
      const wrong = new Device(config(rooted, { kernel: 'multipath-tcp.org' }));
      await expect(applyMptcpMode(wrong, 'fullmesh')).rejects.toThrow(/devices.json says the kernel is "multipath-tcp.org", but the phone shows "upstream"/);
    });
  });

  it('snapshot writes every file and records exit statuses', async () => {
    const out = join(work, 'snap');
    const { records } = await takeSnapshot(new Device(config(rooted)), out);
    const files = await readdir(out);
    for (const f of ['ip-addr.txt', 'ip-rule.txt', 'ip-route.txt', 'mptcp-endpoints.txt', 'nstat.txt', 'getprop.txt', 'snapshot.json']) expect(files).toContain(f);
    expect(await readFile(join(out, 'ip-addr.txt'), 'utf8')).toContain('wlan0');
    expect(await readFile(join(out, 'nstat.txt'), 'utf8')).toMatch(/MPTcp|TcpExt/);
    expect(records.find((r) => r.file === 'ip-route.txt')?.exitCode).toBe(0);
  });

  it('capture on the phone: start, traffic, stop with counters, pull a pcap holding every packet counted', async () => {
    const device = new Device(config(rooted, { capture: { onPhone: true } }));
    const c = await startPhoneCapture(device, 'labtest');
    const ping = await device.shell(['ping', '-c', '3', '-i', '0.2', '-W', '1', rooted.wifiGateway], { timeoutMs: 10_000 });
    expect({ exit: ping.exitCode, err: ping.stderr.toString() }).toEqual({ exit: 0, err: '' });
    const stats = await stopPhoneCapture(device, c.name);
    expect(stats.captured).toBeGreaterThanOrEqual(3);
    expect(stats.droppedByKernel).toBe(0);
    const { file, bytes } = await pullPhoneCapture(device, c.name, work);
    expect(bytes).toBe(stats.bytes);
    const magic = (await readFile(file)).readUInt32LE(0);
    expect([0xa1b2c3d4, 0xa1b23c4d]).toContain(magic);
    // every packet tcpdump counted is in the file, the three echo requests and their replies among them
    const read = await execa('tcpdump', ['-r', file, '-n']);
    const packets = read.stdout.split('\n').filter(Boolean);
    expect(packets).toHaveLength(stats.captured!);
    expect(packets.filter((p) => p.includes(`> ${rooted.wifiGateway}: ICMP echo request`))).toHaveLength(3);
    expect(packets.filter((p) => p.includes(`${rooted.wifiGateway} > `) && p.includes('ICMP echo reply'))).toHaveLength(3);
  });

  it('a phone whose daemon is killed mid-command is waited for, reconnected, and the command completes', async () => {
    const steps: string[] = [];
    const device = new Device(config(plain), { recovery: { offlineWaitMs: 30_000, pollMs: 300 }, onRecoveryStep: (s) => steps.push(s) });
    const running = device.run(['sh', '-c', 'sleep 2; echo finished'], { timeoutMs: 20_000 });
    await sleep(700);
    await plain.killDaemon();
    await sleep(300);
    const row = (await listDevices(devicesJson)).find((r) => r.serial === plain.serial);
    expect(row?.state).toMatch(/^(offline|absent)$/);
    await sleep(1200);
    await plain.startDaemon();
    expect((await running).trim()).toBe('finished');
    expect(steps).toContain(`adb connect ${plain.serial}`);
    expect(steps).toContain('phone is back (state device)');
  });

  it('an unresponsive phone: refused without allowReboot; with it, rebooted and waited for until boot completed', async () => {
    const recovery = { probeTimeoutMs: 1_500, offlineWaitMs: 30_000, pollMs: 300, bootWaitMs: 60_000 };
    const refuse = new Device(config(plain), { recovery });
    plain.pauseDaemon();
    try {
      const err = await refuse.run(['echo', 'x'], { timeoutMs: 2_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceGoneError);
      expect((err as Error).message).toMatch(/attached but does not answer shell commands .*devices.json does not allow a reboot \("allowReboot": false\)/);
    } finally {
      plain.resumeDaemon();
    }

    const steps: string[] = [];
    let rebootAsked: () => void = () => undefined;
    const asked = new Promise<void>((resolve) => (rebootAsked = resolve));
    const reboot = new Device(config(plain, { allowReboot: true }), {
      recovery,
      onRecoveryStep: (s) => {
        steps.push(s);
        if (s.startsWith('rebooting')) rebootAsked();
      },
    });
    plain.pauseDaemon();
    const running = reboot.run(['echo', 'after reboot'], { timeoutMs: 2_000 });
    await Promise.race([asked, sleep(30_000)]);
    plain.resumeDaemon();
    expect((await running).trim()).toBe('after reboot');
    expect(steps).toEqual(expect.arrayContaining(['phone attached but not answering', 'rebooting the unresponsive phone (allowReboot)', 'phone rebooted and boot completed']));
  });

  it('a phone that adb forgot (adb disconnect) is reattached with adb connect', async () => {
    await execa('adb', ['disconnect', plain.serial], { reject: false });
    const device = new Device(config(plain), { recovery: { offlineWaitMs: 20_000, pollMs: 300 } });
    expect((await device.run(['echo', 'back'])).trim()).toBe('back');
  });

  it('an invalid devices.json: check prints every problem, other commands refuse with the same message', async () => {
    const bad = join(work, 'bad.json');
    await writeFile(bad, JSON.stringify({ devices: [{ id: rooted.serial, root: true, kernel: 'upstream' }, { id: 'x', root: 'yes', kernel: 'linux' }] }));
    const check = await mplab(['devices', 'check', '--devices', bad]);
    expect(check.exitCode).toBe(3);
    const expected = `mplab: ${bad}: 2 problems\n  devices[1].root: expected true or false, got the string "yes"\n  devices[1].kernel: expected one of "upstream", "multipath-tcp.org", "none", got the string "linux"`;
    expect(check.stderr).toBe(expected);
    for (const args of [['devices', 'list'], ['device', rooted.serial, 'status'], ['device', rooted.serial, 'net', '--wifi', 'on']]) {
      const r = await mplab([...args, '--devices', bad]);
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toBe(expected);
    }
  });
});
