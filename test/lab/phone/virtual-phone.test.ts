import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { Adb } from '@devicefarmer/adbkit';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNetns } from '../../../testbed/netns.js';
import { removeOwnTestNamespaces } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';
import { PHONE_ADDRESSES, createVirtualPhone, type VirtualPhoneFixture } from '../../support/virtual-phone.js';

/**
 * The virtual phone through the real adb server only: the adb CLI (-s 127.0.0.1:PORT) and
 * adbkit, with every effect checked inside the phone's namespace or folder.
 */

const prereqs = { root: true, commands: ['adb', 'ip', 'unshare', 'script', 'tcpdump', 'socat'] };

async function link(phone: VirtualPhoneFixture, iface: string): Promise<{ up: boolean; ipv4: string[] }> {
  const r = await inNetns(phone.netns, 'ip', ['-j', 'addr', 'show', 'dev', iface]);
  const [entry] = JSON.parse(String(r.stdout)) as Array<{ flags: string[]; addr_info: Array<{ family: string; local: string; prefixlen: number }> }>;
  return { up: entry.flags.includes('UP'), ipv4: entry.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`) };
}

async function routes(phone: VirtualPhoneFixture, iface: string): Promise<string[]> {
  const r = await inNetns(phone.netns, 'ip', ['-4', 'route', 'show', 'table', 'all', 'dev', iface]);
  return String(r.stdout)
    .split('\n')
    .filter((l) => l && !l.includes('table local'))
    .sort();
}

describe.skipIf(skipUnless(prereqs))('virtual phone through the adb server', () => {
  let phone: VirtualPhoneFixture;
  let work: string;

  beforeAll(async () => {
    phone = await createVirtualPhone({ name: 'rooted', rebootMs: 1000, bootCompletedMs: 1500 });
    work = await mkdtemp(path.join(tmpdir(), 'mplabt-phone-files-'));
  });
  afterAll(async () => {
    await phone?.teardown();
    if (work) await rm(work, { recursive: true, force: true });
    await removeOwnTestNamespaces();
  });

  it('is discovered by adb with its model and state', async () => {
    const devices = await execa('adb', ['devices', '-l']);
    const line = devices.stdout.split('\n').find((l) => l.startsWith(`${phone.serial} `));
    expect(line).toMatch(/\sdevice\s+product:mplab_vphone model:Virtual_Phone device:vphone/);
    expect((await phone.adb('get-state')).stdout.trim()).toBe('device');
    const props = await phone.shell('getprop ro.build.version.sdk; getprop ro.build.version.release; getprop ro.product.model; getprop sys.boot_completed');
    expect(props.stdout.split('\n')).toEqual(['34', '14', 'Virtual Phone', '1']);
  });

  it('runs shell protocol v2 commands with exit status, separate stderr and stdin', async () => {
    const exit3 = await phone.shell('exit 3');
    expect(exit3.exitCode).toBe(3);
    const both = await phone.shell('echo out; echo err >&2');
    expect(both.stdout).toBe('out');
    expect(both.stderr).toBe('err');
    const errOnly = await phone.shell('echo only-err >&2; exit 4');
    expect([errOnly.stdout, errOnly.stderr, errOnly.exitCode]).toEqual(['', 'only-err', 4]);
    const cat = await execa('adb', ['-s', phone.serial, 'shell', 'tr a-z A-Z'], { input: 'hello phone\n', reject: false });
    expect(cat.stdout).toBe('HELLO PHONE');
    const id = await phone.shell('id -u; id -un; echo $PATH');
    expect(id.stdout.split('\n').slice(0, 2)).toEqual(['2000', 'shell']);
  });

  it('answers an unknown command like Android (127)', async () => {
    const r = await phone.shell('no-such-command --flag');
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toMatch(/no-such-command: (inaccessible or )?not found/);
  });

  it('serves the legacy shell (merged output, no status) and exec to adbkit and adb', async () => {
    const client = Adb.createClient();
    const device = client.getDevice(phone.serial);
    const stream = await device.shell('echo a; echo b >&2; echo c; exit 5');
    const out = (await Adb.util.readAll(stream)).toString();
    expect(out).toBe('a\nb\nc\n');
    const props = await device.getProperties();
    expect(props['ro.build.version.sdk']).toBe('34');
    const exec = await execa('adb', ['-s', phone.serial, 'exec-out', 'printf', '\\001\\002\\n\\377'], { encoding: 'buffer', reject: false });
    expect(Buffer.from(exec.stdout)).toEqual(Buffer.from([1, 2, 10, 255]));
  });

  it('pushes and pulls a 10 MB file byte for byte into the phone\'s folder', async () => {
    const data = randomBytes(10 * 1024 * 1024);
    const local = path.join(work, 'big.bin');
    await writeFile(local, data);
    for (const remote of ['/data/local/tmp/big.bin', '/sdcard/Download/sub/big.bin']) {
      const push = await phone.adb('push', local, remote);
      expect(push.exitCode, push.stderr).toBe(0);
      const back = path.join(work, 'back.bin');
      const pull = await phone.adb('pull', remote, back);
      expect(pull.exitCode, pull.stderr).toBe(0);
      expect((await readFile(back)).equals(data)).toBe(true);
      await rm(back);
    }
    // the shell sees the same files, and they live in the phone's folder
    const ls = await phone.shell('wc -c < /data/local/tmp/big.bin; ls /sdcard/Download/sub; stat -c %U /data/local/tmp/big.bin');
    expect(ls.stdout.split('\n')).toEqual([String(data.length), 'big.bin', 'shell']);
    expect((await stat(phone.hostPath('/data/local/tmp/big.bin'))).size).toBe(data.length);
    expect((await stat(phone.hostPath('/sdcard/Download/sub/big.bin'))).size).toBe(data.length);
    // the shell user cannot write outside its places, and the error comes back through sync
    const denied = await phone.adb('push', local, '/system/denied.bin');
    expect(denied.exitCode).not.toBe(0);
    expect(`${denied.stdout}${denied.stderr}`).toMatch(/remote couldn't create file: Permission denied/);
    const missing = await phone.adb('pull', '/data/local/tmp/none', path.join(work, 'none'));
    expect(missing.exitCode).not.toBe(0);
    expect(`${missing.stdout}${missing.stderr}`).toMatch(/No such file or directory/);
    const client = Adb.createClient();
    const entries = await client.getDevice(phone.serial).readdir('/data/local/tmp');
    expect(entries.map((e: { name: string }) => e.name)).toContain('big.bin');
  });

  it('turns WiFi off and on: wlan0 goes down and comes back with its addresses and routes', async () => {
    const before = await routes(phone, 'wlan0');
    expect(before).toEqual(expect.arrayContaining([expect.stringMatching(/^default via 198\.18\.1\.1 metric 100/), expect.stringMatching(/^default via 198\.18\.1\.1 table 100/)]));
    for (const [off, on] of [
      ['svc wifi disable', 'svc wifi enable'],
      ['cmd -w wifi set-wifi-enabled disabled', 'cmd -w wifi set-wifi-enabled enabled'],
    ]) {
      expect((await phone.shell(off)).exitCode).toBe(0);
      expect(await link(phone, 'wlan0')).toEqual({ up: false, ipv4: [] });
      expect(await routes(phone, 'wlan0')).toEqual([]);
      expect((await link(phone, 'rmnet0')).up).toBe(true);
      const seen = await phone.shell('settings get global wifi_on; dumpsys wifi | head -1; cmd wifi status | head -1');
      expect(seen.stdout.split('\n')).toEqual(['0', 'Wi-Fi is disabled', 'Wifi is disabled']);
      expect((await phone.shell(on)).exitCode).toBe(0);
      expect(await link(phone, 'wlan0')).toEqual({ up: true, ipv4: [`${PHONE_ADDRESSES.wifi.phone}/24`] });
      expect(await routes(phone, 'wlan0')).toEqual(before);
    }
    const ping = await inNetns(phone.netns, 'ping', ['-c', '1', '-W', '2', '-I', 'wlan0', PHONE_ADDRESSES.wifi.peer], { reject: false });
    expect(ping.exitCode).toBe(0);
  });

  it('turns mobile data off and on (svc data, cmd phone data)', async () => {
    const before = await routes(phone, 'rmnet0');
    for (const [off, on] of [
      ['svc data disable', 'svc data enable'],
      ['cmd phone data disable', 'cmd phone data enable'],
    ]) {
      expect((await phone.shell(off)).exitCode).toBe(0);
      expect(await link(phone, 'rmnet0')).toEqual({ up: false, ipv4: [] });
      expect((await link(phone, 'wlan0')).up).toBe(true);
      expect((await phone.shell('settings get global mobile_data')).stdout).toBe('0');
      expect((await phone.shell('dumpsys telephony.registry | grep mDataConnectionState')).stdout.trim()).toBe('mDataConnectionState=0');
      expect((await phone.shell(on)).exitCode).toBe(0);
      expect(await link(phone, 'rmnet0')).toEqual({ up: true, ipv4: [`${PHONE_ADDRESSES.cellular.phone}/24`] });
      expect(await routes(phone, 'rmnet0')).toEqual(before);
    }
  });

  it('airplane mode takes both interfaces down and brings back what was on', async () => {
    expect((await phone.shell('cmd connectivity airplane-mode enable')).exitCode).toBe(0);
    expect((await link(phone, 'wlan0')).up).toBe(false);
    expect((await link(phone, 'rmnet0')).up).toBe(false);
    const state = await phone.shell('cmd connectivity airplane-mode; settings get global airplane_mode_on; dumpsys connectivity | grep "Active default network"');
    expect(state.stdout.split('\n')).toEqual(['enabled', '1', 'Active default network: none']);
    expect((await phone.shell('cmd connectivity airplane-mode disable')).exitCode).toBe(0);
    expect(await link(phone, 'wlan0')).toEqual({ up: true, ipv4: [`${PHONE_ADDRESSES.wifi.phone}/24`] });
    expect(await link(phone, 'rmnet0')).toEqual({ up: true, ipv4: [`${PHONE_ADDRESSES.cellular.phone}/24`] });
    const connectivity = await phone.shell('dumpsys connectivity');
    expect(connectivity.stdout).toMatch(/Active default network: 100/);
    expect(connectivity.stdout).toMatch(/InterfaceName: wlan0 LinkAddresses: \[ 198\.18\.1\.2\/24/);
    expect(connectivity.stdout).toMatch(/InterfaceName: rmnet0 LinkAddresses: \[ 198\.18\.2\.2\/24/);
  });

  it('keeps settings, properties, battery and power state', async () => {
    expect((await phone.shell('settings put global mobile_data_always_on 0')).exitCode).toBe(0);
    expect((await phone.shell('settings get global mobile_data_always_on; settings get secure no_such_key')).stdout).toBe('0\nnull');
    expect((await phone.shell('settings list global')).stdout).toMatch(/^mobile_data_always_on=0$/m);
    const all = await phone.shell('getprop');
    expect(all.stdout).toMatch(/^\[ro\.build\.version\.sdk\]: \[34\]$/m);
    expect(all.stdout).toMatch(/^\[ro\.build\.fingerprint\]: \[mplab\/mplab_vphone\/vphone:14\//m);
    const battery = await phone.shell('dumpsys battery set level 42 && dumpsys battery | grep -E "^  (level|temperature):"; dumpsys battery reset');
    expect(battery.stdout.split('\n')).toEqual(['  level: 42', '  temperature: 250']);
    const power = async () => (await phone.shell('dumpsys power | grep -E "mWakefulness=|Display Power"')).stdout.split('\n');
    expect(await power()).toEqual(['  mWakefulness=Awake', 'Display Power: state=ON']);
    await phone.shell('input keyevent KEYCODE_POWER');
    expect(await power()).toEqual(['  mWakefulness=Asleep', 'Display Power: state=OFF']);
    await phone.shell('input keyevent 224');
    expect(await power()).toEqual(['  mWakefulness=Awake', 'Display Power: state=ON']);
    expect((await phone.shell('dumpsys window | grep -E "mShowingLockscreen|isKeyguardShowing"')).stdout).not.toMatch(/true/);
  });

  it('starts, lists, clears and stops apps; taps and types through the UI dump', async () => {
    const list = await phone.shell('pm list packages');
    expect(list.stdout.split('\n')).toEqual(expect.arrayContaining(['package:com.android.chrome', 'package:com.android.settings']));
    expect((await phone.shell('pm path com.android.chrome')).stdout).toMatch(/^package:\/.*\.apk$/);
    expect((await phone.shell('pm path com.example.none')).exitCode).toBe(1);
    await phone.shell('am start -W -n com.android.settings/.Settings');
    expect((await phone.shell('dumpsys window | grep mCurrentFocus | head -1')).stdout).toMatch(/com\.android\.settings\/com\.android\.settings\.Settings/);
    await phone.shell('am force-stop com.android.settings');
    expect((await phone.shell('dumpsys activity activities | grep mResumedActivity')).stdout).toMatch(/com\.android\.launcher3/);
    // the home screen's dump gives Chrome's icon; tapping it opens Chrome; typing reaches its URL bar
    const dump = await phone.shell('uiautomator dump && cat /sdcard/window_dump.xml');
    expect(dump.stdout).toMatch(/UI hierchary dumped to: \/sdcard\/window_dump\.xml/);
    const icon = /text="Chrome"[^>]*bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]"/.exec(dump.stdout);
    expect(icon).not.toBeNull();
    const [x, y] = [(Number(icon![1]) + Number(icon![3])) >> 1, (Number(icon![2]) + Number(icon![4])) >> 1];
    await phone.shell(`input tap ${x} ${y}`);
    await phone.shell('input text mplab.example%sweb');
    const chrome = await phone.adb('exec-out', 'uiautomator dump /dev/tty');
    expect(chrome.stdout).toMatch(/resource-id="com\.android\.chrome:id\/url_bar" class="android\.widget\.EditText" package="com\.android\.chrome"/);
    expect(chrome.stdout).toMatch(/text="mplab\.example web"/);
    // pm clear empties the app's data directory
    await phone.shell('su -c "echo cached > /data/data/com.android.chrome/cache.txt"');
    expect(existsSync(phone.hostPath('/data/data/com.android.chrome/cache.txt'))).toBe(true);
    const clear = await phone.shell('pm clear com.android.chrome');
    expect([clear.stdout, clear.exitCode]).toEqual(['Success', 0]);
    expect(existsSync(phone.hostPath('/data/data/com.android.chrome/cache.txt'))).toBe(false);
    expect((await phone.shell('pm clear com.example.none')).stdout).toBe('Failed');
    await phone.shell('input keyevent KEYCODE_HOME');
    const client = Adb.createClient();
    expect(await client.getDevice(phone.serial).isInstalled('com.android.chrome')).toBe(true);
    expect(await client.getDevice(phone.serial).clear('com.android.settings')).toBe(true);
  });

  it('lets a real shell interpret quoting: a badly quoted package name runs a command, a quoted one does not', async () => {
    const hostile = "x; touch /sdcard/pwned";
    const quoted = await phone.shell(`pm clear '${hostile.replace(/'/g, "'\\''")}'`);
    expect(quoted.stdout).toBe('Failed');
    expect(existsSync(phone.hostPath('/sdcard/pwned'))).toBe(false);
    await phone.shell(`pm clear ${hostile}`);
    expect(existsSync(phone.hostPath('/sdcard/pwned'))).toBe(true);
    await phone.shell('rm /sdcard/pwned');
  });

  it('passes ip, sysctl, /proc/net and tcpdump through to the namespace; su gives root', async () => {
    const r = await phone.shell('ip -4 -o addr show dev wlan0; cat /proc/net/dev | grep -c -E "wlan0|rmnet0"; sysctl -n net.mptcp.enabled');
    expect(r.stdout.split('\n')).toEqual([expect.stringMatching(/inet 198\.18\.1\.2\/24/), '2', '1']);
    expect((await phone.shell('su -c id -u; su 0 id -u; su root id -un')).stdout).toBe('0\n0\nroot');
    const added = await phone.shell('su -c "ip route add 198.18.99.0/24 dev wlan0 table 100 && sysctl -w net.ipv4.tcp_no_metrics_save=1 && ip mptcp endpoint add 198.18.1.2 dev wlan0 subflow"');
    expect(added.exitCode, added.stderr).toBe(0);
    expect(String((await inNetns(phone.netns, 'ip', ['route', 'show', 'table', '100'])).stdout)).toMatch(/198\.18\.99\.0\/24 dev wlan0/);
    expect(String((await inNetns(phone.netns, 'ip', ['mptcp', 'endpoint', 'show'])).stdout)).toMatch(/198\.18\.1\.2 id \d+ subflow dev wlan0/);
    expect(String((await inNetns(phone.netns, 'sysctl', ['-n', 'net.ipv4.tcp_no_metrics_save'])).stdout)).toBe('1');
    await phone.shell('su -c "ip route del 198.18.99.0/24 table 100; ip mptcp endpoint flush"');
    // even root on the phone cannot write the host's files or its kernel-wide sysctls (rewriting the current value)
    const host = await phone.shell('su -c "touch /usr/mplab-probe; touch /etc/mplab-probe; sysctl -w kernel.ctrl-alt-del=$(cat /proc/sys/kernel/ctrl-alt-del)"');
    expect(host.exitCode).not.toBe(0);
    expect(host.stderr.match(/cannot touch .*: Read-only file system/g)?.length).toBe(2);
    expect(host.stderr).toMatch(/permission denied on key "kernel\.ctrl-alt-del"/);
    expect(existsSync('/usr/mplab-probe') || existsSync('/etc/mplab-probe')).toBe(false);
    // a capture on the phone, started and stopped through adb, pulled back
    const start = await phone.shell('su -c "nohup tcpdump -i wlan0 -n --immediate-mode -U -w /sdcard/cap.pcap icmp > /dev/null 2>&1 &"');
    expect(start.exitCode).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await inNetns(phone.peerNetns, 'ping', ['-c', '3', '-i', '0.2', PHONE_ADDRESSES.wifi.phone]);
    await phone.shell('su -c "pkill -INT tcpdump"; sleep 0.5');
    const pulled = path.join(work, 'cap.pcap');
    expect((await phone.adb('pull', '/sdcard/cap.pcap', pulled)).exitCode).toBe(0);
    const packets = await execa('tcpdump', ['-n', '-r', pulled]);
    expect(packets.stdout.split('\n').filter((l) => l.includes('ICMP echo request')).length).toBe(3);
  });

  it('restarts adbd as root and back (adb root/unroot) and forwards TCP into the namespace', async () => {
    const root = await phone.adb('root');
    expect(root.stdout).toMatch(/restarting adbd as root/);
    await phone.waitForState('device');
    expect((await phone.shell('id -u')).stdout).toBe('0');
    expect((await phone.adb('root')).stdout).toMatch(/adbd is already running as root/);
    expect((await phone.adb('unroot')).stdout).toMatch(/restarting adbd as non root/);
    await phone.waitForState('device');
    expect((await phone.shell('id -u')).stdout).toBe('2000');
    // adb forward reaches a server listening on the phone's own loopback
    const server = inNetns(phone.netns, 'socat', ['-T', '5', 'TCP-LISTEN:7000,bind=127.0.0.1,reuseaddr', 'SYSTEM:echo served-in-phone'], { reject: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const forward = await phone.adb('forward', 'tcp:0', 'tcp:7000');
    const port = Number(forward.stdout.trim());
    expect(port).toBeGreaterThan(0);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toBe('served-in-phone\n');
    await phone.adb('forward', '--remove', `tcp:${port}`);
    await server;
  });

  it('reboots: away from adb, back on the same port with WiFi, data and settings restored', async () => {
    await phone.shell('svc wifi disable; settings put global mplab_marker rebooted');
    const bootCount = (await phone.shell('settings get global boot_count')).stdout;
    const started = Date.now();
    const reboot = await phone.adb('reboot');
    expect(reboot.exitCode).toBe(0);
    await phone.waitForGone();
    // while it is away both interfaces are down (as a phone switched off)
    expect((await link(phone, 'rmnet0')).up).toBe(false);
    await phone.waitForState('device', 30_000);
    const awayMs = Date.now() - started;
    await phone.waitForBoot();
    const boot = await phone.shell('settings get global mplab_marker; settings get global wifi_on; settings get global boot_count');
    expect(boot.stdout.split('\n')).toEqual(['rebooted', '0', String(Number(bootCount) + 1)]);
    expect((await link(phone, 'wlan0')).up).toBe(false);
    expect(await link(phone, 'rmnet0')).toEqual({ up: true, ipv4: [`${PHONE_ADDRESSES.cellular.phone}/24`] });
    expect(awayMs).toBeGreaterThanOrEqual(1000);
    await phone.shell('svc wifi enable');
    expect(await link(phone, 'wlan0')).toEqual({ up: true, ipv4: [`${PHONE_ADDRESSES.wifi.phone}/24`] });
  });
});

describe.skipIf(skipUnless(prereqs))('a phone that is not rooted', () => {
  let phone: VirtualPhoneFixture;
  beforeAll(async () => {
    phone = await createVirtualPhone({ name: 'user', root: false });
  });
  afterAll(async () => {
    await phone?.teardown();
    await removeOwnTestNamespaces();
  });

  it('has no su and refuses privileged changes with genuine permission errors', async () => {
    const su = await phone.shell('su -c id');
    expect(su.exitCode).toBe(127);
    expect((await phone.shell('getprop ro.debuggable; getprop ro.build.type')).stdout).toBe('0\nuser');
    const route = await phone.shell('ip route add 198.18.77.0/24 dev wlan0');
    expect(route.exitCode).not.toBe(0);
    expect(route.stderr).toMatch(/Operation not permitted/);
    const rule = await phone.shell('ip rule add from 198.18.1.2 lookup 300');
    expect(rule.stderr).toMatch(/Operation not permitted/);
    const sysctl = await phone.shell('sysctl -w net.ipv4.ip_forward=1');
    expect(sysctl.exitCode).not.toBe(0);
    expect(sysctl.stderr).toMatch(/permission denied/i);
    const mptcp = await phone.shell('ip mptcp endpoint add 198.18.1.2 dev wlan0 subflow');
    expect(mptcp.exitCode).not.toBe(0);
    const capture = await phone.shell('tcpdump -i wlan0 -c 1');
    expect(capture.exitCode).not.toBe(0);
    expect(capture.stderr).toMatch(/permission/i);
    expect(String((await inNetns(phone.netns, 'ip', ['route'])).stdout)).not.toMatch(/198\.18\.77/);
    const root = await phone.adb('root');
    expect(root.stdout).toMatch(/adbd cannot run as root in production builds/);
    // the shell user can still drive the radios through the Android commands, as on a phone
    expect((await phone.shell('svc wifi disable')).exitCode).toBe(0);
    expect((await link(phone, 'wlan0')).up).toBe(false);
    expect((await phone.shell('svc wifi enable')).exitCode).toBe(0);
  });
});

describe.skipIf(skipUnless(prereqs))('a phone whose daemon is killed mid-command', () => {
  let phone: VirtualPhoneFixture;
  beforeAll(async () => {
    phone = await createVirtualPhone({ name: 'crashy', process: true });
  });
  afterAll(async () => {
    await phone?.teardown();
    await removeOwnTestNamespaces();
  });

  it('is reconnected by the adb server on its own once the daemon is back on the same port', async () => {
    await phone.shell('svc data disable');
    const running = phone.shell('echo started; sleep 30; echo finished');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const port = phone.port;
    await phone.kill();
    const interrupted = await running;
    // adb 29 reports 0 when the connection drops before the exit packet: only the output tells
    expect(interrupted.stdout).toBe('started');
    expect((await phone.adb('get-state')).stdout.trim()).not.toBe('device');
    await phone.restart();
    expect(phone.port).toBe(port);
    // no `adb connect` here: the server's own reconnection finds the daemon again
    await phone.waitForState('device', 30_000);
    const back = await phone.shell('echo back; settings get global mobile_data');
    expect(back.stdout).toBe('back\n0');
    expect((await link(phone, 'rmnet0')).up).toBe(false);
  });
});
