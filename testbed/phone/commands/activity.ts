import { LAUNCHER, fullActivity, shortComponent } from '../apps.js';
import { usageError, withoutUserOption, type Command, type CommandContext } from './context.js';

interface Intent {
  component?: string;
  action?: string;
  data?: string;
  categories: string[];
  wait: boolean;
  stopFirst: boolean;
}

/** Options of `am start` that take a value (the extras' forms take two: key and value). */
const ONE_VALUE = new Set(['-a', '-d', '-t', '-c', '-n', '-f', '-p', '--user', '--display', '--windowingMode', '--activityType', '-P', '--start-profiler', '--sampling', '-R']);
const TWO_VALUES = new Set(['-e', '--es', '--ei', '--ez', '--el', '--ef', '--eu', '--ecn', '--eia', '--ela', '--efa', '--esa', '--esn']);

export function parseIntent(args: readonly string[]): Intent | string {
  const intent: Intent = { categories: [], wait: false, stopFirst: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-W') intent.wait = true;
    else if (a === '-S') intent.stopFirst = true;
    else if (a === '-D' || a === '-N' || a === '--activity-clear-task' || a === '--activity-new-task' || a.startsWith('--activity-') || a === '--receiver-foreground') continue;
    else if (TWO_VALUES.has(a)) i += 2;
    else if (ONE_VALUE.has(a)) {
      const v = args[++i];
      if (v === undefined) return `Error: option ${a} requires an argument`;
      if (a === '-n') intent.component = v;
      else if (a === '-a') intent.action = v;
      else if (a === '-d') intent.data = v;
      else if (a === '-c') intent.categories.push(v);
    } else if (a.startsWith('-')) return `Error: Unknown option: ${a}`;
    else if (!intent.component && /^[\w.]+\/[\w.$]+$/.test(a)) intent.component = a;
    else if (!intent.data) intent.data = a;
  }
  return intent;
}

function describe(intent: Intent): string {
  const parts: string[] = [];
  if (intent.action) parts.push(`act=${intent.action}`);
  if (intent.categories.length) parts.push(`cat=[${intent.categories.join(',')}]`);
  if (intent.data) parts.push(`dat=${intent.data.replace(/^([a-z]+:\/\/[^/]*).*/i, '$1/...')}`);
  if (intent.component) parts.push(`cmp=${intent.component}`);
  return `Intent { ${parts.join(' ')} }`;
}

/** Which package and activity an intent resolves to on this phone. */
function resolve(context: CommandContext, intent: Intent): { pkg: string; activity?: string } | undefined {
  if (intent.component) {
    const [pkg, cls] = intent.component.split('/');
    return { pkg, activity: cls };
  }
  if (intent.categories.includes('android.intent.category.HOME')) return { pkg: LAUNCHER };
  if (intent.action === 'android.intent.action.VIEW' && /^https?:/.test(intent.data ?? '')) return { pkg: 'com.android.chrome' };
  if (intent.action === 'android.settings.SETTINGS' || intent.action?.startsWith('android.settings.')) return { pkg: 'com.android.settings' };
  return undefined;
}

async function start(context: CommandContext, args: readonly string[]): Promise<number> {
  const intent = parseIntent(args);
  if (typeof intent === 'string') return usageError(context, intent, 255);
  context.stdout(`Starting: ${describe(intent)}\n`);
  const target = resolve(context, intent);
  if (!target) {
    context.stderr('Error: Activity not started, unable to resolve Intent\n');
    return 1;
  }
  const app = context.system.apps.get(target.pkg);
  if (intent.stopFirst) context.system.forceStop(target.pkg);
  const wasRunning = context.system.isRunning(target.pkg);
  const started = performance.now();
  if (!app || !context.system.startActivity(target.pkg, target.activity)) {
    context.stderr(`Error type 3\nError: Activity class {${intent.component ?? target.pkg}} does not exist.\n`);
    return 1;
  }
  if (target.pkg === 'com.android.chrome' && intent.data) app.onText?.(intent.data, context.system.appContext(target.pkg));
  if (intent.wait) {
    const ms = Math.max(1, Math.round(performance.now() - started)) + (wasRunning ? 120 : 480);
    const top = context.system.foreground();
    context.stdout(`Status: ok\nLaunchState: ${wasRunning ? 'WARM' : 'COLD'}\nActivity: ${shortComponent(top)}\nTotalTime: ${ms}\nWaitTime: ${ms + 3}\nComplete\n`);
  }
  return 0;
}

/**
 * am instrument [-w] [-r] [-e NAME VALUE]... [--no-window-animation] COMPONENT: runs one of the
 * phone's instrumentations (the UiAutomator2 server's); with -w it returns when that ends.
 */
async function instrument(context: CommandContext, args: readonly string[]): Promise<number> {
  const extras: Record<string, string> = {};
  let wait = false;
  let component: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-w') wait = true;
    else if (a === '-e') {
      const [name, value] = [args[i + 1], args[i + 2]];
      if (name === undefined || value === undefined) return usageError(context, 'Error: -e needs a name and a value', 255);
      extras[name] = value;
      i += 2;
    } else if (a === '-p' || a === '--abi' || a === '--user') i++;
    else if (a.startsWith('-')) continue;
    else component = a;
  }
  if (!component) return usageError(context, `Error: no instrumentation component specified\n${AM_USAGE}`, 255);
  const instrumentation = context.system.instrumentations.get(component);
  if (!instrumentation) {
    context.stdout(`INSTRUMENTATION_STATUS: Error=Unable to find instrumentation info for: ComponentInfo{${component}}\nINSTRUMENTATION_STATUS_CODE: -1\n`);
    context.stderr(`android.util.AndroidException: INSTRUMENTATION_FAILED: ${component}\n`);
    return 1;
  }
  const result = instrumentation.run({ extras, signal: context.signal });
  if (!wait) {
    // Without -w, am returns at once and the instrumentation goes on.
    result.catch(() => undefined);
    return 0;
  }
  context.stdout(await result);
  return 0;
}

const AM_USAGE = `Activity manager (activity) commands:
  help
  start [-W] [-S] [--user <USER_ID> | current] <INTENT>
  instrument [-w] [-e <NAME> <VALUE>] [--no-window-animation] <COMPONENT>
  force-stop [--user <USER_ID> | all | current] <PACKAGE>
  kill [--user <USER_ID> | all | current] <PACKAGE>
  broadcast [--user <USER_ID> | all | current] <INTENT>
  get-current-user
`;

/** am start|force-stop|kill|broadcast|get-current-user (also reached as `cmd activity`). */
export const am: Command = async (context) => runAm(context, context.argv.slice(1));

export async function runAm(context: CommandContext, rawArgs: readonly string[]): Promise<number> {
  const [verb, ...rest] = rawArgs;
  const args = withoutUserOption(rest);
  switch (verb) {
    case 'start':
    case 'start-activity':
      return start(context, args);
    case 'instrument':
      return instrument(context, args);
    case 'force-stop':
    case 'kill':
    case 'stop-app':
      if (!args[0]) return usageError(context, 'Error: no package specified', 255);
      context.system.forceStop(args[0]);
      return 0;
    case 'broadcast': {
      const intent = parseIntent(args);
      if (typeof intent === 'string') return usageError(context, intent, 255);
      context.stdout(`Broadcasting: ${describe(intent)}\nBroadcast completed: result=0\n`);
      return 0;
    }
    case 'get-current-user':
      context.stdout('0\n');
      return 0;
    case 'help':
      context.stdout(AM_USAGE);
      return 0;
    default:
      context.stderr(`${verb ? `Unknown command: ${verb}\n` : ''}${AM_USAGE}`);
      return 255;
  }
}

/** monkey -p PACKAGE [-c CATEGORY] [options] COUNT: used to launch an app by package. */
export const monkey: Command = (context) => {
  const args = context.argv.slice(1);
  const packages: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-p') packages.push(args[++i] ?? '');
    else if (['-c', '-s', '--throttle', '--pct-touch', '--pct-motion', '--pct-syskeys', '--pct-appswitch'].includes(args[i])) i++;
  }
  const pkg = packages.find((p) => context.system.apps.has(p) && !context.system.apps.get(p)!.noLauncher);
  if (!pkg) {
    context.stdout('** No activities found to run, monkey aborted.\n');
    return 252;
  }
  context.system.startActivity(pkg);
  context.stdout(`  // activity ${fullActivity(context.system.apps.get(pkg)!)}\nEvents injected: 1\n## Network stats: elapsed time=20ms (0ms mobile, 0ms wifi, 20ms not connected)\n`);
  return 0;
};
