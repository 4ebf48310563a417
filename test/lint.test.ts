// `npm run lint` as part of `npm test`, so the tree stays clean: types (server, tests, client),
// ESLint, Prettier's formatting and the import rules (.dependency-cruiser.cjs: no cycles, the
// pipeline's arrows one way).
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { ROOT } from './support/media.js';

it('npm run lint passes: types, ESLint, Prettier, import rules', () => {
  const r = spawnSync('npm', ['run', 'lint'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) console.log(out.split('\n').slice(-80).join('\n'));
  expect(r.status, 'npm run lint exit status').toBe(0);
}, 300_000);
