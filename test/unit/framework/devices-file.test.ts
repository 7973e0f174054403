import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adbServerCapabilities, checkDevicesFile, findDevice, hostsWithPhones, loadDevicesFile, sessionUrlOf, validateDevicesFile } from '../../../framework/config/devices-file.js';
import { UserError } from '../../../common/errors.js';
import { tempDir } from '../../support/tmp.js';

const phone = { id: 'R58M12ABCDE', root: true, kernel: 'upstream' };

describe('devices.json validation', () => {
  it('fills defaults for a minimal phone', () => {
    const { devices, problems } = validateDevicesFile({ devices: [phone] });
    expect(problems).toEqual([]);
    expect(devices).toEqual([
      {
        id: 'R58M12ABCDE',
        label: 'R58M12ABCDE',
        adbServer: '127.0.0.1:5037',
        host: null,
        root: true,
        kernel: 'upstream',
        interfaces: { wifi: 'wlan0', cellular: 'rmnet0' },
        proxy: null,
        capture: { onPhone: false, iface: 'any', snaplen: 0, dir: '/data/local/tmp/mplab' },
        allowReboot: false,
      },
    ]);
  });

  it('accepts a bare list of phones too', () => {
    expect(validateDevicesFile([phone]).devices).toHaveLength(1);
    expect(validateDevicesFile([]).problems).toEqual([]);
  });

  it('reads every field of a full entry', () => {
    const full = {
      id: '127.0.0.1:6601',
      label: 'phone1',
      adbServer: '10.0.0.5:5037',
      root: true,
      kernel: 'multipath-tcp.org',
      interfaces: { wifi: 'wlan1', cellular: 'ccmni0' },
      proxy: { kind: 'shadowsocks', server: '198.18.0.1:8388', app: 'com.github.shadowsocks', password: 'pw', method: 'chacha20-ietf-poly1305' },
      capture: { onPhone: true, iface: 'wlan1', snaplen: 200, dir: '/sdcard/mplab' },
      allowReboot: true,
    };
    const { devices, problems } = validateDevicesFile({ devices: [full] });
    expect(problems).toEqual([]);
    expect(devices[0]).toMatchObject({ ...full, proxy: { ...full.proxy, username: null } });
  });

  it('reports every problem with its path, not just the first', () => {
    const { devices, problems } = validateDevicesFile({
      devices: [
        phone,
        { id: 'b', root: 'yes', kernel: 'upstream' },
        { id: 'c', root: false, kernel: 'mptcp', adbServer: 'localhost' },
        { label: 'd', root: false, kernel: 'none', interfaces: { wifi: 'wlan0', cellular: 'wlan0' }, colour: 'red' },
        { id: 'e', root: false, kernel: 'none', capture: { onPhone: true, snaplen: -1 } },
        { id: 'R58M12ABCDE', root: false, kernel: 'none' },
        { id: 'g', root: false, kernel: 'none', proxy: { kind: 'shadowsocks', server: '198.18.0.1' } },
        'not a phone',
      ],
    });
    expect(devices.map((d) => d.id)).toEqual(['R58M12ABCDE', 'R58M12ABCDE']);
    expect(problems).toEqual([
      'devices[1].root: expected true or false, got the string "yes"',
      'devices[2].adbServer: expected host:port (e.g. "127.0.0.1:5037"), got the string "localhost"',
      'devices[2].kernel: expected one of "upstream", "multipath-tcp.org", "none", got the string "mptcp"',
      'devices[3].colour: unknown field (expected one of "id", "label", "host", "adbServer", "root", "kernel", "interfaces", "proxy", "capture", "allowReboot")',
      'devices[3].id: missing (required)',
      'devices[3].interfaces.cellular: same interface as "wifi" ("wlan0")',
      'devices[4].capture.snaplen: expected an integer from 0 to 262144, got number -1',
      'devices[4].capture.onPhone: capturing on the phone needs "root": true',
      'devices[6].proxy.server: expected host:port (e.g. "127.0.0.1:5037"), got the string "198.18.0.1"',
      'devices[6].proxy.password: missing (a ShadowSocks client needs the password)',
      'devices[6].proxy.method: missing (a ShadowSocks client needs the cipher, e.g. "chacha20-ietf-poly1305")',
      'devices[7]: expected an object, got the string "not a phone"',
      'devices[5].id: "R58M12ABCDE" is already used by devices[0] (ids and labels name one phone each)',
    ]);
  });

  it('reports an unknown top-level field, a missing or non-list "devices", and a file that is neither object nor list', () => {
    expect(validateDevicesFile({ phones: [] }).problems).toEqual(['phones: unknown field (expected one of "devices", "hosts", "grid")', 'devices: missing (expected a list of phones)']);
    expect(validateDevicesFile({ devices: {} }).problems).toEqual(['devices: expected a list of phones']);
    expect(validateDevicesFile('x').problems).toEqual(['(top level): expected an object {"devices": [...]} or a list of phones']);
  });

  it('a label may not name another phone', () => {
    const { problems } = validateDevicesFile([phone, { id: 'x', label: 'R58M12ABCDE', root: false, kernel: 'none' }]);
    expect(problems).toEqual(['devices[1].label: "R58M12ABCDE" is already used by devices[0] (ids and labels name one phone each)']);
  });
});

describe('devices.json hosts and grid', () => {
  const hosts = [
    { name: 'bench1', adbServer: '192.0.2.20:5037', appium: 'http://192.0.2.20:4723/' },
    { name: 'bench2', adbServer: '192.0.2.21:5037' },
  ];

  it('a phone of a host hangs on that host\'s adb server; a phone on a host\'s address belongs to it; the grid gets its default event bus ports', () => {
    const { devices, hosts: read, grid, problems } = validateDevicesFile({
      hosts,
      grid: { url: 'http://192.0.2.1:4444' },
      devices: [
        { ...phone, host: 'bench1' },
        { id: 'b', root: false, kernel: 'none', host: 'bench2' },
        { id: 'c', root: false, kernel: 'none', adbServer: '192.0.2.21:5037' },
        { id: 'd', root: false, kernel: 'none' },
      ],
    });
    expect(problems).toEqual([]);
    expect(read).toEqual([
      { name: 'bench1', adbServer: '192.0.2.20:5037', appium: 'http://192.0.2.20:4723' },
      { name: 'bench2', adbServer: '192.0.2.21:5037', appium: null },
    ]);
    expect(grid).toEqual({ url: 'http://192.0.2.1:4444', publishPort: 4442, subscribePort: 4443 });
    expect(devices.map((d) => [d.id, d.host, d.adbServer])).toEqual([
      ['R58M12ABCDE', 'bench1', '192.0.2.20:5037'],
      ['b', 'bench2', '192.0.2.21:5037'],
      ['c', 'bench2', '192.0.2.21:5037'],
      ['d', null, '127.0.0.1:5037'],
    ]);
    const grouped = hostsWithPhones({ devices, hosts: read, grid }).map((h) => [h.host.name, h.declared, h.phones.map((p) => p.id)]);
    expect(grouped).toEqual([
      ['bench1', true, ['R58M12ABCDE']],
      ['bench2', true, ['b', 'c']],
      ['127.0.0.1:5037', false, ['d']],
    ]);
  });

  it('names the file\'s field and what was expected for every mistake in hosts, grid and a phone\'s host', () => {
    const { problems } = validateDevicesFile({
      hosts: [
        { name: 'bench1', adbServer: '192.0.2.20', appium: 'ftp://x' },
        { name: 'bench1', adbServer: '192.0.2.22:5037', appium: 'http://u:p@192.0.2.22:4723' },
        { adbServer: '192.0.2.23:5037', grid: true },
        { name: 'bench4', adbServer: '192.0.2.22:5037' },
        { name: 'has space' },
      ],
      grid: { url: 'grid:4444', publishPort: 4442, subscribePort: 4442 },
      devices: [
        { ...phone, host: 'nowhere' },
        { id: 'b', root: false, kernel: 'none', host: 'bench4', adbServer: '127.0.0.1:5037' },
      ],
    });
    expect(problems).toEqual([
      'hosts[0].adbServer: expected host:port (e.g. "127.0.0.1:5037"), got the string "192.0.2.20"',
      'hosts[0].appium: expected an http(s) URL such as "http://192.0.2.20:4723" (no user, query or fragment), got the string "ftp://x"',
      'hosts[1].appium: expected an http(s) URL such as "http://192.0.2.20:4723" (no user, query or fragment), got the string "http://u:p@192.0.2.22:4723"',
      'hosts[1].name: "bench1" is already used by hosts[0]',
      'hosts[2].grid: unknown field (expected one of "name", "adbServer", "appium")',
      'hosts[2].name: missing (required)',
      'hosts[4].name: expected a host name of [A-Za-z0-9_.-] (up to 63), got the string "has space"',
      'grid.url: expected an http(s) URL such as "http://192.0.2.1:4444" (no user, query or fragment), got the string "grid:4444"',
      'grid.subscribePort: same port as "publishPort" (4442): the event bus needs two',
      'devices[0].host: expected the name of a host of "hosts" ("bench4"), got the string "nowhere"',
      'devices[1].adbServer: give "host" or "adbServer", not both (a phone of host "bench4" hangs on that host\'s adb server)',
    ]);
  });

  it('sessions go to the Grid, else to the phone\'s host\'s Appium; a server started here is pointed at the phone\'s adb server', () => {
    const { devices, hosts: read } = validateDevicesFile({ hosts, devices: [{ ...phone, host: 'bench1' }, { id: 'b', root: false, kernel: 'none', host: 'bench2' }, { id: 'c', root: false, kernel: 'none', adbServer: '127.0.0.1:5041' }, { id: 'd', root: false, kernel: 'none' }] });
    expect(devices.map((d) => sessionUrlOf({ hosts: read, grid: null }, d))).toEqual(['http://192.0.2.20:4723', null, null, null]);
    const grid = { url: 'http://192.0.2.1:4444', publishPort: 4442, subscribePort: 4443 };
    expect(devices.map((d) => sessionUrlOf({ hosts: read, grid }, d))).toEqual(Array(4).fill('http://192.0.2.1:4444'));
    expect(devices.map((d) => adbServerCapabilities(d))).toEqual([
      { 'appium:adbPort': 5037, 'appium:remoteAdbHost': '192.0.2.20' },
      { 'appium:adbPort': 5037, 'appium:remoteAdbHost': '192.0.2.21' },
      { 'appium:adbPort': 5041 },
      {},
    ]);
  });

  it('two hosts on one adb server are refused, and hosts must be a list', () => {
    expect(validateDevicesFile({ hosts: [hosts[0], { name: 'other', adbServer: '192.0.2.20:5037' }], devices: [] }).problems).toEqual([
      'hosts[1].adbServer: 192.0.2.20:5037 is already the adb server of host "bench1"',
    ]);
    expect(validateDevicesFile({ hosts: {}, devices: [] }).problems).toEqual(['hosts: expected a list of phone hosts ({"name", "adbServer", "appium"})']);
  });
});

describe('devices.json files', () => {
  async function file(text: string): Promise<string> {
    const path = join(tempDir('mplab-devices-'), 'devices.json');
    await writeFile(path, text);
    return path;
  }

  it('names line, column and byte offset of a JSON syntax error', async () => {
    const path = await file('{\n  "devices": [\n    {"id": "a",, }\n  ]\n}\n');
    const { problems } = await checkDevicesFile(path);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^invalid JSON at line 3, column 16 \(byte 32\): /);
  });

  it('a missing file is one problem', async () => {
    expect((await checkDevicesFile('/nonexistent/devices.json')).problems).toEqual(['file not found']);
  });

  it('loadDevicesFile throws a UserError listing every problem', async () => {
    const path = await file(JSON.stringify({ devices: [{ id: 'a', root: 1, kernel: 'x' }] }));
    const err = await loadDevicesFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(3);
    expect((err as Error).message).toBe(
      `${path}: 2 problems\n  devices[0].root: expected true or false, got number 1\n  devices[0].kernel: expected one of "upstream", "multipath-tcp.org", "none", got the string "x"`,
    );
  });

  it('finds a phone by id or label, and says which exist when not found', async () => {
    const path = await file(JSON.stringify({ devices: [{ id: '127.0.0.1:6601', label: 'phone1', root: true, kernel: 'upstream' }] }));
    const f = await loadDevicesFile(path);
    expect(findDevice(f, 'phone1').id).toBe('127.0.0.1:6601');
    expect(findDevice(f, '127.0.0.1:6601').label).toBe('phone1');
    expect(() => findDevice(f, 'phone9')).toThrow(/no phone with id or label "phone9"; known: 127.0.0.1:6601 \(phone1\)/);
  });

  it('the repository example and the documented example are valid', async () => {
    for (const path of ['devices.json', 'framework/config/devices.example.json']) {
      const { problems } = await checkDevicesFile(path);
      expect({ path, problems }).toEqual({ path, problems: [] });
    }
  });
});
