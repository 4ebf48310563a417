// Engine-thread side of the low-resolution worker: spawns it, forwards the style images,
// and turns update requests into promises. A worker that dies fails its pending updates
// (the sessions keep their current grids and fall back a tier) and is respawned on the next
// request.
import { Worker } from 'node:worker_threads';
import { workerScript } from '../runtime/worker_script.js';
import type { LowResRequest, LowResTier } from '../lowres/lowres_pipeline.js';
import type { OnnxOptions } from '../runtime/onnx_session.js';
import type { StyleImage } from '../runtime/style_store.js';
import { endWorker } from '../runtime/worker_end.js';

export interface LowResWorkerData { onnx: OnnxOptions }

export type LowResIn =
  | { kind: 'styles'; images: StyleImage[] }
  | { kind: 'styleRemoved'; id: string }
  | { kind: 'close'; sid: string }
  | { kind: 'warmup' }
  /** end once the running update is done (the engine thread is ending) */
  | { kind: 'drain' }
  | { kind: 'update'; id: number; req: LowResRequest };

export type LowResOut =
  | { kind: 'warm'; ok: boolean; message?: string }
  | { kind: 'updated'; id: number; grid: ArrayBuffer; tier: LowResTier; stages: Record<string, number> }
  | { kind: 'failed'; id: number; message: string };

export interface LowResReply { grid: Float32Array; tier: LowResTier; stages: Record<string, number> }

type Pending = { resolve: (r: LowResReply) => void; reject: (e: Error) => void };

export class LowResClient {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly images = new Map<string, StyleImage>();
  private nextId = 1;
  private warm: Promise<boolean> | null = null;

  constructor(private readonly onnx: OnnxOptions) {}

  putStyles(images: StyleImage[]): void {
    for (const i of images) this.images.set(i.id, i);
    this.worker?.postMessage({ kind: 'styles', images } satisfies LowResIn);
  }

  removeStyle(id: string): void {
    this.images.delete(id);
    this.worker?.postMessage({ kind: 'styleRemoved', id } satisfies LowResIn);
  }

  /** Loads the networks; resolves false when they cannot run here (the neural tier is then off). */
  neuralReady(): Promise<boolean> {
    if (!this.warm) {
      const w = this.ensure();
      this.warm = new Promise((resolve) => {
        const onMsg = (m: LowResOut) => { if (m.kind === 'warm') { w.off('message', onMsg); resolve(m.ok); } };
        w.on('message', onMsg);
        w.once('exit', () => resolve(false));
        w.postMessage({ kind: 'warmup' } satisfies LowResIn);
      });
    }
    return this.warm;
  }

  /** Runs one low-res update; the request's buffers are transferred to the worker. */
  update(req: LowResRequest): Promise<LowResReply> {
    const w = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ kind: 'update', id, req } satisfies LowResIn, [req.yuv.buffer as ArrayBuffer, req.mask.buffer as ArrayBuffer]);
    });
  }

  close(sid: string): void {
    this.worker?.postMessage({ kind: 'close', sid } satisfies LowResIn);
  }

  /** Ends the worker once its running update is done (terminated after 3 s at worst). */
  async drain(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await endWorker(w, { kind: 'drain' } satisfies LowResIn, 3000);
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(workerScript('lowres/lowres_worker'), { name: 'lowres', workerData: { onnx: this.onnx } satisfies LowResWorkerData });
    w.unref();
    w.on('message', (m: LowResOut) => {
      if (m.kind === 'warm') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.kind === 'updated') p.resolve({ grid: new Float32Array(m.grid), tier: m.tier, stages: m.stages });
      else p.reject(new Error(m.message));
    });
    const died = (why: string): void => {
      if (this.worker !== w) return;
      this.worker = null;
      this.warm = null;
      for (const p of this.pending.values()) p.reject(new Error(`low-res worker ${why}`));
      this.pending.clear();
    };
    w.on('error', (e) => died(`failed: ${e.message}`));
    w.on('exit', (code) => died(`exited (${code})`));
    this.worker = w;
    if (this.images.size) w.postMessage({ kind: 'styles', images: [...this.images.values()] } satisfies LowResIn);
    return w;
  }
}
