import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // native addons (wrtc, onnxruntime-node, sharp) are safest in separate processes
    pool: 'forks',
    include: ['server/src/**/*.test.ts', 'shared/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global_setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // the machine has 2 cores and the browser and streaming tests measure frame rates:
    // one test file at a time
    fileParallelism: false,
    maxWorkers: 1,
    // the usual console report, plus a JSON one that .ci/run counts
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
