// Ending a worker thread from its parent: ask it to end (it finishes its inference runs
// first, see thread_exit.ts), and terminate it only if it has not exited within `graceMs`.
// Also safe on a worker that has already exited.
import type { Worker } from 'node:worker_threads';

export async function endWorker(w: Worker, request: unknown, graceMs: number): Promise<void> {
  const exited = new Promise<void>((r) => w.once('exit', () => r()));
  w.postMessage(request);
  let late: NodeJS.Timeout | undefined;
  // w.terminate() resolves at once for a worker that is already gone (no 'exit' event then)
  const forced = new Promise<void>((r) => {
    late = setTimeout(() => {
      void w.terminate().then(() => r());
    }, graceMs);
  });
  await Promise.race([exited, forced]);
  clearTimeout(late);
}
