#!/usr/bin/env node
// `npm run bench [-- --json FILE] [--seconds N]` and `npm run bench:loop [-- …]`: runs one
// benchmark file under vitest (for its TypeScript and native-addon handling) with the
// options passed as environment variables, so the numbers print as a table.
// `npm run bench:load` also takes --max N (sessions), --through, --resolution 480p|720p, --echo-ramp and --soak [MINUTES], and for
// the soak --soak-echo, --soak-churn SECONDS, --soak-sessions N, --warmup MINUTES, --label NAME,
// --trim, --force-gc SECONDS, --allocator shipped|system and --server-env K=V (repeatable;
// test/bench/soak.ts).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const [which, ...rest] = process.argv.slice(2);
const env = { ...process.env };
const serverEnv = {};
for (let i = 0; i < rest.length; i++) {
  const a = rest[i];
  if (a === '--json') env.BENCH_JSON = resolve(rest[++i] ?? 'bench-results/bench.json');
  else if (a === '--seconds') env.BENCH_SECONDS = rest[++i];
  else if (a === '--quick') env.BENCH_QUICK = '1';
  else if (a === '--max') env.BENCH_MAX_SESSIONS = rest[++i];
  else if (a === '--through') env.BENCH_THROUGH = '1';
  // bench:load: one resolution's ramp only (480p or 720p)
  else if (a === '--resolution') env.BENCH_RESOLUTION = rest[++i];
  // bench:load: every session of the ramp an echo session (no stylizer): the machine's own limit
  else if (a === '--echo-ramp') env.BENCH_ECHO_RAMP = '1';
  // bench:cluster: headless viewers per node
  else if (a === '--viewers') env.BENCH_VIEWERS = rest[++i];
  // --soak alone: the 30-minute soak
  else if (a === '--soak') env.BENCH_SOAK_MINUTES = /^\d+(\.\d+)?$/.test(rest[i + 1] ?? '') ? rest[++i] : '30';
  else if (a === '--soak-echo') env.BENCH_SOAK_ECHO = '1';
  else if (a === '--soak-churn') env.BENCH_SOAK_CHURN_S = rest[++i];
  else if (a === '--soak-sessions') env.BENCH_SOAK_SESSIONS = rest[++i];
  else if (a === '--warmup') env.BENCH_SOAK_WARMUP_MIN = rest[++i];
  else if (a === '--label') env.BENCH_SOAK_LABEL = rest[++i];
  else if (a === '--trim') env.BENCH_SOAK_TRIM = '1';
  else if (a === '--allocator') env.BENCH_SOAK_ALLOCATOR = rest[++i];
  else if (a === '--force-gc') env.BENCH_SOAK_FORCE_GC_S = rest[++i];
  else if (a === '--server-env') {
    const kv = rest[++i] ?? '';
    const eq = kv.indexOf('=');
    if (eq < 1) {
      console.error(`--server-env takes NAME=VALUE, not ${kv}`);
      process.exit(2);
    }
    serverEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  } else {
    console.error(
      `unknown option ${a} (use --json FILE, --seconds N, --quick; bench:load also --max N, --through, --resolution R, --echo-ramp, --soak [MINUTES], ` +
        `--soak-echo, --soak-churn S, --soak-sessions N, --warmup MIN, --label NAME, --trim, --force-gc S, ` +
        `--allocator shipped|system, --server-env K=V)`,
    );
    process.exit(2);
  }
}
if (Object.keys(serverEnv).length) env.BENCH_SERVER_ENV = JSON.stringify(serverEnv);
const file = {
  engine: 'test/bench/engine.bench.ts',
  loop: 'test/bench/loop.bench.ts',
  segmodels: 'test/bench/segmentation_models.bench.ts',
  fanout: 'test/bench/fanout.bench.ts',
  load: 'test/bench/load.bench.ts',
  cluster: 'test/bench/cluster.bench.ts',
}[which];
if (!file) {
  console.error('usage: run.mjs engine|loop|segmodels|fanout|load|cluster [--json FILE] [--seconds N]');
  process.exit(2);
}
const r = spawnSync('npx', ['vitest', 'run', '--config', 'test/bench/vitest.bench.config.ts', file], {
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? 1);
