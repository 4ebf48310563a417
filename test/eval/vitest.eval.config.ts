// `npm run eval`: the quality evaluation runs through vitest like the benchmarks (forks pool,
// the same build step, TypeScript and native addons handled), its log printed.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    pool: 'forks',
    include: ['test/eval/**/*.eval.ts'],
    globalSetup: ['test/global_setup.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    maxWorkers: 1,
    silent: false,
    reporters: ['default'],
  },
});
