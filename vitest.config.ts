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
