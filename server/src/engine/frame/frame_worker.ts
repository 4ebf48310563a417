// Engine worker thread (the frame thread): one FrameThread owns the thread's EngineContext (a
// WebAssembly kernels, a style cache, its onnxruntime, the artistic looks' networks, the
// low-res worker its sessions share), the segmentation model session, and the FrameSession of
// every session assigned to it. Style changes are handled in the order they arrive; one that
// picks an artistic look whose network is still loading waits for it (and fails, touching
// nothing, when it did not load).
// Frames arrive as transferred ArrayBuffers and go back the same way (no copy across
// threads). Messages: pool/thread_messages.ts (ToEngineThread / FromEngineThread).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { EngineErrorCode, EngineWorkerData, FromEngineThread, ToEngineThread } from '../pool/thread_messages.js';
import { Segmenter } from '../segmentation/segmenter.js';
import { SpeakerMask } from '../segmentation/speaker_mask.js';
import { UnknownStyleError } from '../runtime/style_store.js';
import { exitOnFatal, whenIdle } from '../runtime/thread_exit.js';
import { createEngineContext, loadNetworks, type EngineContext } from './engine_context.js';
import { FrameSession } from './frame_session.js';

class FrameThread {
  readonly #ctx: EngineContext;
  readonly #sessions = new Map<string, FrameSession>();
  /** one segmentation model session per thread; without it sessions use the whole frame */
  #segmenter: Segmenter | null = null;
  /** the networks and the segmentation model are loaded (sessions open after that) */
  readonly #loaded: Promise<void>;
  /** live sessions on the whole server (their shares of the low-res budget) */
  #serverSessions = 1;
  #ending = false;
  readonly #dying: () => boolean;
  /** opens and look changes, in arrival order (one may wait for an artistic network to load) */
  #looks: Promise<void> = Promise.resolve();

  constructor(
    private readonly port: MessagePort,
    data: EngineWorkerData,
  ) {
    const ctx = createEngineContext(data.tierMode, data.onnx);
    this.#ctx = ctx;
    // the networks and the segmenter load before the thread takes sessions (their tier
    // depends on which networks run here)
    const networks = loadNetworks(ctx);
    const segmenter =
      data.segmentation === 'off'
        ? Promise.resolve()
        : Segmenter.create(ctx.onnx).then(
            (s) => {
              this.#segmenter = s;
            },
            (e: unknown) => {
              console.warn(
                `[engine] segmentation unavailable, the whole frame is the speaker: ${String(e).split('\n')[0]}`,
              );
            },
          );
    this.#loaded = Promise.all([networks, segmenter]).then(() => {});
    this.#dying = exitOnFatal(ctx.onnx, async (e) => {
      this.#ending = true;
      this.#send({ kind: 'fatal', message: e instanceof Error ? e.message : String(e) });
      await ctx.lowres?.close();
    });
    port.on('message', (m: ToEngineThread) => this.#onMessage(m));
    void this.#loaded.then(() => this.#send({ kind: 'ready' }));
  }

  #send(m: FromEngineThread, transfer: ArrayBuffer[] = []): void {
    this.port.postMessage(m, transfer);
  }

  /** An error reply; the frame and mask buffers, when given, go back with it. */
  #replyError(id: number, code: EngineErrorCode, message: string, buffer?: ArrayBuffer, mask?: ArrayBuffer): void {
    this.#send(
      { kind: 'error', id, code, message, buffer, mask },
      [buffer, mask].filter((b): b is ArrayBuffer => !!b),
    );
  }

  #fail(id: number, err: unknown, buffer?: ArrayBuffer, mask?: ArrayBuffer): void {
    this.#replyError(
      id,
      err instanceof UnknownStyleError ? 'unknown_style' : 'internal',
      err instanceof Error ? err.message : String(err),
      buffer,
      mask,
    );
  }

  /** The thread's work ends: stop taking work, let the low-res worker and the model runs finish, exit. */
  async #finish(code: number): Promise<never> {
    this.#ending = true;
    await this.#ctx.lowres?.close();
    await whenIdle(this.#ctx.onnx);
    process.exit(code);
  }

  /**
   * Runs `apply` after the earlier opens and look changes, once the thread is loaded and the
   * artistic networks among `looks` are; replies ok (unless `apply` returns false: it replied
   * itself), or the error (a look that cannot be shown changes nothing).
   */
  #inOrder(id: number, looks: string[], apply: () => boolean | void): void {
    const run = async () => {
      await this.#loaded;
      await this.#ctx.artistic.ready(looks);
      if (this.#ending) return;
      if (apply() !== false) this.#send({ kind: 'ok', id });
    };
    this.#looks = this.#looks.then(run).catch((e: unknown) => this.#fail(id, e));
  }

  /** The session `sid`, or an error reply (and undefined) when it has none here. */
  #session(id: number, sid: string, buffer?: ArrayBuffer, mask?: ArrayBuffer): FrameSession | undefined {
    const s = this.#sessions.get(sid);
    if (!s) this.#replyError(id, 'no_session', `no session ${sid}`, buffer, mask);
    return s;
  }

  #onMessage(m: ToEngineThread): void {
    if (this.#ending || this.#dying()) return;
    const ctx = this.#ctx;
    switch (m.kind) {
      case 'styles':
        for (const img of m.images) ctx.styles.put(img);
        ctx.artistic.put(m.images);
        ctx.lowres?.putStyles(m.images);
        return;
      case 'styleRemoved':
        ctx.styles.delete(m.id);
        ctx.artistic.remove(m.id);
        ctx.lowres?.removeStyle(m.id);
        return;
      case 'open':
        this.#inOrder(m.id, [m.fg, m.bg], () => {
          this.#sessions.get(m.sid)?.close();
          const seg = this.#segmenter;
          const fs = new FrameSession(
            ctx,
            m.fg,
            m.bg,
            seg ? new SpeakerMask(seg.stream(ctx.kernels), {}, ctx.kernels) : null,
            m.sid,
          );
          fs.engine.setSessionCount(this.#serverSessions);
          this.#sessions.set(m.sid, fs);
        });
        return;
      case 'frame': {
        const s = this.#session(m.id, m.sid, m.buffer, m.mask);
        if (!s) return;
        const transfer = m.mask ? [m.buffer, m.mask] : [m.buffer];
        s.process(
          { width: m.width, height: m.height, data: new Uint8Array(m.buffer) },
          m.now,
          m.mask ? new Uint8Array(m.mask) : undefined,
          m.dropped ?? 0,
        ).then(
          (report) => this.#send({ kind: 'frameDone', id: m.id, buffer: m.buffer, report, mask: m.mask }, transfer),
          (e: unknown) => this.#fail(m.id, e, m.buffer, m.mask),
        );
        return;
      }
      case 'setStyle':
        this.#inOrder(m.id, [m.fg, m.bg], () => {
          const s = this.#session(m.id, m.sid);
          s?.setStyle(m.fg, m.bg, m.transitionMs, m.now);
          return !!s;
        });
        return;
      case 'setOptions':
        this.#inOrder(m.id, [], () => {
          const s = this.#session(m.id, m.sid);
          s?.setOptions({ maskMode: m.maskMode, showMask: m.showMask }, m.transitionMs, m.now);
          return !!s;
        });
        return;
      case 'close':
        this.#sessions.get(m.sid)?.close();
        this.#sessions.delete(m.sid);
        this.#send({ kind: 'ok', id: m.id });
        return;
      case 'load':
        this.#serverSessions = m.sessions;
        for (const s of this.#sessions.values()) s.engine.setSessionCount(m.sessions);
        return;
      case 'shutdown':
        void this.#finish(0);
        return;
      case 'census': {
        const all = [...this.#sessions.values()];
        this.#send({
          kind: 'census',
          id: m.id,
          sessions: all.map((s) => s.sid),
          masks: all.filter((s) => s.hasMaskState).map((s) => s.sid),
        });
        return;
      }
      case 'fault':
        // fault injection for the fault-tolerance tests (enabled by the pool only when configured)
        if (m.what === 'exit') {
          void this.#finish(3);
          return;
        }
        setImmediate(() => {
          throw new Error(`injected fault in session ${m.sid}`);
        });
        return;
    }
  }
}

if (!parentPort) throw new Error('frame_worker must run in a worker thread');
new FrameThread(parentPort, workerData as EngineWorkerData);
