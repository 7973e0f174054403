import type { SettingsNamespace } from '../state.js';
import { usageError, withoutUserOption, type Command, type CommandContext } from './context.js';

const NAMESPACES = new Set(['global', 'secure', 'system']);

const USAGE = `Settings provider (settings) commands:
  help
      Print this help text.
  get [--user <USER_ID> | current] NAMESPACE KEY
      Retrieve the current value of KEY.
  put [--user <USER_ID> | current] NAMESPACE KEY VALUE [TAG] [default]
      Change the contents of KEY to VALUE.
  delete [--user <USER_ID> | current] NAMESPACE KEY
      Delete the entry for KEY.
  list [--user <USER_ID> | current] NAMESPACE
      Print all defined keys.
      NAMESPACE is one of {system, secure, global}, case-insensitive
`;

/** settings get|put|delete|list NAMESPACE [KEY [VALUE]] (also reached as `cmd settings`). */
export const settings: Command = async (context) => runSettings(context, context.argv.slice(1));

export async function runSettings(context: CommandContext, rawArgs: readonly string[]): Promise<number> {
  const args = withoutUserOption(rawArgs);
  const [verb, nsArg, key, value] = args;
  if (!verb || verb === 'help' || verb === '-h') {
    context.stdout(USAGE);
    return verb ? 0 : 255;
  }
  const ns = nsArg?.toLowerCase();
  if (!ns || !NAMESPACES.has(ns)) return usageError(context, `Invalid namespace '${nsArg ?? ''}'\n${USAGE}`, 255);
  const namespace = ns as SettingsNamespace;
  switch (verb) {
    case 'get':
      if (key === undefined) return usageError(context, `Invalid arguments\n${USAGE}`, 255);
      context.stdout(`${context.system.getSetting(namespace, key) ?? 'null'}\n`);
      return 0;
    case 'put':
      if (key === undefined || value === undefined) return usageError(context, `Invalid arguments\n${USAGE}`, 255);
      await context.system.putSetting(namespace, key, value);
      return 0;
    case 'delete': {
      if (key === undefined) return usageError(context, `Invalid arguments\n${USAGE}`, 255);
      const deleted = await context.system.deleteSetting(namespace, key);
      context.stdout(`Deleted ${deleted ? 1 : 0} rows\n`);
      return 0;
    }
    case 'list': {
      const table = context.system.state.settings[namespace];
      context.stdout(Object.keys(table).sort().map((k) => `${k}=${table[k]}\n`).join(''));
      return 0;
    }
    default:
      return usageError(context, `Invalid command: ${verb}\n${USAGE}`, 255);
  }
}
