import { defineConfig } from 'vitest/config';

// Two groups: `unit` needs nothing running; `integration` talks to the real test bed
// (scripts/services.mjs), which its global setup starts when it is not running.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores and shared servers: files run one after another, tests inside a file may overlap.
          fileParallelism: false,
        },
      },
    ],
  },
});
