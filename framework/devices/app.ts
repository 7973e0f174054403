import { clearDataCommand, forceStopCommand } from './android-commands.js';
import type { Device } from './device.js';
import { PhoneOpError } from './errors.js';
import { sectionStart, splitSections } from './parse.js';
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
  // one shell call: pm clear runs only after force-stop succeeded, its output in a section of its own
  const script = `${shCommand(stopArgv)} || exit $?; ${sectionStart('clear')}; ${shCommand(clearArgv)}`;
  const r = await device.shell({ script }, { timeoutMs: 80_000 });
  const clear = splitSections(r.stdout.toString()).get('clear');
  if (clear === undefined) {
    throw new AppResetError(`${shCommand(stopArgv)} failed with exit status ${r.exitCode}: ${output(r.stdout.toString(), r.stderr)}`);
  }
  // pm prints "Success", or "Failed" (exit status 0 or 1 depending on the release) for an unknown package
  if (r.exitCode !== 0 || !/\bSuccess\b/.test(clear)) {
    throw new AppResetError(`${shCommand(clearArgv)} failed (exit status ${r.exitCode}): ${output(clear, r.stderr)}`);
  }
  device.log.info({ pkg }, 'app reset');
  return [shCommand(stopArgv), shCommand(clearArgv)];
}

function output(stdout: string, stderr: Buffer): string {
  return [stdout.trim(), stderr.toString().trim()].filter(Boolean).join(' / ') || 'no output';
}
