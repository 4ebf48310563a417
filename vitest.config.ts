import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // native addons (wrtc, onnxruntime-node, sharp) are safest in separate processes
    pool: 'forks',
    include: ['server/src/**/*.test.ts', 'shared/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global_setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // the machine is small and shared: run test files one or two at a time
    fileParallelism: true,
    maxWorkers: 2,
  },
});
