// Main-thread side of the engine: a pool of worker threads (one per core by default), each
// owning the sessions assigned to it. A session stays on one thread (its state lives there);
// a thread that dies is replaced and its sessions are reopened on the new one.
//
// Where a session's engine state lives, one holder per thread:
// - main thread: EngineHandle (engine_handle.ts): frame buffers, and a copy of the looks and
//   mask options to reopen the session when its thread is replaced;
// - engine thread: FrameSession (frame/frame_session.ts): the stylizer (SessionEngine: global
//   look (GlobalLook), keyframe grids, transition, tier policy), the speaker mask (SpeakerMask),
//   the mask looks' buffers and the mask options;
// - low-res worker: LowResSession (lowres/lowres_session.ts): TC-AdaIN statistics and the
//   warm-start grids of the fit, created by the session's first update.
// The media side (media/session.ts) owns the EngineHandle; closing it closes the other two.
import { EventEmitter } from 'node:events';
import type { StyleImage } from '../runtime/style_store.js';
import { checkReply, EngineError } from './engine_error.js';
import { EngineHandle, type HandleOwner } from './engine_handle.js';
import { EngineThread } from './engine_thread.js';
import type { EngineWorkerData } from './thread_messages.js';

export { EngineError } from './engine_error.js';
export type { EngineHandle, ProcessedFrame } from './engine_handle.js';
export type { FrameReport } from './thread_messages.js';

export interface EnginePoolOptions {
  threads: number;
  allowFaults: boolean;
  /** inference provider and threads, tier selection */
  engine: EngineWorkerData;
}

export interface EnginePoolEvents {
  threadDied: [{ index: number; why: string; sessions: string[] }];
}

export class EnginePool extends EventEmitter<EnginePoolEvents> implements HandleOwner {
  readonly #threads: EngineThread<EngineHandle>[] = [];
  readonly #styles = new Map<string, StyleImage>();
  #closing = false;
  #restarts = 0;

  constructor(readonly options: EnginePoolOptions) {
    super();
    for (let i = 0; i < options.threads; i++)
      this.#threads.push(new EngineThread(i, options.engine, (t, why) => this.#onDeath(t, why)));
  }

  get allowFaults(): boolean {
    return this.options.allowFaults;
  }
  get restarts(): number {
    return this.#restarts;
  }
  get threadCount(): number {
    return this.#threads.length;
  }
  get sessionCount(): number {
    return this.#threads.reduce((n, t) => n + t.sessions.size, 0);
  }

  async ready(): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.ready));
  }

  putStyles(images: StyleImage[]): void {
    for (const img of images) this.#styles.set(img.id, img);
    for (const t of this.#threads) if (t.alive) t.post({ kind: 'styles', images });
  }

  removeStyle(id: string): void {
    this.#styles.delete(id);
    for (const t of this.#threads) if (t.alive) t.post({ kind: 'styleRemoved', id });
  }

  async open(sid: string, fg: string, bg: string): Promise<EngineHandle> {
    if (this.#closing) throw new EngineError('closed', 'engine is shutting down');
    const live = this.#threads.filter((t) => t.alive);
    if (!live.length) throw new EngineError('internal', 'no engine thread available');
    const t = live.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
    checkReply(await t.request({ kind: 'open', sid, fg, bg }));
    const h = new EngineHandle(sid, t, fg, bg, this);
    t.sessions.add(h);
    this.#broadcastLoad();
    return h;
  }

  /** Session ids with engine state, and those with segmentation state, over all threads (leak checks). */
  async census(): Promise<{ sessions: string[]; masks: string[] }> {
    const lists = await Promise.all(
      this.#threads
        .filter((t) => t.alive)
        .map(async (t) => {
          const m = await t.request({ kind: 'census' });
          return m.kind === 'census' ? m : { sessions: [], masks: [] };
        }),
    );
    return { sessions: lists.flatMap((l) => l.sessions), masks: lists.flatMap((l) => l.masks) };
  }

  /** A handle closed (HandleOwner): it leaves its thread. */
  released(h: EngineHandle): void {
    h.thread.sessions.delete(h);
    this.#broadcastLoad();
  }

  /** Tells every thread how many sessions share the machine (low-res budget shares). */
  #broadcastLoad(): void {
    const n = this.sessionCount;
    for (const t of this.#threads) if (t.alive) t.post({ kind: 'load', sessions: n });
  }

  #onDeath(t: EngineThread<EngineHandle>, why: string): void {
    if (this.#closing) return;
    this.#restarts++;
    this.emit('threadDied', { index: t.index, why, sessions: [...t.sessions].map((h) => h.sid) });
    t.spawn();
    t.post({ kind: 'styles', images: [...this.#styles.values()] });
    // reopen the sessions that lived there; their smoothing state starts afresh
    for (const h of t.sessions) h.reopen().catch(() => {});
    this.#broadcastLoad();
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#threads.map((t) => t.close().catch(() => {})));
  }
}
