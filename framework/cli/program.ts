import { Command, CommanderError } from 'commander';
import { UserError, errorMessage } from '../../common/errors.js';
import { rootLogger, setLogLevel } from '../../common/log.js';
import { refuseInvalidDevicesFile } from '../config/devices-file.js';

export type Register = (program: Command) => void;

/** Top-level command name -> loader of the function that registers it. */
export type CommandLoaders = Record<string, () => Promise<Register>>;

/**
 * The `mplab` program: global options, the commands of `commands`, and how errors end the process
 * (usage errors exit 2, UserError prints its message alone). Only the invoked command's module is
 * loaded (all of them for the overall help): `mplab analyze` need not load the lab, adb and proxy
 * code first.
 */
export async function runCli(commands: CommandLoaders, argv: string[] = process.argv): Promise<void> {
  const wanted = invokedCommand(argv);
  const program = new Command('mplab')
    .description('Multipath TCP experiments on Android phones')
    .version('0.1.0')
    .option('-v, --verbose', 'debug logging (same as MPLAB_LOG_LEVEL=debug)')
    .option('-q, --quiet', 'warnings and errors only')
    .showHelpAfterError()
    .exitOverride()
    .hook('preAction', async (cmd) => {
      const opts = cmd.opts<{ verbose?: boolean; quiet?: boolean }>();
      if (opts.verbose) setLogLevel('debug');
      else if (opts.quiet) setLogLevel('warn');
      // devices and device read the file themselves (with --devices) and say more about it
      if (wanted !== 'devices' && wanted !== 'device') await refuseInvalidDevicesFile();
    });

  const loaders = wanted !== undefined && wanted in commands ? [commands[wanted]] : [...new Set(Object.values(commands))];
  const registered = new Set<Register>();
  for (const register of await Promise.all(loaders.map((load) => load()))) {
    if (registered.has(register)) continue; // devices.ts registers both `devices` and `device`
    registered.add(register);
    register(program);
  }

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are "errors" to commander; usage problems exit 2
      process.exitCode = err.exitCode === 0 ? 0 : 2;
    } else if (err instanceof UserError) {
      process.stderr.write(`mplab: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else {
      rootLogger().error({ err }, errorMessage(err));
      process.exitCode = 1;
    }
  }
}

/** The top-level command of a `node mplab.js ...` argument vector: the first word that is not an option (the global options take no value). */
export function invokedCommand(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((arg) => !arg.startsWith('-'));
}
