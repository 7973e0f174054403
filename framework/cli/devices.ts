import { Command, Option } from 'commander';
import { UserError } from '../../common/errors.js';
import { checkDevicesFile, devicesFilePath, findDevice, hostsWithPhones, invalidDevicesFile, loadDevicesFile, DEFAULT_ADB_SERVER, INVALID_DEVICES_FILE_EXIT } from '../config/devices-file.js';
import { allHealthy, formatHostReports, probeGrid, probeHost } from '../devices/host-check.js';
import { AdbFailError, AdbkitFailError, AdbTimeoutError } from '../devices/adb-server.js';
import { resetApp } from '../devices/app.js';
import { checkCaptureName, pullPhoneCapture, startPhoneCapture, stopPhoneCapture } from '../devices/capture.js';
import { Device, adbServer } from '../devices/device.js';
import { PhoneOpError } from '../devices/errors.js';
import { applyMptcpMode, describeMptcp, readMptcpState } from '../devices/mptcp.js';
import { MPTCP_MODES, checkKernelNames, type MptcpMode } from '../devices/mptcp-commands.js';
import { applyCellularType, CELLULAR_TYPES, type CellularType } from '../devices/cellular-type.js';
import { applyNet, type NetRequest } from '../devices/network.js';
import { DeviceGoneError } from '../devices/recovery.js';
import { ShellCutError, ShellExitError, ShellTimeoutError } from '../devices/shell.js';
import { takeSnapshot } from '../devices/snapshot.js';
import { formatStatus, readStatus } from '../devices/status.js';

/**
 * `mplab devices check|list` and `mplab device <id> <action>`. Exit statuses: 0 done, 1 the
 * operation failed on the phone, 2 usage, 3 devices.json invalid or missing, 4 phone or adb
 * server unreachable, 5 the phone cannot do it (no root, no MPTCP, wrong kernel).
 */
export const EXIT = { failed: 1, usage: 2, config: INVALID_DEVICES_FILE_EXIT, gone: 4, cannot: 5 } as const;

const devicesOption = (): Option => new Option('--devices <file>', 'devices.json to use (default: $MPLAB_DEVICES or ./devices.json)');

/** Device-layer errors become one-line UserErrors with an exit status that says what kind of failure it was. */
export function toUserError(err: unknown): unknown {
  if (err instanceof UserError) return err;
  if (err instanceof DeviceGoneError) return new UserError(err.message, EXIT.gone);
  if (err instanceof PhoneOpError) return new UserError(err.message, EXIT[err.kind]);
  // a command that outlived its timeout on a phone that still answers is a failed command, not a lost phone
  if (err instanceof ShellExitError || err instanceof ShellTimeoutError) return new UserError(err.message, EXIT.failed);
  if (err instanceof ShellCutError || err instanceof AdbTimeoutError || err instanceof AdbFailError) {
    return new UserError(err.message, EXIT.gone);
  }
  // adbkit's sync and host commands: the device or server said no (no such file, permission denied)
  if (err instanceof AdbkitFailError) return new UserError(err.message, EXIT.failed);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') return new UserError((err as Error).message, EXIT.failed);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') {
    return new UserError(`adb server not reachable: ${(err as Error).message}`, EXIT.gone);
  }
  return err;
}

function guarded<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      throw toUserError(err);
    }
  };
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function json(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/** A positive number of seconds from an option, or a usage error that names it. */
function seconds(option: string, text: string): number {
  const value = Number(text);
  if (!(value > 0)) throw new UserError(`${option} ${text}: expected a number of seconds above 0`, 2);
  return value;
}

const onOff = (flag: string, what: string): Option => new Option(flag, what).choices(['on', 'off']);

export function registerDevices(program: Command): void {
  const devices = program.command('devices').description('phones in devices.json and on the adb servers');

  devices
    .command('check')
    .description('validate devices.json (every problem with its path), then probe each host: reachability, adb server, Appium, Grid, phones')
    .addOption(devicesOption())
    .option('--no-probe', 'validate only; contact no host')
    .option('--json', 'the hosts report as JSON on stdout')
    .action(
      guarded(async (opts: { devices?: string; probe: boolean; json?: boolean }) => {
        const path = devicesFilePath(opts.devices);
        const checked = await checkDevicesFile(path);
        const list = checked.devices;
        if (checked.problems.length) throw invalidDevicesFile(path, checked.problems);
        const valid = `${path}: valid, ${list.length} phone${list.length === 1 ? '' : 's'}${list.length ? `: ${list.map((d) => d.label).join(', ')}` : ''}`;
        if (!opts.probe) return opts.json ? json({ file: path, valid: true }) : print(valid);
        const hosts = await Promise.all(hostsWithPhones(checked).map((h) => probeHost(h)));
        const grid = checked.grid ? await probeGrid(checked.grid) : null;
        const healthy = allHealthy(hosts, grid);
        if (opts.json) json({ file: path, valid: true, healthy, hosts, grid });
        else print(`${valid}\n${formatHostReports(hosts, grid)}`);
        // a host, server or phone that does not answer: as a phone that cannot be reached
        if (!healthy) process.exitCode = EXIT.gone;
      }),
    );

  devices
    .command('list')
    .description('phones the adb servers see (state: device, offline, unauthorized, ...) and whether devices.json knows them')
    .addOption(devicesOption())
    .option('--json', 'JSON on stdout')
    .action(
      guarded(async (opts: { devices?: string; json?: boolean }) => {
        const rows = await listDevices(opts.devices);
        if (opts.json) return json(rows);
        if (rows.length === 0) return print('no phones: the adb server sees none and devices.json lists none');
        const table = [['SERIAL', 'STATE', 'ADB SERVER', 'DEVICES.JSON'], ...rows.map((r) => [r.serial, r.state, r.adbServer, r.known ? r.label ?? '' : '-'])];
        const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
        print(table.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n'));
      }),
    );

  const device = program
    .command('device')
    .description('act on one phone of devices.json: status, net, mptcp, reset, snapshot, capture, shell, push, pull')
    .argument('<id>', 'id or label of the phone in devices.json')
    .argument('[action...]', 'what to do, and its options (see below)')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (id: string, rest: string[]) => {
      if (id === '-h' || id === '--help') {
        device.outputHelp();
        return;
      }
      const sub = deviceProgram(id);
      if (rest.length === 0) {
        sub.outputHelp({ error: true });
        throw new UserError(`mplab device ${id}: which action? (${sub.commands.map((c) => c.name()).join(', ')})`, 2);
      }
      await sub.parseAsync(rest, { from: 'user' });
    });
  device.addHelpText(
    'after',
    `\nActions (\`mplab device <id> <action> --help\` for each):\n${deviceProgram('<id>')
      .commands.map((c) => `  ${c.name().padEnd(9)} ${c.description()}`)
      .join('\n')}`,
  );
}

export interface ListRow {
  serial: string;
  state: string;
  adbServer: string;
  known: boolean;
  label: string | null;
}

export async function listDevices(devicesOpt?: string): Promise<ListRow[]> {
  const path = devicesFilePath(devicesOpt);
  const checked = await checkDevicesFile(path);
  const missing = checked.problems.length === 1 && checked.problems[0] === 'file not found';
  if (checked.problems.length && !missing) throw invalidDevicesFile(path, checked.problems);
  const configs = checked.devices;
  const addresses = [...new Set([DEFAULT_ADB_SERVER, ...configs.map((d) => d.adbServer)])];
  const rows: ListRow[] = [];
  for (const address of addresses) {
    let entries: Array<{ serial: string; state: string }>;
    try {
      entries = await adbServer(address).list();
    } catch (err) {
      // the default server is listed only when it answers; a server devices.json names shows its phones as unreachable
      for (const d of configs.filter((c) => c.adbServer === address)) {
        rows.push({ serial: d.id, state: `adb server unreachable (${(err as Error).message})`, adbServer: address, known: true, label: d.label });
      }
      continue;
    }
    for (const e of entries) {
      const cfg = configs.find((d) => d.id === e.serial && d.adbServer === address);
      rows.push({ serial: e.serial, state: e.state, adbServer: address, known: Boolean(cfg), label: cfg?.label ?? null });
    }
    for (const d of configs.filter((c) => c.adbServer === address && !entries.some((e) => e.serial === c.id))) {
      rows.push({ serial: d.id, state: 'absent', adbServer: address, known: true, label: d.label });
    }
  }
  return rows;
}

interface DeviceOpts {
  devices?: string;
  shellProtocol?: 'auto' | 'v2' | 'legacy';
  wait: string;
}

function commonOptions(cmd: Command): Command {
  return cmd
    .addOption(devicesOption())
    .addOption(new Option('--shell-protocol <p>', 'adb shell protocol: v2 when the phone has it, or force one').choices(['auto', 'v2', 'legacy']).default('auto'))
    .option('--wait <seconds>', 'how long to wait for a phone that is offline or gone before giving up', '60');
}

/** The actions of `mplab device <id>`, as a program of their own so that each has its --help. */
function deviceProgram(id: string): Command {
  const sub = new Command(`mplab device ${id}`).exitOverride().showHelpAfterError().enablePositionalOptions();
  const open = async (opts: DeviceOpts): Promise<Device> => {
    const file = await loadDevicesFile(devicesFilePath(opts.devices));
    const config = findDevice(file, id);
    const wait = seconds('--wait', opts.wait);
    const device = new Device(config, { shellProtocol: opts.shellProtocol ?? 'auto', recovery: { offlineWaitMs: wait * 1000 } });
    await device.ensureReady();
    return device;
  };

  commonOptions(sub.command('status').description('Android version, boot, battery, screen, WiFi and data, addresses, default route, MPTCP, root'))
    .option('--json', 'JSON on stdout')
    .action(
      guarded(async (opts: DeviceOpts & { json?: boolean }) => {
        const st = await readStatus(await open(opts));
        if (opts.json) json(st);
        else print(formatStatus(st));
      }),
    );

  commonOptions(sub.command('net').description('WiFi, mobile data, airplane mode, default route; waits until the change shows'))
    .addOption(onOff('--wifi <state>', 'WiFi'))
    .addOption(onOff('--data <state>', 'mobile data (keeps it up alongside WiFi)'))
    .addOption(onOff('--airplane <state>', 'airplane mode'))
    .addOption(new Option('--default <iface>', 'interface of the default route (root: policy routes)').choices(['wifi', 'cellular']))
    .addOption(new Option('--cellular-type <type>', 'cellular technology: allowed network types (SDK 31+) or preferred network mode').choices([...CELLULAR_TYPES]))
    .option('--timeout <seconds>', 'how long to wait for the change to take effect', '30')
    .option('--json', 'JSON on stdout')
    .action(
      guarded(async (opts: DeviceOpts & NetRequest & { cellularType?: CellularType; timeout: string; json?: boolean }) => {
        const timeout = seconds('--timeout', opts.timeout);
        const device = await open(opts);
        const technology = opts.cellularType
          ? await applyCellularType(device, opts.cellularType, async (on) => {
              await applyNet(device, { airplane: on ? 'on' : 'off', timeoutMs: timeout * 1000 });
            })
          : [];
        const r = await applyNet(device, { wifi: opts.wifi, data: opts.data, airplane: opts.airplane, default: opts.default, timeoutMs: timeout * 1000 });
        const actions = [...technology, ...r.actions];
        if (opts.json) json({ actions, waitedMs: r.waitedMs, state: r.state, cellularType: opts.cellularType ?? null });
        else print(`${actions.length ? `done: ${actions.join('; ')}` : 'done: nothing, the phone was already so (radios, policy routes, default route)'}\nnow: ${r.summary}${opts.cellularType ? `; cellular ${opts.cellularType}` : ''}`);
      }),
    );

  commonOptions(sub.command('mptcp').description(`MPTCP mode (${MPTCP_MODES.join(', ')}) or, without a mode, the current state`))
    .argument('[mode]', `one of ${MPTCP_MODES.join(', ')}`)
    .option('--scheduler <name>', 'packet scheduler (upstream: net.mptcp.scheduler; multipath-tcp.org: mptcp_scheduler)')
    .option('--path-manager <name>', 'path manager (upstream: kernel|userspace; multipath-tcp.org: default|fullmesh|ndiffports|binder)')
    .option('--json', 'JSON on stdout')
    .action(
      guarded(async (mode: string | undefined, opts: DeviceOpts & { scheduler?: string; pathManager?: string; json?: boolean }) => {
        if (mode !== undefined && !(MPTCP_MODES as readonly string[]).includes(mode)) {
          throw new UserError(`mode ${JSON.stringify(mode)}: expected one of ${MPTCP_MODES.join(', ')}`, 2);
        }
        checkKernelNames(opts);
        const device = await open(opts);
        if (mode === undefined) {
          const state = await readMptcpState(device);
          return opts.json ? json(state) : print(describeMptcp(state));
        }
        const r = await applyMptcpMode(device, mode as MptcpMode, { scheduler: opts.scheduler, pathManager: opts.pathManager });
        if (opts.json) json({ mode, commands: r.plan.commands, state: r.state });
        else print(r.summary);
      }),
    );

  commonOptions(sub.command('reset').description('force-stop an app and clear its data'))
    .argument('<package>', 'Android package name')
    .action(
      guarded(async (pkg: string, opts: DeviceOpts) => {
        const done = await resetApp(await open(opts), pkg);
        print(`reset ${pkg}: ${done.join('; ')}`);
      }),
    );

  commonOptions(sub.command('snapshot').description('ip addr/rule/route, MPTCP state, nstat counters, dumpsys connectivity/wifi/telephony, getprop'))
    .requiredOption('--out <dir>', 'directory for the snapshot files')
    .action(
      guarded(async (opts: DeviceOpts & { out: string }) => {
        const { dir, records } = await takeSnapshot(await open(opts), opts.out);
        const failed = records.filter((r) => r.exitCode !== 0);
        print(`snapshot in ${dir}: ${records.length} files${failed.length ? `; failed: ${failed.map((r) => `${r.file} (${r.error ?? `exit ${r.exitCode}`})`).join(', ')}` : ''}`);
      }),
    );

  const capture = sub.command('capture').description('tcpdump on the phone (root): start, stop, pull');
  commonOptions(capture.command('start').description('start tcpdump on the phone (refused when devices.json says "capture": {"onPhone": false}, unless --force)'))
    .option('--name <name>', 'capture name (default mplab-<time>)')
    .option('--force', 'capture even though devices.json says "onPhone": false')
    .action(
      guarded(async (opts: DeviceOpts & { name?: string; force?: boolean }) => {
        if (opts.name !== undefined) checkCaptureName(opts.name);
        const c = await startPhoneCapture(await open(opts), opts.name, { force: opts.force });
        print(`capture ${c.name} running on the phone (pid ${c.pid}, ${c.pcap})`);
      }),
    );
  commonOptions(capture.command('stop').description('stop a capture and print its counters'))
    .requiredOption('--name <name>', 'capture name')
    .option('--json', 'JSON on stdout')
    .action(
      guarded(async (opts: DeviceOpts & { name: string; json?: boolean }) => {
        checkCaptureName(opts.name);
        const s = await stopPhoneCapture(await open(opts), opts.name);
        if (opts.json) json(s);
        else print(`capture ${s.name} stopped: ${s.captured ?? '?'} packets captured, ${s.droppedByKernel ?? '?'} dropped by the kernel, ${s.bytes ?? '?'} bytes in ${s.pcap}`);
      }),
    );
  commonOptions(capture.command('pull').description('copy a capture file from the phone'))
    .requiredOption('--name <name>', 'capture name')
    .requiredOption('--out <dir>', 'local directory')
    .action(
      guarded(async (opts: DeviceOpts & { name: string; out: string }) => {
        checkCaptureName(opts.name);
        const r = await pullPhoneCapture(await open(opts), opts.name, opts.out);
        print(`pulled ${r.bytes} bytes to ${r.file}`);
      }),
    );

  commonOptions(sub.command('shell').description("run one command on the phone (each argument quoted); exits with the command's status"))
    .argument('<argv...>', 'command and arguments (options of the command after it, or after --)')
    .option('--timeout <seconds>', 'how long the command may run before it is abandoned (a timed-out command is not repeated)', '30')
    .option('--root', 'run as root')
    .passThroughOptions()
    .action(
      guarded(async (argv: string[], opts: DeviceOpts & { timeout: string; root?: boolean }) => {
        const timeout = seconds('--timeout', opts.timeout);
        const device = await open(opts);
        const run = { timeoutMs: timeout * 1000, repeatable: false };
        const r = opts.root ? await device.rootShell(argv, run) : await device.shell(argv, run);
        process.stdout.write(r.stdout);
        process.stderr.write(r.stderr);
        process.exitCode = r.exitCode;
      }),
    );

  commonOptions(sub.command('push').description('copy a local file to the phone (adb sync)'))
    .argument('<local>')
    .argument('<remote>')
    .action(
      guarded(async (local: string, remote: string, opts: DeviceOpts) => {
        const bytes = await (await open(opts)).push(local, remote);
        print(`pushed ${bytes} bytes to ${remote}`);
      }),
    );
  commonOptions(sub.command('pull').description('copy a file from the phone (adb sync)'))
    .argument('<remote>')
    .argument('<local>')
    .action(
      guarded(async (remote: string, local: string, opts: DeviceOpts) => {
        const bytes = await (await open(opts)).pull(remote, local);
        print(`pulled ${bytes} bytes to ${local}`);
      }),
    );

  for (const c of [sub, ...sub.commands, ...capture.commands]) c.exitOverride();
  return sub;
}
