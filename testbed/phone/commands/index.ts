import { am, monkey, runAm } from './activity.js';
import { appops } from './appops.js';
import type { Command, CommandContext } from './context.js';
import { dumpsys, runDumpsys } from './dumpsys.js';
import { input, uiautomator, wm } from './input.js';
import { logcat } from './logcat.js';
import { pm, runPm } from './package.js';
import { ps } from './ps.js';
import { getprop, setprop } from './props.js';
import { cmdConnectivity, cmdPhone, cmdWifi, svc } from './radio.js';
import { screencap } from './screencap.js';
import { runSettings, settings } from './settings.js';
import { reboot, su } from './su.js';

const CMD_SERVICES: Record<string, (context: CommandContext, args: readonly string[]) => Promise<number> | number> = {
  wifi: cmdWifi,
  phone: cmdPhone,
  connectivity: cmdConnectivity,
  settings: runSettings,
  package: runPm,
  activity: runAm,
  battery: (context, args) => runDumpsys(context, 'battery', args),
  input: (context, args) => input({ ...context, argv: ['input', ...args] }),
  window: (context, args) => wm({ ...context, argv: ['wm', ...args] }),
};

/** cmd [-w] SERVICE ARGS...: the binder shell commands of system services. */
const cmd: Command = async (context) => {
  let args = context.argv.slice(1);
  while (args[0] === '-w') args = args.slice(1);
  const [service, ...rest] = args;
  if (service === '-l') {
    context.stdout(`Currently running services:\n${Object.keys(CMD_SERVICES).sort().map((s) => `  ${s}\n`).join('')}`);
    return 0;
  }
  const handler = service ? CMD_SERVICES[service] : undefined;
  if (!handler) {
    context.stderr(service ? `cmd: Can't find service: ${service}\n` : 'cmd: No service specified; use -l to list all running services. Use -w to start and wait for a service.\n');
    return 20;
  }
  return handler(context, rest);
};

/** The Android commands the daemon implements; each has a wrapper in the phone's /system/bin. */
export const COMMANDS: Record<string, Command> = {
  am,
  appops,
  cmd,
  dumpsys,
  getprop,
  input,
  logcat,
  monkey,
  pm,
  ps,
  reboot,
  screencap,
  setprop,
  settings,
  su,
  svc,
  uiautomator,
  wm,
};
