// Which malloc this process runs on, for the start-up log. The codec threads (libwebrtc: five
// per session), onnxruntime and Node's array buffers allocate and free hundreds of MiB per
// session; glibc's malloc keeps much of what they free (in up to 8 arenas per core) and
// resident memory grows with every session replaced, while jemalloc hands it back after a
// decay time. The images preload jemalloc (docker/Dockerfile); outside Docker the server says
// how to do the same (README "Configuration").
import { readFileSync } from 'node:fs';

export interface AllocatorInfo {
  allocator: 'jemalloc' | 'glibc';
  /** MALLOC_CONF (jemalloc), or MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_ (glibc), as set */
  settings: string;
  /** advice for the log when the allocator is not the one the images ship */
  advice: string | null;
}

/** Reads this process's mappings (/proc/self/maps) for a preloaded jemalloc. */
export function allocatorInfo(
  env: NodeJS.ProcessEnv = process.env,
  maps: () => string = () => readFileSync('/proc/self/maps', 'utf8'),
): AllocatorInfo {
  let mapped = '';
  try {
    mapped = maps();
  } catch {
    // not Linux: nothing to say
  }
  if (/libjemalloc/.test(mapped)) return { allocator: 'jemalloc', settings: env.MALLOC_CONF ?? '', advice: null };
  return {
    allocator: 'glibc',
    settings: ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_']
      .filter((k) => env[k])
      .map((k) => `${k}=${env[k]}`)
      .join(' '),
    advice:
      'glibc malloc keeps what the codec and inference threads free: resident memory grows with every session ' +
      'replaced. Run with LD_PRELOAD=<path of libjemalloc.so.2> MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,' +
      'muzzy_decay_ms:0 as the images do (Debian: apt-get install libjemalloc2), or at least MALLOC_ARENA_MAX=2 ' +
      'MALLOC_MMAP_THRESHOLD_=131072',
  };
}
