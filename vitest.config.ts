import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, parallel) and `lab` (network namespaces, adb, tcpdump:
// run as root, one file at a time so that throughput and timing measurements do not compete).
// Tests log warnings and errors only (MPLAB_LOG_LEVEL=debug npm test for everything).
const env = { MPLAB_LOG_LEVEL: process.env.MPLAB_LOG_LEVEL ?? 'warn' };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          env,
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'lab',
          env,
          include: ['test/lab/**/*.test.ts'],
          globalSetup: ['test/lab/global-setup.ts'],
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
