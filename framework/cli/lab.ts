import type { Command } from 'commander';

export function registerLab(program: Command): void {
  program.command('lab').description('the virtual lab: phones as network namespaces (not yet built)');
}
