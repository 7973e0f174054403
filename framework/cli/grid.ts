import type { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { rootLogger } from '../../common/log.js';
import { devicesFilePath, hostsWithPhones, loadDevicesFile } from '../config/devices-file.js';
import { gridDown, gridStatus, gridUp, GRID_EXIT } from '../grid/grid.js';
import { relayNodeToml } from '../grid/node-config.js';
import { splitHostPort } from '../config/validate.js';

/** `mplab grid up|down|status|toml`: a Selenium Grid 4 hub and a relay node per phone host of devices.json. */
export function registerGrid(program: Command): void {
  const grid = program.command('grid').description('Selenium Grid 4: a hub and a relay node per phone host of devices.json (sessions routed by appium:udid)');
  const common = (cmd: Command) => cmd.option('--devices <file>', 'devices.json to use (default: $MPLAB_DEVICES or ./devices.json)').option('--name <name>', 'name of this grid (its state folder)', 'mplab');
  const print = (text: string): void => {
    process.stdout.write(`${text}\n`);
  };

  common(grid.command('up'))
    .description('start the hub at devices.json\'s grid.url and one relay node per host; waits until the Grid offers every phone')
    .option('--appium', 'also start the Appium server of each host whose "appium" URL is on loopback and does not answer (its adb server from the host)')
    .option('--json', 'JSON on stdout')
    .action(async (opts: { devices?: string; name: string; appium?: boolean; json?: boolean }) => {
      const devices = await loadDevicesFile(devicesFilePath(opts.devices));
      const { state, report } = await gridUp({ devices, name: opts.name, startAppium: Boolean(opts.appium), log: rootLogger().child({ grid: opts.name }) });
      if (opts.json) return print(JSON.stringify({ state, report }, null, 2));
      print(`grid ${opts.name} up at ${state.url} (hub pid ${state.hub.pid})`);
      for (const n of state.nodes) print(`  node ${n.host} ${n.url} (pid ${n.pid}): ${n.udids.join(', ')}`);
      for (const a of state.appium) print(`  appium ${a.host} ${a.url} (pid ${a.pid})`);
    });

  common(grid.command('down'))
    .description('stop what grid up started (nodes, hub, Appium servers)')
    .action(async (opts: { name: string }) => {
      const { stopped, found } = await gridDown(opts.name);
      print(found ? `grid ${opts.name} down: ${stopped} process${stopped === 1 ? '' : 'es'} stopped` : `no grid ${opts.name} was up`);
    });

  common(grid.command('status'))
    .description('the hub\'s status: its nodes and which phones (appium:udid) each offers; the processes grid up started')
    .option('--json', 'JSON on stdout')
    .action(async (opts: { devices?: string; name: string; json?: boolean }) => {
      const devices = await loadDevicesFile(devicesFilePath(opts.devices));
      const st = await gridStatus(opts.name, devices);
      if (opts.json) print(JSON.stringify(st, null, 2));
      else {
        print(`grid ${st.url}: ${st.report.ok ? 'ok' : 'DOWN'} ${st.report.text}`);
        for (const u of st.report.udids) print(`  ${u.udid}: node ${u.node} (${u.availability})`);
        for (const p of st.processes ?? []) print(`  ${p.role}: pid ${p.pid} ${p.running ? 'running' : 'NOT RUNNING'} (log ${p.log})`);
      }
      if (!st.report.ok || st.processes?.some((p) => !p.running)) process.exitCode = GRID_EXIT.gone;
    });

  common(grid.command('toml'))
    .description('print the relay node TOML of a phone host (to run on that host: java -jar selenium-server-4.x.jar node --config node.toml)')
    .argument('<host>', 'host name in devices.json')
    .option('--node-host <address>', 'the address the hub reaches the node at (default: the host of its adbServer)')
    .option('--node-port <port>', 'the node\'s port', '5555')
    .action(async (hostName: string, opts: { devices?: string; nodeHost?: string; nodePort: string }) => {
      const devices = await loadDevicesFile(devicesFilePath(opts.devices));
      const entry = hostsWithPhones(devices).find((h) => h.declared && h.host.name === hostName);
      if (!entry) throw new UserError(`${devices.path}: no host ${JSON.stringify(hostName)} in "hosts"`, 2);
      if (!devices.grid) throw new UserError(`${devices.path}: no "grid": the node registers with the hub at grid.url`, 3);
      const hub = new URL(devices.grid.url);
      print(
        relayNodeToml({
          host: opts.nodeHost ?? splitHostPort(entry.host.adbServer).host,
          port: Number(opts.nodePort),
          hub: { host: hub.hostname, port: Number(hub.port || 4444), publishPort: devices.grid.publishPort, subscribePort: devices.grid.subscribePort },
          phoneHost: entry.host,
          udids: entry.phones.map((p) => p.id),
        }),
      );
    });
}
