// Where a worker thread's script is: in this build's engine folder, or in
// dist/ when the caller runs from TypeScript sources (tests, benchmarks).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../../repo_root.js';

/**
 * Resolves a worker script, named by its path under server/src/engine (e.g. 'frame/frame_worker'):
 * beside this build, or in dist/ when running from TypeScript sources.
 */
export function workerScript(name: string): URL {
  const here = new URL(`../${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = join(repoRoot(), 'dist', 'server', 'src', 'engine', `${name}.js`);
  if (!existsSync(built)) throw new Error(`${built} missing: run npm run build`);
  return new URL(`file://${built}`);
}
