// Builds what the tests run against (WebAssembly kernels, server and client bundles) once
// per `npm test`, so tests exercise the same artefacts as `npm start`.
import { execSync } from 'node:child_process';

export default function setup(): void {
  if (process.env.RESTYLE_SKIP_BUILD === '1') return;
  const t0 = Date.now();
  execSync('npm run build --silent', { stdio: 'inherit' });
  console.log(`[global_setup] build done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
