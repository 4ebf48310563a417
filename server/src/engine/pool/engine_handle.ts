// One session's connection to its engine thread, on the main thread: the session's frame
// buffers (reused frame after frame; they travel to the thread and back) and the main
// thread's copy of its looks and mask options, from which the pool reopens it on a new thread
// when its thread dies.
import type { MaskMode } from '../../../../shared/protocol.js';
import { i420Size } from '../image/i420.js';
import { checkReply, EngineError } from './engine_error.js';
import type { EngineThread } from './engine_thread.js';
import type { FrameReport, MaskOptions } from './thread_messages.js';

export interface ProcessedFrame {
  width: number;
  height: number;
  /** view on the handle's own buffer: valid until the next process() call */
  data: Uint8Array;
  report: FrameReport;
  /** the speaker mask (width x height, 0..255), when asked for; valid until the next call */
  mask?: Uint8Array;
}

/** What a handle needs from its pool. */
export interface HandleOwner {
  readonly allowFaults: boolean;
  /** the handle closed: it leaves its thread and the shares of the low-res budget change */
  released(h: EngineHandle): void;
}

export class EngineHandle {
  #thread: EngineThread<EngineHandle>;
  #buffer: ArrayBuffer | null = new ArrayBuffer(0);
  #maskBuffer: ArrayBuffer = new ArrayBuffer(0);
  #closed = false;
  /** the stylized frame when the engine returned it smaller than the camera's (level 4) */
  #smaller = new Uint8Array(0);
  #fg: string;
  #bg: string;
  readonly #options: MaskOptions = {};

  constructor(
    readonly sid: string,
    thread: EngineThread<EngineHandle>,
    fg: string,
    bg: string,
    private readonly owner: HandleOwner,
  ) {
    this.#thread = thread;
    this.#fg = fg;
    this.#bg = bg;
  }

  get fg(): string {
    return this.#fg;
  }
  get bg(): string {
    return this.#bg;
  }
  get thread(): EngineThread<EngineHandle> {
    return this.#thread;
  }

  /** The mask options in force (what was set; unset ones are the engine's defaults). */
  get options(): { maskMode: MaskMode; showMask: boolean } {
    return { maskMode: this.#options.maskMode ?? 'styled', showMask: this.#options.showMask ?? false };
  }

  /** Reopens the session on its (respawned) thread from the main thread's copy of its state. */
  async reopen(): Promise<void> {
    const t = this.#thread;
    await t.request({ kind: 'open', sid: this.sid, fg: this.#fg, bg: this.#bg });
    if (this.#options.maskMode !== undefined || this.#options.showMask !== undefined) {
      await t.request({ kind: 'setOptions', sid: this.sid, ...this.#options, transitionMs: 0, now: performance.now() });
    }
  }

  /** Copies the frame into this session's buffer and stylizes it on the engine thread. */
  async process(
    frame: { width: number; height: number; data: Uint8Array },
    withMask = false,
    dropped = 0,
  ): Promise<ProcessedFrame> {
    if (this.#closed) throw new EngineError('closed', 'session closed');
    const { width, height } = frame;
    const bytes = i420Size(width, height);
    if (frame.data.length < bytes)
      throw new EngineError('internal', `short I420 frame ${frame.data.length} < ${bytes}`);
    let buf = this.#buffer;
    if (!buf) throw new EngineError('internal', 'a frame is already in flight for this session');
    if (buf.byteLength !== bytes) buf = new ArrayBuffer(bytes);
    new Uint8Array(buf).set(frame.data.subarray(0, bytes));
    this.#buffer = null;
    let mask: ArrayBuffer | undefined;
    if (withMask)
      mask = this.#maskBuffer.byteLength === width * height ? this.#maskBuffer : new ArrayBuffer(width * height);
    try {
      const m = await this.#thread.request(
        { kind: 'frame', sid: this.sid, width, height, buffer: buf, now: performance.now(), mask, dropped },
        mask ? [buf, mask] : [buf],
      );
      if (m.kind === 'error' && m.buffer) this.#buffer = m.buffer;
      if ((m.kind === 'error' || m.kind === 'frameDone') && m.mask) this.#maskBuffer = m.mask;
      const done = checkReply(m);
      if (done.kind !== 'frameDone') throw new EngineError('internal', `unexpected reply ${done.kind}`);
      this.#buffer = done.buffer;
      // at degradation level 4 the engine returns a half-size frame at the start of the same
      // buffer: copied into a buffer of its own size (wrtc reads the whole ArrayBuffer)
      const w = done.report.width,
        h = done.report.height;
      let data = new Uint8Array(done.buffer);
      if (w !== width || h !== height) {
        const n = i420Size(w, h);
        if (this.#smaller.length !== n) this.#smaller = new Uint8Array(n);
        this.#smaller.set(data.subarray(0, n));
        data = this.#smaller;
      }
      return {
        width: w,
        height: h,
        data,
        report: done.report,
        mask: done.mask ? new Uint8Array(done.mask, 0, w * h) : undefined,
      };
    } finally {
      if (!this.#buffer) this.#buffer = new ArrayBuffer(bytes); // lost with a dead thread
    }
  }

  async setStyle(fg: string, bg: string, transitionMs: number): Promise<void> {
    if (this.#closed) throw new EngineError('closed', 'session closed');
    checkReply(
      await this.#thread.request({ kind: 'setStyle', sid: this.sid, fg, bg, transitionMs, now: performance.now() }),
    );
    this.#fg = fg;
    this.#bg = bg;
  }

  async setOptions(o: MaskOptions, transitionMs: number): Promise<void> {
    if (this.#closed) throw new EngineError('closed', 'session closed');
    checkReply(
      await this.#thread.request({ kind: 'setOptions', sid: this.sid, ...o, transitionMs, now: performance.now() }),
    );
    if (o.maskMode !== undefined) this.#options.maskMode = o.maskMode;
    if (o.showMask !== undefined) this.#options.showMask = o.showMask;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffer = null;
    this.owner.released(this);
    if (this.#thread.alive) await this.#thread.request({ kind: 'close', sid: this.sid }).catch(() => {});
  }

  /** Test hook: makes this session's engine thread throw (only when the pool allows faults). */
  async injectFault(what: 'throw' | 'exit'): Promise<void> {
    if (!this.owner.allowFaults) throw new EngineError('internal', 'fault injection disabled');
    this.#thread.post({ kind: 'fault', id: 0, sid: this.sid, what });
  }
}
