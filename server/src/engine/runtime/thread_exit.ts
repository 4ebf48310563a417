// Ending a worker thread that holds onnxruntime sessions. An inference still running when its
// thread is torn down calls back into a dead environment, and onnxruntime-node then aborts
// the whole process ("terminate called after throwing an instance of 'Napi::Error'"): one
// session's crash would end every session. So a thread never exits (or is terminated) while
// a run of its own is in flight: it stops taking work, waits for them (bounded), then exits.
import type { OnnxRuntime } from './onnx_session.js';

/** Resolves once no inference of this thread's runtime runs (or after `maxMs`). */
export async function whenIdle(onnx: OnnxRuntime, maxMs = 3000): Promise<void> {
  const end = Date.now() + maxMs;
  while (onnx.inflight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
}

/**
 * An uncaught error or rejection in this thread: `before` runs (report it, drain child
 * threads), then the thread exits with code 1 once idle. Returns whether it is ending.
 */
export function exitOnFatal(onnx: OnnxRuntime, before: (e: unknown) => Promise<void> | void): () => boolean {
  let dying = false;
  const fatal = (e: unknown): void => {
    if (dying) return;
    dying = true;
    void Promise.resolve()
      .then(() => before(e))
      .catch(() => {})
      .then(() => whenIdle(onnx))
      .then(() => process.exit(1));
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  return () => dying;
}
