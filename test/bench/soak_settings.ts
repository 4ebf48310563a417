// The allocator settings the soak runs the server with by default: the ones the images ship,
// read from the runtime stage of docker/Dockerfile (its ENV lines naming LD_PRELOAD or
// MALLOC_*), so `npm run bench:load -- --soak` measures what a deployment runs. --allocator
// system runs the server with glibc's defaults instead; --server-env K=V adds or overrides.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { envPairs, read, stages } from '../support/docker_files.js';

const ALLOCATOR_VAR = /^(LD_PRELOAD|MALLOC_\w+)$/;

/** The allocator variables of the CPU image's runtime stage. */
export function shippedAllocatorEnv(): Record<string, string> {
  const runtime = stages(read('docker/Dockerfile')).at(-1)!;
  const env: Record<string, string> = Object.assign(
    {},
    ...runtime.instrs.filter((i) => i.op === 'ENV').map((i) => envPairs(i.args)),
  );
  return Object.fromEntries(Object.entries(env).filter(([k]) => ALLOCATOR_VAR.test(k)));
}

/** A preloaded library where the image has it, else the same file where Debian installs it on this machine. */
function localLibrary(path: string): string | null {
  if (existsSync(path)) return path;
  const multiarch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch as string] ?? process.arch;
  const name = basename(path);
  return [`/usr/lib/${multiarch}-linux-gnu/${name}`, `/usr/lib/${name}`].find((p) => existsSync(p)) ?? null;
}

/**
 * The server's environment for the soak: the shipped allocator settings (unless `allocator` is
 * 'system'), then the explicit ones. The image's preloaded library is looked for where Debian
 * installs it here; one this machine lacks is left out, with a note (apt-get install libjemalloc2).
 */
export function soakServerEnv(
  allocator: 'shipped' | 'system',
  explicit: Record<string, string>,
): { env: Record<string, string>; notes: string[] } {
  const env = { ...(allocator === 'shipped' ? shippedAllocatorEnv() : {}), ...explicit };
  const notes: string[] = [];
  if (env.LD_PRELOAD) {
    const libs = env.LD_PRELOAD.split(/[:\s]+/).filter(Boolean);
    const found = libs.map(localLibrary);
    const missing = libs.filter((_, i) => !found[i]);
    if (missing.length) {
      notes.push(`LD_PRELOAD left out: ${missing.join(', ')} is not installed here`);
      delete env.LD_PRELOAD;
      delete env.MALLOC_CONF; // jemalloc's settings mean nothing to glibc
    } else env.LD_PRELOAD = (found as string[]).join(':');
  }
  return { env, notes };
}
