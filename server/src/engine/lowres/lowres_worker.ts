// Low-resolution worker thread: one per engine thread. It runs the low-res path
// (lowres_pipeline.ts) for the sessions of its engine thread, one update at a time, so the
// engine thread keeps slicing frames while the networks and the grid fit run here. Messages:
// pool/thread_messages.ts (ToLowRes / FromLowRes); the engine thread's side is
// frame/lowres_client.ts.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { DEFAULT_GRID } from '../image/grid.js';
import { engineLuts } from '../image/guide.js';
import { LowResCancelled } from '../pool/engine_error.js';
import type { FromLowRes, LowResWorkerData, ToLowRes } from '../pool/thread_messages.js';
import { OnnxRuntime } from '../runtime/onnx_session.js';
import { ThreadGarbage } from '../runtime/thread_garbage.js';
import { StyleStore } from '../runtime/style_store.js';
import { exitOnFatal, whenIdle } from '../runtime/thread_exit.js';
import { LowResPipeline } from './lowres_pipeline.js';

class LowResThread {
  readonly #styles = new StyleStore();
  readonly #onnx: OnnxRuntime;
  readonly #pipeline: LowResPipeline;
  /** updates run one at a time: the sessions of this thread take turns */
  #chain: Promise<void> = Promise.resolve();
  /** updates queued or running, and those of them whose results would now be dropped */
  readonly #queued = new Set<number>();
  readonly #cancelled = new Set<number>();
  #closing = false;
  /** the dead copies of the networks' outputs, collected between updates */
  readonly #garbage = new ThreadGarbage();
  /** an uncaught error here: exit once no inference runs (the engine thread's client starts a new worker) */
  readonly #dying: () => boolean;

  constructor(
    private readonly port: MessagePort,
    data: LowResWorkerData,
  ) {
    this.#onnx = new OnnxRuntime(data.onnx);
    this.#pipeline = new LowResPipeline(this.#styles, DEFAULT_GRID, engineLuts(), this.#onnx);
    this.#dying = exitOnFatal(this.#onnx, () => {});
    port.on('message', (m: ToLowRes) => this.#onMessage(m));
  }

  /** Loads both tiers' networks and says which can run here. */
  async #warmup(): Promise<void> {
    const [neural, learned] = await Promise.allSettled([this.#pipeline.loadNeural(), this.#pipeline.loadLearned()]);
    const why = [neural, learned].flatMap((r) =>
      r.status === 'rejected' ? [(r.reason instanceof Error ? r.reason.message : String(r.reason)).split('\n')[0]] : [],
    );
    this.#send({
      kind: 'warm',
      neural: neural.status === 'fulfilled',
      learned: learned.status === 'fulfilled',
      ...(why.length ? { message: why.join('; ') } : {}),
    });
  }

  #send(m: FromLowRes, transfer: ArrayBuffer[] = []): void {
    this.port.postMessage(m, transfer);
  }

  #onMessage(m: ToLowRes): void {
    if (this.#closing || this.#dying()) return;
    switch (m.kind) {
      case 'styles':
        for (const img of m.images) this.#styles.put(img);
        return;
      case 'styleRemoved':
        this.#styles.delete(m.id);
        return;
      case 'forget':
        // after the updates already queued: one of the session's would bring its state back
        this.#chain = this.#chain.then(() => this.#pipeline.forget(m.sid));
        return;
      case 'close':
        this.#closing = true;
        void this.#chain.then(() => whenIdle(this.#onnx)).then(() => process.exit(0));
        return;
      case 'warmup':
        void this.#warmup();
        return;
      case 'cancel':
        if (this.#queued.has(m.id)) this.#cancelled.add(m.id);
        return;
      case 'update':
        this.#queued.add(m.id);
        this.#chain = this.#chain.then(async () => {
          try {
            this.#garbage.check();
            const r = await this.#pipeline.update(m.req, () => this.#cancelled.has(m.id));
            const grid = r.grid.buffer as ArrayBuffer;
            const sessions = this.#pipeline.sessionCount;
            this.#send({ kind: 'updated', id: m.id, grid, tier: r.tier, stages: r.stages, cut: r.cut, sessions }, [
              grid,
            ]);
          } catch (e) {
            if (e instanceof LowResCancelled) this.#send({ kind: 'cancelled', id: m.id });
            else this.#send({ kind: 'failed', id: m.id, message: e instanceof Error ? e.message : String(e) });
          } finally {
            this.#queued.delete(m.id);
            this.#cancelled.delete(m.id);
          }
        });
        return;
    }
  }
}

if (!parentPort) throw new Error('lowres_worker must run in a worker thread');
new LowResThread(parentPort, workerData as LowResWorkerData);
