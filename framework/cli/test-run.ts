import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { UserError } from '../../common/errors.js';
import { REPO_ROOT } from '../../common/paths.js';
import { findScenario, SCENARIOS } from '../../scenarios/index.js';
import type { ParamValue, ScenarioDefinition } from '../../scenarios/kit/scenario.js';
import { adbServerCapabilities, devicesFilePath, findDevice, loadDevicesFile, sessionUrlOf } from '../config/devices-file.js';
import { Device } from '../devices/device.js';
import { MPTCP_MODES, type MptcpMode } from '../devices/mptcp-commands.js';
import { parseChange, type ChangeRequest } from '../runner/network-changes.js';
import { NETWORK_NAMES, type NetworkName } from '../runner/phone-setup.js';
import { dumpScreen, formatScreen, parseWindowDump } from '../runner/screen-inspect.js';
import type { StepEvent } from '../runner/steps.js';
import { DEFAULT_CAP_SECONDS, runTest } from '../runner/test-run.js';
import { toUserError } from './devices.js';

/**
 * `mplab run <scenario> --phone ID ...`: one test end to end; `mplab scenarios list`; `mplab
 * scenario inspect --phone ID`. Exit statuses of run: 0 passed, 1 failed (the scenario), 6 error
 * (the infrastructure: phone, Appium, captures, analysis), 2 usage, 3 devices.json invalid.
 */
export const RUN_EXIT = { passed: 0, failed: 1, usage: 2, error: 6 } as const;

interface RunCliOptions {
  phone: string;
  mode: MptcpMode;
  net: NetworkName;
  defaultRoute: 'wifi' | 'cellular';
  out?: string;
  appium?: string;
  param: string[];
  change: ChangeRequest[];
  cap: number;
  captureIface?: string;
  captureNetns?: string;
  proxyLog?: string;
  devices?: string;
  json?: boolean;
}

function stamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** `--param name=value`, typed by the parameter's default. */
export function parseParams(scenario: ScenarioDefinition, pairs: readonly string[]): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq) : '';
    const spec = scenario.params[name];
    if (!spec) {
      const known = Object.keys(scenario.params);
      throw new UserError(`--param ${JSON.stringify(pair)}: scenario ${scenario.name} takes ${known.length ? known.map((k) => `${k}=...`).join(', ') : 'no parameters'}`, 2);
    }
    const text = pair.slice(eq + 1);
    if (typeof spec.default === 'number') {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) throw new UserError(`--param ${name}: expected a number, got ${JSON.stringify(text)}`, 2);
      params[name] = n;
    } else if (typeof spec.default === 'boolean') {
      if (text !== 'true' && text !== 'false') throw new UserError(`--param ${name}: expected true or false, got ${JSON.stringify(text)}`, 2);
      params[name] = text === 'true';
    } else {
      params[name] = text;
    }
  }
  return params;
}

function positiveSeconds(text: string): number {
  const n = Number(text);
  if (!(n > 0)) throw new InvalidArgumentError('expected a number of seconds above 0');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function collectChange(value: string, previous: ChangeRequest[]): ChangeRequest[] {
  const change = parseChange(value);
  if (typeof change === 'string') throw new InvalidArgumentError(change);
  return [...previous, change];
}

function stepPrinter(stream: NodeJS.WriteStream): (event: StepEvent) => void {
  return (e) => {
    const head = `[${e.index}/${e.total}] ${e.name}`;
    if (e.state === 'start') {
      if (stream.isTTY) stream.write(`${head} ...`);
      return;
    }
    const tail = `${e.state === 'ok' ? 'ok' : 'FAILED'} (${(e.seconds ?? 0).toFixed(1)} s)${e.detail ? `: ${e.detail}` : ''}`;
    stream.write(stream.isTTY ? `\r${head} ${tail}\n` : `${head} ${tail}\n`);
  };
}

function scenarioNames(): string {
  return SCENARIOS.map((s) => s.name).join(', ') || 'none';
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run one app scenario on a phone end to end: network and mode, captures, Appium, analysis')
    .argument('<scenario>', `the scenario (mplab scenarios list): ${scenarioNames()}`)
    .requiredOption('--phone <id>', 'id or label of the phone in devices.json')
    .addOption(new Option('--mode <mode>', 'MPTCP mode for the test').choices([...MPTCP_MODES]).default('mptcp'))
    .addOption(new Option('--net <net>', 'networks on during the test').choices([...NETWORK_NAMES]).default('both'))
    .addOption(new Option('--default-route <iface>', 'default route with both networks (root)').choices(['wifi', 'cellular']).default('wifi'))
    .option('--out <dir>', 'the test\'s folder (default runs/<time>-<scenario>-<phone>-<mode>-<net>/)')
    .option('--appium <url>', 'use this Appium server (or Selenium Grid) instead of starting one')
    .option('--param <name=value>', 'a scenario parameter (repeatable; mplab scenarios list shows them)', collect, [])
    .option('--change <seconds:change>', 'a network change during the scenario: wifi-down, wifi-up, cellular-down, cellular-up (repeatable)', collectChange, [])
    .option('--cap <seconds>', 'the scenario\'s time cap', positiveSeconds, DEFAULT_CAP_SECONDS)
    .option('--capture-iface <iface>', 'a phone outside the lab: capture on this interface of this host, where its proxy runs')
    .option('--capture-netns <netns>', 'with --capture-iface: the interface is in this network namespace')
    .option('--proxy-log <file>', 'with --capture-iface: the proxy\'s connection log, joined by the analyzer')
    .option('--devices <file>', 'devices.json to use (default: $MPLAB_DEVICES or ./devices.json)')
    .option('--json', 'print result.json on stdout')
    .action(async (name: string, opts: RunCliOptions) => {
      const scenario = findScenario(name);
      if (!scenario) throw new UserError(`no scenario ${JSON.stringify(name)}; there are: ${scenarioNames()}`, 2);
      const params = parseParams(scenario, opts.param);
      const file = await loadDevicesFile(devicesFilePath(opts.devices));
      const device = findDevice(file, opts.phone);
      if (opts.captureNetns && !opts.captureIface) throw new UserError('--capture-netns needs --capture-iface', 2);
      const dir = path.resolve(opts.out ?? path.join(REPO_ROOT, 'runs', `${stamp()}-${scenario.name}-${device.label}-${opts.mode}-${opts.net}`.replace(/[^A-Za-z0-9_.-]/g, '_')));
      const { withAppium } = await import('../runner/appium-use.js');
      // --appium, else the Grid or the phone's host's Appium server of devices.json, else one started here
      const serverUrl = opts.appium ?? sessionUrlOf(file, device) ?? undefined;
      const result = await withAppium({ url: serverUrl, logFile: path.join(dir, 'appium.log') }, (appiumUrl) =>
        runTest({
          appiumLog: serverUrl ? undefined : 'appium.log',
          capabilities: serverUrl ? undefined : adbServerCapabilities(device),
          scenario,
          device,
          mode: opts.mode,
          net: opts.net,
          defaultRoute: opts.defaultRoute,
          params,
          dir,
          appiumUrl,
          capSeconds: opts.cap,
          changes: opts.change,
          proxyCapture: opts.captureIface ? { iface: opts.captureIface, netns: opts.captureNetns, log: opts.proxyLog } : undefined,
          onStep: stepPrinter(process.stderr),
        }),
      );
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(`${result.verdict}${result.reason ? `: ${result.reason}` : ''}\n${path.relative(process.cwd(), dir) || '.'}/result.json\n`);
      process.exitCode = result.verdict === 'passed' ? RUN_EXIT.passed : result.verdict === 'failed' ? RUN_EXIT.failed : RUN_EXIT.error;
    });

  program
    .command('scenarios')
    .description('the app scenarios')
    .command('list')
    .description('every scenario: its app, what it does, its parameters')
    .option('--json', 'JSON on stdout')
    .action((opts: { json?: boolean }) => {
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(SCENARIOS.map((s) => ({ name: s.name, app: s.app, description: s.description, params: s.params, selectorsFrom: s.selectorsFrom })), null, 2)}\n`);
        return;
      }
      for (const s of SCENARIOS) {
        process.stdout.write(`${s.name.padEnd(12)} ${s.app.label} (${s.app.package})\n${' '.repeat(13)}${s.description}\n`);
        for (const [k, p] of Object.entries(s.params)) process.stdout.write(`${' '.repeat(13)}--param ${k}=${String(p.default)}  ${p.description}\n`);
      }
    });

  program
    .command('scenario')
    .description('help for writing scenarios')
    .command('inspect')
    .description('the views on a phone\'s screen now that a selector can name (resource ids, texts, descriptions)')
    .requiredOption('--phone <id>', 'id or label of the phone in devices.json')
    .option('--all', 'every view, also those without id, text or description')
    .option('--xml', 'the window dump as it is')
    .option('--devices <file>', 'devices.json to use (default: $MPLAB_DEVICES or ./devices.json)')
    .action(async (opts: { phone: string; all?: boolean; xml?: boolean; devices?: string }) => {
      const file = await loadDevicesFile(devicesFilePath(opts.devices));
      const device = new Device(findDevice(file, opts.phone));
      try {
        const xml = await dumpScreen(device);
        process.stdout.write(opts.xml ? `${xml}\n` : `${formatScreen(parseWindowDump(xml), opts.all)}\n`);
      } catch (err) {
        throw toUserError(err);
      }
    });
}
