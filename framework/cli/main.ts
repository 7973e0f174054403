import { Command, CommanderError } from 'commander';
import { UserError, errorMessage } from '../../common/errors.js';
import { rootLogger, setLogLevel } from '../../common/log.js';
import { registerAnalyze } from './analyze.js';
import { registerCapture } from './capture.js';
import { registerDemo } from './demo.js';
import { registerDevices } from './devices.js';
import { registerLab } from './lab.js';
import { registerProxy } from './proxy.js';

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

registerAnalyze(program);
registerLab(program);
registerProxy(program);
registerCapture(program);
registerDevices(program);
registerDemo(program);

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
