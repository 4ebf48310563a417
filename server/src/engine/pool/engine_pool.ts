// Main-thread side of the engine: a pool of worker threads (one per core by default), each
// owning the SessionEngines assigned to it. A session stays on one worker (its state lives
// there); a worker that dies is replaced and its sessions are reopened on the new one.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { MaskMode } from '../../../../shared/protocol.js';
import type { EngineWorkerData, FromWorker, ToWorker } from './thread_messages.js';
import { i420Size } from '../image/i420.js';
import type { FrameReport } from '../frame/session_engine.js';
import type { StyleImage } from '../runtime/style_store.js';
import { endWorker } from '../runtime/worker_end.js';
import { workerScript } from '../runtime/worker_script.js';

export class EngineError extends Error {
  constructor(readonly code: 'unknown_style' | 'no_session' | 'internal' | 'closed', message: string) { super(message); }
}


type Pending = { resolve: (m: FromWorker) => void; reject: (e: Error) => void };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

class EngineThread {
  worker!: Worker;
  ready!: Promise<void>;
  readonly sessions = new Set<EngineHandle>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  alive = false;

  constructor(readonly index: number, private readonly data: EngineWorkerData, private readonly onDeath: (t: EngineThread, why: string) => void) {
    this.spawn();
  }

  spawn(): void {
    this.worker = new Worker(workerScript('frame/frame_worker'), { name: `engine-${this.index}`, workerData: this.data });
    this.alive = true;
    this.ready = new Promise((resolve, reject) => {
      const onMsg = (m: FromWorker) => { if (m.kind === 'ready') { this.worker.off('message', onMsg); resolve(); } };
      this.worker.on('message', onMsg);
      this.worker.once('error', reject);
    });
    this.ready.catch(() => {});
    const w = this.worker;
    this.worker.on('message', (m: FromWorker) => {
      if (m.kind === 'ready') return;
      if (m.kind === 'fatal') { died(m.message); return; }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      p.resolve(m);
    });
    const died = (why: string) => {
      if (this.worker !== w || !this.alive) return;
      this.alive = false;
      const err = new EngineError('internal', `engine thread ${this.index} stopped: ${why}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.onDeath(this, why);
    };
    w.on('error', (e) => died(e.message));
    w.on('exit', (code) => died(`exit code ${code}`));
  }

  post(m: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  request(m: DistributiveOmit<ToWorker, 'id'>, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    if (!this.alive) return Promise.reject(new EngineError('internal', `engine thread ${this.index} is restarting`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id } as ToWorker, transfer);
    });
  }

  /** Ends the thread once its inference runs are done (terminated after 4 s at worst). */
  async terminate(): Promise<void> {
    this.alive = false;
    await endWorker(this.worker, { kind: 'shutdown', id: 0 } satisfies ToWorker, 4000);
  }
}

function check(m: FromWorker): FromWorker {
  if (m.kind === 'error') throw new EngineError(m.code, m.message);
  return m;
}

export interface ProcessedFrame {
  width: number;
  height: number;
  /** view on the handle's own buffer: valid until the next process() call */
  data: Uint8Array;
  report: FrameReport;
  /** the speaker mask (width x height, 0..255), when asked for; valid until the next call */
  mask?: Uint8Array;
}

/** One session's connection to its engine thread. */
export class EngineHandle {
  private buffer: ArrayBuffer | null = new ArrayBuffer(0);
  private maskBuffer: ArrayBuffer = new ArrayBuffer(0);
  private closed = false;
  /** the stylized frame when the engine returned it smaller than the camera's (level 4) */
  private smaller = new Uint8Array(0);
  /** the session's mask options (reapplied when its thread is replaced) */
  readonly options: { maskMode?: MaskMode; showMask?: boolean } = {};

  constructor(readonly sid: string, public thread: EngineThread, public fg: string, public bg: string,
    private readonly pool: EnginePool) {}

  /** Copies the frame into this session's buffer and stylizes it on the engine thread. */
  async process(frame: { width: number; height: number; data: Uint8Array }, withMask = false, dropped = 0): Promise<ProcessedFrame> {
    if (this.closed) throw new EngineError('closed', 'session closed');
    const { width, height } = frame;
    const bytes = i420Size(width, height);
    if (frame.data.length < bytes) throw new EngineError('internal', `short I420 frame ${frame.data.length} < ${bytes}`);
    let buf = this.buffer;
    if (!buf) throw new EngineError('internal', 'a frame is already in flight for this session');
    if (buf.byteLength !== bytes) buf = new ArrayBuffer(bytes);
    new Uint8Array(buf).set(frame.data.subarray(0, bytes));
    this.buffer = null;
    let mask: ArrayBuffer | undefined;
    if (withMask) mask = this.maskBuffer.byteLength === width * height ? this.maskBuffer : new ArrayBuffer(width * height);
    try {
      const m = await this.thread.request({ kind: 'frame', sid: this.sid, width, height, buffer: buf, now: performance.now(), mask, dropped }, mask ? [buf, mask] : [buf]);
      if (m.kind === 'error' && m.buffer) this.buffer = m.buffer;
      if ((m.kind === 'error' || m.kind === 'frameDone') && m.mask) this.maskBuffer = m.mask;
      const done = check(m);
      if (done.kind !== 'frameDone') throw new EngineError('internal', `unexpected reply ${done.kind}`);
      this.buffer = done.buffer;
      // at degradation level 4 the engine returns a half-size frame at the start of the same
      // buffer: copied into a buffer of its own size (wrtc reads the whole ArrayBuffer)
      const w = done.report.width, h = done.report.height;
      let data = new Uint8Array(done.buffer);
      if (w !== width || h !== height) {
        const n = i420Size(w, h);
        if (this.smaller.length !== n) this.smaller = new Uint8Array(n);
        this.smaller.set(data.subarray(0, n));
        data = this.smaller;
      }
      return { width: w, height: h, data, report: done.report, mask: done.mask ? new Uint8Array(done.mask, 0, w * h) : undefined };
    } finally {
      if (!this.buffer) this.buffer = new ArrayBuffer(bytes); // lost with a dead thread
    }
  }

  async setStyle(fg: string, bg: string, transitionMs: number): Promise<void> {
    if (this.closed) throw new EngineError('closed', 'session closed');
    check(await this.thread.request({ kind: 'setStyle', sid: this.sid, fg, bg, transitionMs, now: performance.now() }));
    this.fg = fg; this.bg = bg;
  }

  async setOptions(o: { maskMode?: MaskMode; showMask?: boolean }, transitionMs: number): Promise<void> {
    if (this.closed) throw new EngineError('closed', 'session closed');
    check(await this.thread.request({ kind: 'setOptions', sid: this.sid, ...o, transitionMs, now: performance.now() }));
    Object.assign(this.options, o);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.buffer = null;
    this.thread.sessions.delete(this);
    this.pool.broadcastLoad();
    if (this.thread.alive) await this.thread.request({ kind: 'close', sid: this.sid }).catch(() => {});
  }

  /** Test hook: makes this session's engine thread throw (only when the pool allows faults). */
  async injectFault(what: 'throw' | 'exit'): Promise<void> {
    if (!this.pool.options.allowFaults) throw new EngineError('internal', 'fault injection disabled');
    this.thread.post({ kind: 'fault', id: 0, sid: this.sid, what });
  }
}

export interface EnginePoolOptions {
  threads: number;
  allowFaults: boolean;
  /** inference provider and threads, tier selection */
  engine: EngineWorkerData;
}

export class EnginePool extends EventEmitter {
  private readonly threads: EngineThread[] = [];
  private styles = new Map<string, StyleImage>();
  private closing = false;
  restarts = 0;

  constructor(readonly options: EnginePoolOptions) {
    super();
    for (let i = 0; i < options.threads; i++) this.threads.push(new EngineThread(i, options.engine, (t, why) => this.onDeath(t, why)));
  }

  async ready(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.ready));
  }

  putStyles(images: StyleImage[]): void {
    for (const img of images) this.styles.set(img.id, img);
    for (const t of this.threads) if (t.alive) t.post({ kind: 'styles', images });
  }

  removeStyle(id: string): void {
    this.styles.delete(id);
    for (const t of this.threads) if (t.alive) t.post({ kind: 'styleRemoved', id });
  }

  async open(sid: string, fg: string, bg: string): Promise<EngineHandle> {
    if (this.closing) throw new EngineError('closed', 'engine is shutting down');
    const live = this.threads.filter((t) => t.alive);
    if (!live.length) throw new EngineError('internal', 'no engine thread available');
    const t = live.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
    check(await t.request({ kind: 'open', sid, fg, bg }));
    const h = new EngineHandle(sid, t, fg, bg, this);
    t.sessions.add(h);
    this.broadcastLoad();
    return h;
  }

  /** Session ids with engine state, and those with segmentation state, over all threads (leak checks). */
  async census(): Promise<{ sessions: string[]; masks: string[] }> {
    const lists = await Promise.all(this.threads.filter((t) => t.alive).map(async (t) => {
      const m = await t.request({ kind: 'census' });
      return m.kind === 'census' ? m : { sessions: [], masks: [] };
    }));
    return { sessions: lists.flatMap((l) => l.sessions), masks: lists.flatMap((l) => l.masks) };
  }

  /** Tells every thread how many sessions share the machine (low-res budget shares). */
  broadcastLoad(): void {
    const n = this.sessionCount;
    for (const t of this.threads) if (t.alive) t.post({ kind: 'load', sessions: n });
  }

  get threadCount(): number { return this.threads.length; }
  get sessionCount(): number { return this.threads.reduce((n, t) => n + t.sessions.size, 0); }

  private onDeath(t: EngineThread, why: string): void {
    if (this.closing) return;
    this.restarts++;
    this.emit('threadDied', { index: t.index, why, sessions: [...t.sessions].map((h) => h.sid) });
    t.spawn();
    t.post({ kind: 'styles', images: [...this.styles.values()] });
    // reopen the sessions that lived there; their smoothing state starts afresh
    for (const h of t.sessions) {
      t.request({ kind: 'open', sid: h.sid, fg: h.fg, bg: h.bg })
        .then(() => (h.options.maskMode !== undefined || h.options.showMask !== undefined
          ? t.request({ kind: 'setOptions', sid: h.sid, ...h.options, transitionMs: 0, now: performance.now() }) : undefined))
        .catch(() => {});
    }
    this.broadcastLoad();
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.threads.map((t) => t.terminate().catch(() => {})));
  }
}
