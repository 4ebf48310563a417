// Loaded into the server under test by the soak (NODE_OPTIONS=--require, test/bench/soak.ts):
// `--require` modules run in the main thread and in every worker thread, so each thread (the
// main thread, the engine threads, their low-res workers) writes its own V8 figures
// (process.memoryUsage(): heap, external, array buffers) to $SOAK_MEMORY_DIR/<threadId>.json
// every 5 s, with the thread's name ('main', 'engine-0', 'engine-0/lowres': see below); the
// soak adds up the fresh files. /metrics sees the main thread's isolate only.
// With --expose-gc, a thread runs a full GC when the soak writes a new request number to
// $SOAK_MEMORY_DIR/gc (after every session closed: what is left once garbage is collected),
// and every $SOAK_FORCE_GC_S seconds when that is set (a bisection step).
'use strict';
const fs = process.getBuiltinModule('node:fs');
const path = process.getBuiltinModule('node:path');
const threads = process.getBuiltinModule('node:worker_threads');
const { threadId, isMainThread } = threads;

const dir = process.env.SOAK_MEMORY_DIR;
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : null;
/** the environment data key that carries a new worker's name into it */
const NAME_KEY = 'restyle-soak:thread-name';

/**
 * Names this thread and the workers it starts: Node 20 does not tell a worker the `name` it
 * was given, so this thread's Worker is wrapped to hand the name (under its parent's, but for
 * the main thread's workers) to the new worker through the environment data it starts with.
 */
function nameThreads() {
  const own = isMainThread ? 'main' : String(threads.getEnvironmentData(NAME_KEY) ?? `thread-${threadId}`);
  const Base = threads.Worker;
  threads.Worker = class extends Base {
    constructor(file, options) {
      const child = options?.name || 'worker';
      threads.setEnvironmentData(NAME_KEY, isMainThread ? child : `${own}/${child}`);
      super(file, options);
    }
  };
  // the server imports node:worker_threads as an ES module: its named exports follow
  process.getBuiltinModule('node:module').syncBuiltinESMExports();
  return own;
}

if (dir) {
  const name = nameThreads();
  const file = path.join(dir, `${threadId}.json`);
  const request = path.join(dir, 'gc');
  const state = { collected: '' };
  const tick = () => {
    let asked = '';
    try {
      asked = fs.readFileSync(request, 'utf8');
    } catch {
      // no request yet
    }
    if (gc && asked && asked !== state.collected) {
      gc();
      state.collected = asked;
    }
    const { heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    const record = { threadId, name, main: isMainThread, at: Date.now(), heapTotal, heapUsed, external, arrayBuffers };
    try {
      fs.writeFileSync(`${file}.tmp`, JSON.stringify({ ...record, collected: state.collected }));
      fs.renameSync(`${file}.tmp`, file);
    } catch {
      // the soak removed its folder: nothing to report to
    }
  };
  tick();
  setInterval(tick, 5000).unref();
}
const gcEvery = Number(process.env.SOAK_FORCE_GC_S);
if (gc && gcEvery > 0) setInterval(gc, gcEvery * 1000).unref();
