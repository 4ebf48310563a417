// Where a worker thread's script is: next to this module when running the build, or in
// dist/ when the caller runs from TypeScript sources (tests, benchmarks).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './wasm_kernels.js';

/** Resolves a worker script next to this module, or in dist/ when running from TypeScript sources. */
export function workerScript(name: string): URL {
  const here = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = join(repoRoot(), 'dist', 'server', 'src', 'engine', `${name}.js`);
  if (!existsSync(built)) throw new Error(`${built} missing: run npm run build`);
  return new URL(`file://${built}`);
}
