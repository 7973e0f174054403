import type { Command } from 'commander';

export function registerAnalyze(program: Command): void {
  program.command('analyze').description('turn pcap/pcapng traces into MPTCP connections, subflows and metrics (not yet built)');
}
