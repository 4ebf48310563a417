// V8's limits for the engine's worker threads (engine threads and their low-res workers). Their
// young generation is capped: V8 grows a busy thread's from 1 to 32 MiB and shrinks it again
// as its allocation rate and survival change, and in a 30-minute soak the engine threads'
// reserved heaps swung together between 85 and 140 MiB, which resident memory followed (the
// largest term of its slope once the low-res workers' dead buffers were collected:
// runtime/thread_garbage.ts). Their per-frame garbage dies young, so 8 MiB of new space
// (12 MiB of young generation in Node's terms) still collects it in the nursery.
import type { ResourceLimits } from 'node:worker_threads';

export const ENGINE_WORKER_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 12 };
