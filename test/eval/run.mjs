#!/usr/bin/env node
// `npm run eval [-- --quick] [--media DIR] [--out DIR] [--frames N]`: runs the quality
// evaluation (test/eval/main.eval.ts) under vitest, for its TypeScript and native-addon
// handling; the options travel as JSON in EVAL_ARGS (paths resolved here, against the cwd).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const args = process.argv.slice(2).map((a, i, all) => (['--media', '--out'].includes(all[i - 1]) ? resolve(a) : a));
const env = { ...process.env, EVAL_ARGS: JSON.stringify(args) };
const r = spawnSync('npx', ['vitest', 'run', '--config', 'test/eval/vitest.eval.config.ts'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
