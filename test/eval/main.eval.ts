// The entry `npm run eval` runs (test/eval/run.mjs passes the command line in EVAL_ARGS).
import { it } from 'vitest';
import { parseArgs, runEval } from './run_eval.js';

it('quality evaluation', async () => {
  const args = JSON.parse(process.env.EVAL_ARGS ?? '[]') as string[];
  await runEval(parseArgs(args));
});
