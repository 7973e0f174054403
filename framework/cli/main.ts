import { Command, CommanderError } from 'commander';
import { UserError, errorMessage } from '../../common/errors.js';
import { rootLogger, setLogLevel } from '../../common/log.js';

type Register = (program: Command) => void;

/**
 * Each top-level command's module, loaded only when that command runs (or for the overall help):
 * `mplab analyze` need not load the lab, adb and proxy code first.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  analyze: async () => (await import('./analyze.js')).registerAnalyze,
  lab: async () => (await import('./lab.js')).registerLab,
  proxy: async () => (await import('./proxy.js')).registerProxy,
  capture: async () => (await import('./capture.js')).registerCapture,
  devices: async () => (await import('./devices.js')).registerDevices,
  device: async () => (await import('./devices.js')).registerDevices,
  demo: async () => (await import('./demo.js')).registerDemo,
};

const program = new Command('mplab')
  .description('Multipath TCP experiments on Android phones')
  .version('0.1.0')
  .option('-v, --verbose', 'debug logging (same as MPLAB_LOG_LEVEL=debug)')
  .option('-q, --quiet', 'warnings and errors only')
  .showHelpAfterError()
  .exitOverride()
  .hook('preAction', (cmd) => {
    const opts = cmd.opts<{ verbose?: boolean; quiet?: boolean }>();
    if (opts.verbose) setLogLevel('debug');
    else if (opts.quiet) setLogLevel('warn');
  });

const wanted = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
const loaders = wanted !== undefined && wanted in COMMANDS ? [COMMANDS[wanted]] : [...new Set(Object.values(COMMANDS))];
const registered = new Set<Register>();
for (const register of await Promise.all(loaders.map((load) => load()))) {
  if (registered.has(register)) continue; // devices.ts registers both `devices` and `device`
  registered.add(register);
  register(program);
}

try {
  await program.parseAsync(process.argv);
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
