// Engine-thread side of the low-resolution worker: spawns it, forwards the style images,
// and turns update requests into promises. A worker that dies fails its pending updates
// (the sessions keep their current grids and fall back a tier) and is respawned on the next
// request. Messages: pool/thread_messages.ts (ToLowRes / FromLowRes).
import { Worker } from 'node:worker_threads';
import { LowResCancelled } from '../pool/engine_error.js';
import type { FromLowRes, LowResRequest, LowResResult, LowResWorkerData, ToLowRes } from '../pool/thread_messages.js';
import type { OnnxOptions } from '../runtime/onnx_session.js';
import type { StyleImage } from '../runtime/style_store.js';
import { endWorker } from '../runtime/worker_end.js';
import { ENGINE_WORKER_LIMITS } from '../runtime/worker_limits.js';
import { workerScript } from '../runtime/worker_script.js';

/** Which tiers' networks load in the low-res worker. */
export interface LowResNetworks {
  neural: boolean;
  learned: boolean;
}

type Pending = { resolve: (r: LowResResult) => void; reject: (e: Error) => void };

export class LowResClient {
  #worker: Worker | null = null;
  readonly #pending = new Map<number, Pending>();
  readonly #images = new Map<string, StyleImage>();
  #nextId = 1;
  #warm: Promise<LowResNetworks> | null = null;

  constructor(private readonly onnx: OnnxOptions) {}

  putStyles(images: StyleImage[]): void {
    for (const i of images) this.#images.set(i.id, i);
    this.#post({ kind: 'styles', images });
  }

  removeStyle(id: string): void {
    this.#images.delete(id);
    this.#post({ kind: 'styleRemoved', id });
  }

  /** Loads the networks; says which tiers' networks can run here (the others are then off). */
  ready(): Promise<LowResNetworks> {
    if (!this.#warm) {
      const w = this.#ensure();
      this.#warm = new Promise((resolve) => {
        const onMsg = (m: FromLowRes) => {
          if (m.kind === 'warm') {
            w.off('message', onMsg);
            if (m.message) console.warn(`[engine] low-res networks: ${m.message}`);
            resolve({ neural: m.neural, learned: m.learned });
          }
        };
        w.on('message', onMsg);
        w.once('exit', () => resolve({ neural: false, learned: false }));
        w.postMessage({ kind: 'warmup' } satisfies ToLowRes);
      });
    }
    return this.#warm;
  }

  /**
   * Runs one low-res update; the request's buffers are transferred to the worker. Aborting
   * `signal` stops it at its next step in the worker (skipped while it waits behind another
   * session's): the promise then rejects with LowResCancelled, unless the result came first.
   */
  update(req: LowResRequest, signal?: AbortSignal): Promise<LowResResult> {
    const w = this.#ensure();
    const id = this.#nextId++;
    const cancel = () => this.#post({ kind: 'cancel', id });
    return new Promise<LowResResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ kind: 'update', id, req } satisfies ToLowRes, [
        req.yuv.buffer as ArrayBuffer,
        req.mask.buffer as ArrayBuffer,
      ]);
      signal?.addEventListener('abort', cancel, { once: true });
    }).finally(() => signal?.removeEventListener('abort', cancel));
  }

  /** A session ended: the worker drops its state (TC-AdaIN statistics, warm-start grids). */
  forgetSession(sid: string): void {
    this.#post({ kind: 'forget', sid });
  }

  /** Ends the worker once its running update is done (terminated after 3 s at worst). */
  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    if (w) await endWorker(w, { kind: 'close' } satisfies ToLowRes, 3000);
  }

  #post(m: ToLowRes): void {
    this.#worker?.postMessage(m);
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const data: LowResWorkerData = { onnx: this.onnx };
    const w = new Worker(workerScript('lowres/lowres_worker'), {
      name: 'lowres',
      workerData: data,
      resourceLimits: ENGINE_WORKER_LIMITS,
    });
    w.unref();
    w.on('message', (m: FromLowRes) => {
      if (m.kind === 'warm') return;
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.kind === 'updated')
        p.resolve({ grid: new Float32Array(m.grid), tier: m.tier, stages: m.stages, cut: m.cut, sessions: m.sessions });
      else if (m.kind === 'cancelled') p.reject(new LowResCancelled());
      else p.reject(new Error(m.message));
    });
    const died = (why: string): void => {
      if (this.#worker !== w) return;
      this.#worker = null;
      this.#warm = null;
      for (const p of this.#pending.values()) p.reject(new Error(`low-res worker ${why}`));
      this.#pending.clear();
    };
    w.on('error', (e) => died(`failed: ${e.message}`));
    w.on('exit', (code) => died(`exited (${code})`));
    this.#worker = w;
    if (this.#images.size) w.postMessage({ kind: 'styles', images: [...this.#images.values()] } satisfies ToLowRes);
    return w;
  }
}
