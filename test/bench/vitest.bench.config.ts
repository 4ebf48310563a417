// Benchmarks run through vitest like the tests (forks pool, the same build step), one file
// at a time, with their printed output kept.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    pool: 'forks',
    // memory figures are taken after a full collection
    execArgv: ['--expose-gc'],
    include: ['test/bench/**/*.bench.ts'],
    globalSetup: ['test/global_setup.ts'],
    // the load bench gives its ramp and its soak (30 min by default) their own limits
    testTimeout: 900_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    maxWorkers: 1,
    silent: false,
    reporters: ['default'],
  },
});
