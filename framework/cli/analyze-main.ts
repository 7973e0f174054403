import { runCli } from './program.js';

/**
 * `mplab analyze` alone, the same program as main.ts gives for that command. bin/mplab.js runs it
 * from a bundle precompiled by bin/precompiled.js, so that the analyzer starts without tsx's loader.
 */
export function main(): Promise<void> {
  return runCli({ analyze: async () => (await import('./analyze.js')).registerAnalyze });
}
