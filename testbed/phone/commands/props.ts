import { formatGetprop } from '../props.js';
import { usageError, type Command } from './context.js';

/** getprop [NAME [DEFAULT]] */
export const getprop: Command = (context) => {
  const props = context.system.properties();
  const [, name, fallback] = context.argv;
  if (name === undefined) {
    context.stdout(formatGetprop(props));
    return 0;
  }
  context.stdout(`${props[name] ?? fallback ?? ''}\n`);
  return 0;
};

/** setprop NAME VALUE */
export const setprop: Command = async (context) => {
  const [, name, value] = context.argv;
  if (name === undefined || value === undefined || context.argv.length > 3) return usageError(context, 'usage: setprop NAME VALUE\n\nSets an Android system property.');
  const error = await context.system.setProperty(name, value, context.uid);
  return error ? usageError(context, error) : 0;
};
