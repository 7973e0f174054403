import type { Command } from 'commander';

export function registerDevices(program: Command): void {
  program.command('devices').description('phones known to adb and devices.json (not yet built)');
}
