import { createHash } from 'node:crypto';
import { fullActivity, type VirtualApp } from '../apps.js';
import { usageError, withoutUserOption, type Command, type CommandContext } from './context.js';
import { runDumpsys } from './dumpsys.js';

function apkPath(app: VirtualApp): string {
  if (app.system) {
    const name = app.label.replace(/[^A-Za-z0-9]/g, '');
    return `/system/app/${name}/${name}.apk`;
  }
  const h = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 22);
  return `/data/app/~~${h(`a${app.package}`)}==/${app.package}-${h(`b${app.package}`)}==/base.apk`;
}

function listPackages(context: CommandContext, args: readonly string[]): number {
  const flags = new Set(args.filter((a) => a.startsWith('-')));
  const filter = args.find((a) => !a.startsWith('-'));
  const lines: string[] = [];
  for (const app of [...context.system.apps.values()].sort((a, b) => a.package.localeCompare(b.package))) {
    if (flags.has('-s') && !app.system) continue;
    if (flags.has('-3') && app.system) continue;
    if (filter && !app.package.includes(filter)) continue;
    let line = flags.has('-f') ? `package:${apkPath(app)}=${app.package}` : `package:${app.package}`;
    if (flags.has('--show-versioncode')) line += ' versionCode:1';
    if (flags.has('-U')) line += ` uid:${context.system.uidOf(app.package)}`;
    lines.push(line);
  }
  context.stdout(lines.map((l) => `${l}\n`).join(''));
  return 0;
}

/** `cmd package resolve-activity [--brief] [-a ACTION] [-c CATEGORY] PACKAGE`: the package's launcher activity. */
function resolveActivity(context: CommandContext, args: readonly string[]): number {
  let pkg: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (['-a', '-c', '-d', '-t', '--components'].includes(args[i])) i++;
    else if (!args[i].startsWith('-')) pkg = args[i];
  }
  const app = pkg ? context.system.apps.get(pkg) : undefined;
  if (!app || app.noLauncher) {
    context.stdout('No activity found\n');
    return 0;
  }
  const brief = args.includes('--brief');
  const component = `${app.package}/${fullActivity(app)}`;
  context.stdout(brief ? `priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false\n${component}\n` : `Activity:\n  name=${fullActivity(app)}\n  packageName=${app.package}\n  enabled=true exported=true\n`);
  return 0;
}

/** Hardware features of the build (pm list features). */
const FEATURES = [
  'reqGlEsVersion=0x30002',
  'android.hardware.touchscreen',
  'android.hardware.touchscreen.multitouch',
  'android.hardware.wifi',
  'android.hardware.telephony',
  'android.hardware.telephony.data',
  'android.hardware.screen.portrait',
  'android.software.webview',
];

const PM_USAGE = `Package manager (package) commands:
  help
  path [--user USER_ID] PACKAGE
  list packages [-f] [-s] [-3] [-U] [--show-versioncode] [--user USER_ID] [FILTER]
  list features
  list instrumentation [TARGET-PACKAGE]
  resolve-activity [--brief] [-c CATEGORY] [-a ACTION] PACKAGE
  clear [--user USER_ID] PACKAGE
  grant [--user USER_ID] PACKAGE PERMISSION
  revoke [--user USER_ID] PACKAGE PERMISSION
`;

/** pm list packages|path|clear|grant|revoke (also reached as `cmd package`). */
export const pm: Command = async (context) => runPm(context, context.argv.slice(1));

export async function runPm(context: CommandContext, rawArgs: readonly string[]): Promise<number> {
  const [verb, ...rest] = rawArgs;
  const args = withoutUserOption(rest);
  const system = context.system;
  switch (verb) {
    case 'list':
      if (args[0] === 'packages') return listPackages(context, args.slice(1));
      if (args[0] === 'instrumentation') {
        const target = args.slice(1).find((a) => !a.startsWith('-'));
        const lines = [...context.system.instrumentations]
          .filter(([, i]) => !target || i.targetPackage === target)
          .map(([component, i]) => `instrumentation:${component} (target=${i.targetPackage})\n`);
        context.stdout(lines.join(''));
        return 0;
      }
      if (args[0] === 'features') {
        context.stdout(FEATURES.map((f) => `feature:${f}\n`).join(''));
        return 0;
      }
      return usageError(context, `Error: unknown list type '${args[0] ?? ''}'`, 255);
    case 'path': {
      const app = args[0] ? system.apps.get(args[0]) : undefined;
      if (!app) return 1;
      context.stdout(`package:${apkPath(app)}\n`);
      return 0;
    }
    case 'clear': {
      const pkg = args[0];
      if (!pkg) return usageError(context, 'Error: no package specified', 255);
      if (!(await system.clearData(pkg, context.hostRoot))) {
        context.stdout('Failed\n');
        return 1;
      }
      context.stdout('Success\n');
      return 0;
    }
    case 'grant':
    case 'revoke': {
      const [pkg, permission] = args;
      if (!pkg || !permission) return usageError(context, 'Error: no package or permission specified', 255);
      if (!system.apps.has(pkg)) return usageError(context, `Exception occurred while executing '${verb}':\njava.lang.IllegalArgumentException: Unknown package: ${pkg}`, 255);
      return 0;
    }
    case 'dump':
      return runDumpsys(context, 'package', args);
    case 'resolve-activity':
      return resolveActivity(context, args);
    case 'help':
      context.stdout(PM_USAGE);
      return 0;
    default:
      context.stderr(`${verb ? `Unknown command: ${verb}\n` : ''}${PM_USAGE}`);
      return 255;
  }
}
