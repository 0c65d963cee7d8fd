import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing but Node; `integration` needs the Kafka broker
// (started by scripts/test.sh or .ci/run) and starts its own HTTP test site.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.int.test.ts', 'services/*/test/**/*.int.test.ts'],
          globalSetup: ['packages/testkit/src/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One broker and two cores: integration files run one at a time so timing-based
          // politeness assertions measure kraul, not CPU contention between test files.
          fileParallelism: false,
        },
      },
    ],
  },
});
