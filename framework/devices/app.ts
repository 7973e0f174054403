import { clearDataCommand, forceStopCommand } from './android-commands.js';
import type { Device } from './device.js';
import { PhoneOpError } from './errors.js';
import { shCommand } from './quote.js';

/**
 * `mplab device <id> reset <package>`: force-stop the app and clear its data and cache, so that
 * each test starts the app fresh. The package name is passed as one quoted word whatever it
 * contains: a hostile name can fail, never run a command.
 */
export class AppResetError extends PhoneOpError {}

export async function resetApp(device: Device, pkg: string): Promise<string[]> {
  const stopArgv = forceStopCommand(pkg);
  const clearArgv = clearDataCommand(pkg);
  const stop = await device.shell(stopArgv, { timeoutMs: 20_000 });
  if (stop.exitCode !== 0) {
    throw new AppResetError(`${shCommand(stopArgv)} failed with exit status ${stop.exitCode}: ${output(stop)}`);
  }
  const clear = await device.shell(clearArgv, { timeoutMs: 60_000 });
  // pm prints "Success", or "Failed" (exit status 0 or 1 depending on the release) for an unknown package
  if (clear.exitCode !== 0 || !/\bSuccess\b/.test(clear.stdout.toString())) {
    throw new AppResetError(`${shCommand(clearArgv)} failed (exit status ${clear.exitCode}): ${output(clear)}`);
  }
  device.log.info({ pkg }, 'app reset');
  return [shCommand(stopArgv), shCommand(clearArgv)];
}

function output(r: { stdout: Buffer; stderr: Buffer }): string {
  return [r.stdout.toString().trim(), r.stderr.toString().trim()].filter(Boolean).join(' / ') || 'no output';
}
