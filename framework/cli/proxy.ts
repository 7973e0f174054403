import type { Command } from 'commander';

export function registerProxy(program: Command): void {
  program.command('proxy').description('the MPTCP SOCKS5 proxy (not yet built)');
}
