import { usageError, type Command } from './context.js';

/**
 * appops get|set|reset: app operation modes (the UiAutomator2 driver sets io.appium.settings'
 * android:mock_location), kept per phone while it runs.
 */

const MODES = new Set(['allow', 'ignore', 'deny', 'default', 'foreground']);
const modes = new WeakMap<object, Map<string, Map<string, string>>>();

export const appops: Command = (context) => {
  const [, verb, pkg, op, mode] = context.argv;
  const system = context.system;
  let table = modes.get(system);
  if (!table) modes.set(system, (table = new Map()));
  const usage = 'AppOps service (appops) commands:\n  set [--user <USER_ID>] <PACKAGE | UID> <OP> <MODE>\n  get [--user <USER_ID>] <PACKAGE | UID> [<OP>]\n  reset [--user <USER_ID>] [<PACKAGE>]\n';
  if (verb !== 'set' && verb !== 'get' && verb !== 'reset') return usageError(context, usage, verb ? 255 : 0);
  if (verb === 'reset') {
    if (pkg) table.delete(pkg);
    else table.clear();
    context.stdout('Reset all modes for: all users\n');
    return 0;
  }
  if (!pkg || !system.apps.has(pkg)) return usageError(context, `Error: Unknown package: ${pkg ?? ''}`, 255);
  const ops = table.get(pkg) ?? new Map<string, string>();
  if (verb === 'set') {
    if (!op || !mode || !MODES.has(mode)) return usageError(context, `Error: Mode must be one of ${[...MODES].join(', ')}\n${usage}`, 255);
    ops.set(op.replace(/^android:/, '').toUpperCase(), mode);
    table.set(pkg, ops);
    return 0;
  }
  const shown = op ? [[op.replace(/^android:/, '').toUpperCase(), ops.get(op.replace(/^android:/, '').toUpperCase()) ?? 'default']] : [...ops];
  context.stdout(shown.length ? shown.map(([o, m]) => `${o}: ${m}\n`).join('') : 'No operations.\n');
  return 0;
};
