#!/usr/bin/env node
// `npm run bench [-- --json FILE] [--seconds N]` and `npm run bench:loop [-- …]`: runs one
// benchmark file under vitest (for its TypeScript and native-addon handling) with the
// options passed as environment variables, so the numbers print as a table.
// `npm run bench:load` also takes --max N (sessions), --through and --soak [MINUTES].
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const [which, ...rest] = process.argv.slice(2);
const env = { ...process.env };
for (let i = 0; i < rest.length; i++) {
  const a = rest[i];
  if (a === '--json') env.BENCH_JSON = resolve(rest[++i] ?? 'bench-results/bench.json');
  else if (a === '--seconds') env.BENCH_SECONDS = rest[++i];
  else if (a === '--quick') env.BENCH_QUICK = '1';
  else if (a === '--max') env.BENCH_MAX_SESSIONS = rest[++i];
  else if (a === '--through') env.BENCH_THROUGH = '1';
  // --soak alone: the 30-minute soak
  else if (a === '--soak') env.BENCH_SOAK_MINUTES = /^\d+(\.\d+)?$/.test(rest[i + 1] ?? '') ? rest[++i] : '30';
  else {
    console.error(
      `unknown option ${a} (use --json FILE, --seconds N, --quick; bench:load also --max N, --through, --soak [MINUTES])`,
    );
    process.exit(2);
  }
}
const file = {
  engine: 'test/bench/engine.bench.ts',
  loop: 'test/bench/loop.bench.ts',
  segmodels: 'test/bench/segmentation_models.bench.ts',
  fanout: 'test/bench/fanout.bench.ts',
  load: 'test/bench/load.bench.ts',
}[which];
if (!file) {
  console.error('usage: run.mjs engine|loop|segmodels|fanout|load [--json FILE] [--seconds N]');
  process.exit(2);
}
const r = spawnSync('npx', ['vitest', 'run', '--config', 'test/bench/vitest.bench.config.ts', file], {
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? 1);
