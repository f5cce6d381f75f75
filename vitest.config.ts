import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure functions, recorded fixtures; fast, parallel) and
// `integration` (real RabbitMQ, Prometheus, Alertmanager; run one file at a time
// because faults such as memory alarms are broker-wide).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Unit tests time nothing, but some do seconds of honest CPU work (gzip of a large
          // exposition, 50k classifications, fast-check properties); on a loaded two-core CI
          // machine 5 s (vitest's default) is not enough for them.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 240_000,
          globalSetup: ['test/harness/global-setup.ts'],
        },
      },
    ],
  },
});
