import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing but Node; `integration` needs the Kafka broker
// (started by scripts/test.sh or .ci/run) and starts its own HTTP test site. A third,
// `compose`, runs the docker-compose cluster; it exists only when scripts/test-compose.sh
// (`npm run test:compose`) has prepared the engine and images, so `npm test` never runs it.
const composeProject = {
  test: {
    name: 'compose',
    include: ['test/compose/**/*.compose.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'packages/*/test/**/*.test.ts',
            'services/*/test/**/*.test.ts',
            'test/deploy/**/*.test.ts',
          ],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: [
            'packages/*/test/**/*.int.test.ts',
            'services/*/test/**/*.int.test.ts',
            'examples/test/**/*.int.test.ts',
          ],
          globalSetup: ['packages/testkit/src/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One broker and two cores: integration files run one at a time so timing-based
          // politeness assertions measure kraul, not CPU contention between test files.
          fileParallelism: false,
        },
      },
      ...(process.env['KRAUL_COMPOSE_TEST'] === '1' ? [composeProject] : []),
    ],
  },
});
