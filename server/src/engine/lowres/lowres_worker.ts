// Low-resolution worker thread: one per engine thread. It runs the low-res path
// (lowres_pipeline.ts) for the sessions of its engine thread, one update at a time, so the
// engine thread keeps slicing frames while the networks and the grid fit run here.
import { parentPort, workerData } from 'node:worker_threads';
import { engineLuts } from '../frame/engine_context.js';
import { DEFAULT_GRID } from '../image/grid.js';
import type { LowResIn, LowResOut, LowResWorkerData } from '../frame/lowres_client.js';
import { LowResPipeline } from './lowres_pipeline.js';
import { StyleStore } from '../runtime/style_store.js';
import { exitOnFatal, whenIdle } from '../runtime/thread_exit.js';

const port = parentPort;
if (!port) throw new Error('lowres_worker must run in a worker thread');
const data = workerData as LowResWorkerData;

const styles = new StyleStore();
const pipeline = new LowResPipeline(styles, DEFAULT_GRID, engineLuts(), data.onnx);
let chain: Promise<void> = Promise.resolve();
let draining = false;
// an uncaught error here: exit once no inference runs (the engine thread's client starts a new worker)
const dying = exitOnFatal(() => {});

function send(m: LowResOut, transfer: ArrayBuffer[] = []): void { port!.postMessage(m, transfer); }

port.on('message', (m: LowResIn) => {
  if (draining || dying()) return;
  switch (m.kind) {
    case 'styles': for (const img of m.images) styles.put(img); return;
    case 'styleRemoved': styles.delete(m.id); return;
    case 'close': pipeline.close(m.sid); return;
    case 'drain': draining = true; void chain.then(() => whenIdle()).then(() => process.exit(0)); return;
    case 'warmup':
      pipeline.loadNeural().then(() => send({ kind: 'warm', ok: true }), (e: unknown) => send({ kind: 'warm', ok: false, message: String(e) }));
      return;
    case 'update':
      // one update at a time: the sessions of this thread take turns
      chain = chain.then(async () => {
        try {
          const r = await pipeline.update(m.req);
          send({ kind: 'updated', id: m.id, grid: r.grid.buffer as ArrayBuffer, tier: r.tier, stages: r.stages }, [r.grid.buffer as ArrayBuffer]);
        } catch (e) {
          send({ kind: 'failed', id: m.id, message: e instanceof Error ? e.message : String(e) });
        }
      });
      return;
  }
});
