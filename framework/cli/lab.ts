import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { UserError } from '../../common/errors.js';
import type { LinkChange, LinkStatus } from '../../testbed/link/emulator.js';
import { ParamError, parsePartialDirection, type DirectionParams } from '../../testbed/link/params.js';
import { readTrace, TraceError } from '../../testbed/link/trace.js';
import { labDown, labExec, labLink, labStatus, labUp, type LabStatus } from '../../testbed/lab/lab.js';
import { LabError, LINK_KINDS, MAX_PHONES, type LinkKind } from '../../testbed/lab/plan.js';
import { MODES, type MptcpMode } from '../../testbed/lab/profile.js';

/** `mplab lab up|down|status|exec|link`: the virtual lab (testbed/lab/). */
export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description('the virtual lab: phones as network namespaces with emulated WiFi and cellular links, a proxy and an origin')
    .addHelpText('after', '\nSeveral labs can run side by side: --name (or MPLAB_LAB) selects one; the default is "mplab".');

  const nameOption = (): Option => new Option('--name <lab>', 'which lab: "mplab" followed by up to 20 of [a-z0-9_] (default: $MPLAB_LAB or "mplab")');

  lab
    .command('up')
    .description('build the lab (removing what an earlier lab of this name left) and start its link daemon, origin and proxy')
    .addOption(nameOption())
    .option('--phones <n>', `number of virtual phones (1-${MAX_PHONES})`, '1')
    .option('--profile <file>', 'link profile (JSON); default testbed/profiles/default.json')
    .addOption(new Option('--mode <mode>', 'MPTCP mode of every phone (overrides the profile)').choices([...MODES]))
    .addOption(new Option('--default-route <link>', 'default route of every phone (overrides the profile)').choices([...LINK_KINDS]))
    .option('--no-proxy', 'do not start the SOCKS proxy')
    .option('--adb-port-base <port>', 'phone k\'s adb daemon listens on 127.0.0.1:(port + k); 0 = any free ports', '6600')
    .option('--no-adb-connect', 'do not attach the phones to the local adb server (`adb connect`)')
    .option('--proxy-log <file>', 'the proxy\'s connection log (default: in the lab\'s state folder, which `lab down` removes)')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { name?: string; phones: string; profile?: string; mode?: MptcpMode; defaultRoute?: LinkKind; proxy: boolean; proxyLog?: string; adbPortBase: string; adbConnect: boolean; json?: boolean }) => {
      const phones = Number(opts.phones);
      if (!Number.isInteger(phones) || phones < 1 || phones > MAX_PHONES) throw new UserError(`--phones: expected a whole number from 1 to ${MAX_PHONES}, got ${JSON.stringify(opts.phones)}`);
      const adbPortBase = Number(opts.adbPortBase);
      if (!Number.isInteger(adbPortBase) || adbPortBase < 0 || adbPortBase + phones > 65535) throw new UserError(`--adb-port-base: expected a port number (0 for any free ports), got ${JSON.stringify(opts.adbPortBase)}`);
      if (adbPortBase > 0 && adbPortBase + phones >= 5555 && adbPortBase + 1 <= 5585) throw new UserError(`--adb-port-base: ports ${adbPortBase + 1}-${adbPortBase + phones} overlap adb's emulator scan range 5555-5585`);
      const status = await userErrors(() =>
        labUp({ name: opts.name, phones, profile: opts.profile ? resolve(opts.profile) : undefined, mode: opts.mode, defaultRoute: opts.defaultRoute, proxy: opts.proxy, proxyLog: opts.proxyLog ? resolve(opts.proxyLog) : undefined, adbPortBase, adbConnect: opts.adbConnect }),
      );
      print(status, opts.json);
    });

  lab
    .command('down')
    .description('stop the lab\'s processes and delete its namespaces and state (leaves nothing, also after a crash)')
    .addOption(nameOption())
    .action(async (opts: { name?: string }) => {
      const removed = await userErrors(() => labDown(opts.name));
      process.stdout.write(`removed ${removed.namespaces.length} namespaces, stopped ${removed.processes} processes\n`);
    });

  lab
    .command('status')
    .description('show the lab: phones, addresses, links and their counters, proxy, origin')
    .addOption(nameOption())
    .option('--json', 'as JSON')
    .action(async (opts: { name?: string; json?: boolean }) => {
      const status = await userErrors(() => labStatus(opts.name));
      print(status, opts.json);
      if (!status.running) process.exitCode = 3;
    });

  lab
    .command('exec')
    .description('run a command inside a phone\'s namespace: mplab lab exec phone1 -- ip addr')
    .addOption(nameOption())
    .argument('<phone>', 'phone name, e.g. phone1')
    .argument('<command...>', 'the command and its arguments (after --)')
    .action(async (phone: string, command: string[], opts: { name?: string }) => {
      process.exitCode = await userErrors(() => labExec(opts.name, phone, command));
    });

  lab
    .command('link')
    .description('change a running link (new settings apply to the next packets; traffic keeps going)')
    .addOption(nameOption())
    .argument('<phone>', 'phone name, e.g. phone1')
    .addArgument(new Command().createArgument('<link>', 'wifi or cellular').choices([...LINK_KINDS]))
    .addOption(new Option('--direction <dir>', 'which direction the shaping options change').choices(['up', 'down', 'both']).default('both'))
    .option('--delay <ms>', 'one-way delay (ms)')
    .option('--jitter <ms>', 'delay varies within ± this (ms), without reordering')
    .option('--rate <kbit>', 'rate in kbit/s; 0 = unlimited')
    .option('--loss <pct>', 'random loss (percent)')
    .option('--burst-loss <enter,exit>', 'bursty loss (Gilbert-Elliott): percent chance to enter and to leave the lossy state per packet; "off" to remove')
    .option('--queue <packets>', 'bottleneck queue limit (packets); 0 = automatic (100 ms at the rate)')
    .option('--trace <file>', 'Mahimahi packet-delivery trace (replaces --rate); "off" to remove')
    .addOption(new Option('--down', 'outage: the link loses every packet, also those in flight').conflicts('up'))
    .addOption(new Option('--up', 'end an outage'))
    .option('--json', 'print the link\'s status as JSON')
    .action(async (phone: string, kind: LinkKind, opts: LinkOptions) => {
      const change = linkChange(opts);
      const status = await userErrors(() => labLink(opts.name, phone, kind, change));
      if (opts.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else process.stdout.write(`${describeLink(`${phone} ${kind}`, status)}\n`);
    });
}

interface LinkOptions {
  name?: string;
  direction: 'up' | 'down' | 'both';
  delay?: string;
  jitter?: string;
  rate?: string;
  loss?: string;
  burstLoss?: string;
  queue?: string;
  trace?: string;
  down?: boolean;
  up?: boolean;
  json?: boolean;
}

/** The options of `lab link` as a validated change (errors name the option and what it expects). */
export function linkChange(opts: LinkOptions): LinkChange {
  const raw: Record<string, unknown> = {};
  const num = (flag: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new UserError(`${flag}: expected a number, got ${JSON.stringify(value)}`);
    return n;
  };
  if (opts.delay !== undefined) raw.delayMs = num('--delay', opts.delay);
  if (opts.jitter !== undefined) raw.jitterMs = num('--jitter', opts.jitter);
  // 0 means none: an unlimited rate, an automatic queue
  const orNull = (n: number | undefined): number | null | undefined => (n === 0 ? null : n);
  if (opts.rate !== undefined) raw.rateKbit = orNull(num('--rate', opts.rate));
  if (opts.loss !== undefined) raw.lossPct = num('--loss', opts.loss);
  if (opts.queue !== undefined) raw.queuePackets = orNull(num('--queue', opts.queue));
  if (opts.burstLoss !== undefined) {
    if (opts.burstLoss === 'off') raw.burstLoss = null;
    else {
      const [enter, exit, ...rest] = opts.burstLoss.split(',');
      if (exit === undefined || rest.length > 0) throw new UserError(`--burst-loss: expected ENTER,EXIT (two percentages) or "off", got ${JSON.stringify(opts.burstLoss)}`);
      raw.burstLoss = { enterPct: num('--burst-loss ENTER', enter), exitPct: num('--burst-loss EXIT', exit) };
    }
  }
  if (opts.trace !== undefined) {
    if (opts.trace === 'off') raw.trace = null;
    else {
      raw.trace = resolve(opts.trace);
      try {
        readTrace(raw.trace as string);
      } catch (err) {
        if (err instanceof TraceError) throw new UserError(`--trace: ${err.message}`);
        throw err;
      }
    }
  }
  let params: Partial<DirectionParams>;
  try {
    params = parsePartialDirection(raw, { file: 'mplab lab link', field: 'options' });
  } catch (err) {
    if (err instanceof ParamError) throw new UserError(err.message);
    throw err;
  }
  const change: LinkChange = {};
  if (Object.keys(params).length > 0) {
    if (opts.direction !== 'down') change.up = params;
    if (opts.direction !== 'up') change.down = params;
  }
  if (opts.down) change.outage = true;
  if (opts.up) change.outage = false;
  if (change.up === undefined && change.down === undefined && change.outage === undefined) {
    throw new UserError('lab link: nothing to change; give --delay, --jitter, --rate, --loss, --burst-loss, --queue, --trace, --down or --up');
  }
  return change;
}

async function userErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ParamError || err instanceof TraceError || err instanceof LabError) throw new UserError(err.message);
    throw err;
  }
}

function shaping(p: DirectionParams): string {
  const parts = [`${p.delayMs} ms`];
  if (p.jitterMs) parts.push(`±${p.jitterMs} ms`);
  parts.push(p.trace ? `trace ${p.trace}` : p.rateKbit === null ? 'unlimited' : `${p.rateKbit} kbit/s`);
  if (p.lossPct) parts.push(`loss ${p.lossPct}%`);
  if (p.burstLoss) parts.push(`bursts ${p.burstLoss.enterPct}%/${p.burstLoss.exitPct}%`);
  if (p.queuePackets !== null) parts.push(`queue ${p.queuePackets}`);
  return parts.join(', ');
}

function describeLink(label: string, link: LinkStatus | null): string {
  if (!link) return `  ${label}: (link daemon not answering)`;
  const counts = (d: LinkStatus['up']): string => {
    const dropped = d.counters.dropped;
    return `${d.counters.delivered} pkts, dropped ${dropped.loss} loss / ${dropped.queue} queue / ${dropped.outage} outage`;
  };
  return [
    `  ${label}${link.outage ? ' [OUTAGE]' : ''}`,
    `    up:   ${shaping(link.up.params)}  (${counts(link.up)})`,
    `    down: ${shaping(link.down.params)}  (${counts(link.down)})`,
  ].join('\n');
}

function print(status: LabStatus, json?: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return;
  }
  const lines = [`lab ${status.name}: ${status.running ? 'running' : status.phones.length ? 'NOT HEALTHY' : 'not up'}${status.profile ? ` (profile ${status.profile})` : ''}`];
  for (const phone of status.phones) {
    lines.push(`${phone.name} (netns ${phone.netns}, mode ${phone.mode}, default route ${phone.defaultRoute}, adb ${phone.adb ?? '-'})`);
    lines.push(describeLink(`wifi ${phone.wifi.iface} ${phone.wifi.ip}`, phone.wifi.link));
    lines.push(describeLink(`cellular ${phone.cellular.iface} ${phone.cellular.ip}`, phone.cellular.link));
  }
  if (status.phones.length) {
    lines.push(`proxy: socks ${status.proxy.socks} in ${status.proxy.netns}${status.proxy.running ? '' : ' (not running)'}${status.proxy.log ? `, log ${status.proxy.log}` : ''}`);
    lines.push(`origin: http ${status.origin.http}, ${status.origin.https}, messaging ${status.origin.messaging} in ${status.origin.netns}${status.origin.running ? '' : ' (not running)'}`);
    lines.push(`state: ${status.stateDir}`);
  }
  for (const problem of status.problems) lines.push(`problem: ${problem}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
