import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The analyzer's unit tests run to record every analysis they make (test/support/capture-corpus.ts),
 * for test/unit/analysis/engines.test.ts:
 *   MPLAB_CAPTURE_CORPUS=DIR npx vitest run --config test/support/capture-corpus.config.ts
 * Tests that run the command as a process of its own (cli, fuzz, pipes) or analyze nothing but take
 * long (young-generation) are left out, as is the engines test itself.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/unit/analysis/*.test.ts'],
    exclude: ['test/unit/analysis/{engines,cli,fuzz,pipes,young-generation}.test.ts'],
    setupFiles: ['test/support/capture-corpus.ts'],
    env: { MPLAB_LOG_LEVEL: 'warn' },
    testTimeout: 30_000,
    // a run inside the unit tests' run: it leaves their results cache alone
    cache: false,
  },
});
