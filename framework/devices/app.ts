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
  const done: string[] = [];
  const stop = await device.shell(forceStopCommand(pkg), { timeoutMs: 20_000 });
  if (stop.exitCode !== 0) {
    throw new AppResetError(`${shCommand(forceStopCommand(pkg))} failed with exit status ${stop.exitCode}: ${output(stop)}`);
  }
  done.push(shCommand(forceStopCommand(pkg)));
  const clear = await device.shell(clearDataCommand(pkg), { timeoutMs: 60_000 });
  // pm prints "Success", or "Failed" (exit status 0 or 1 depending on the release) for an unknown package
  if (clear.exitCode !== 0 || !/\bSuccess\b/.test(clear.stdout.toString())) {
    throw new AppResetError(`${shCommand(clearDataCommand(pkg))} failed (exit status ${clear.exitCode}): ${output(clear)}`);
  }
  done.push(shCommand(clearDataCommand(pkg)));
  device.log.info({ pkg }, 'app reset');
  return done;
}

function output(r: { stdout: Buffer; stderr: Buffer }): string {
  return [r.stdout.toString().trim(), r.stderr.toString().trim()].filter(Boolean).join(' / ') || 'no output';
}
