// One engine worker thread as the main thread sees it: the Worker running
// frame/frame_worker.ts, its requests in flight (each answered by id), and the handles of the
// sessions assigned to it. A thread that dies fails its pending requests and tells the pool,
// which respawns it (spawn()) and reopens its sessions.
import { Worker } from 'node:worker_threads';
import { endWorker } from '../runtime/worker_end.js';
import { ENGINE_WORKER_LIMITS } from '../runtime/worker_limits.js';
import { workerScript } from '../runtime/worker_script.js';
import { EngineError } from './engine_error.js';
import type { EngineWorkerData, FromEngineThread, ToEngineThread } from './thread_messages.js';

type Pending = { resolve: (m: FromEngineThread) => void; reject: (e: Error) => void };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class EngineThread<H = unknown> {
  #worker!: Worker;
  #ready!: Promise<void>;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #alive = false;
  /** the handles of the sessions that live on this thread */
  readonly sessions = new Set<H>();

  constructor(
    readonly index: number,
    private readonly data: EngineWorkerData,
    private readonly onDeath: (t: EngineThread<H>, why: string) => void,
  ) {
    this.spawn();
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** Resolves when the thread has loaded its models and takes sessions. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** Starts (or restarts) the worker. */
  spawn(): void {
    const w = new Worker(workerScript('frame/frame_worker'), {
      name: `engine-${this.index}`,
      workerData: this.data,
      resourceLimits: ENGINE_WORKER_LIMITS,
    });
    this.#worker = w;
    this.#alive = true;
    this.#ready = new Promise((resolve, reject) => {
      const onMsg = (m: FromEngineThread) => {
        if (m.kind === 'ready') {
          w.off('message', onMsg);
          resolve();
        }
      };
      w.on('message', onMsg);
      w.once('error', reject);
    });
    this.#ready.catch(() => {});
    const died = (why: string) => {
      if (this.#worker !== w || !this.#alive) return;
      this.#alive = false;
      const err = new EngineError('internal', `engine thread ${this.index} stopped: ${why}`);
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
      this.onDeath(this, why);
    };
    w.on('message', (m: FromEngineThread) => {
      if (m.kind === 'ready') return;
      if (m.kind === 'fatal') {
        died(m.message);
        return;
      }
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      p.resolve(m);
    });
    w.on('error', (e) => died(e.message));
    w.on('exit', (code) => died(`exit code ${code}`));
  }

  /** A message that needs no answer. */
  post(m: ToEngineThread, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(m, transfer);
  }

  /** A message answered by the thread (matched by id); rejects when the thread dies first. */
  request(m: DistributiveOmit<ToEngineThread, 'id'>, transfer: ArrayBuffer[] = []): Promise<FromEngineThread> {
    if (!this.#alive) return Promise.reject(new EngineError('internal', `engine thread ${this.index} is restarting`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...m, id } as ToEngineThread, transfer);
    });
  }

  /** Ends the thread once its inference runs are done (terminated after 4 s at worst). */
  async close(): Promise<void> {
    this.#alive = false;
    await endWorker(this.#worker, { kind: 'shutdown', id: 0 } satisfies ToEngineThread, 4000);
  }
}
