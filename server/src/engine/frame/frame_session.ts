// Everything one session owns on its engine thread: the stylizer state (SessionEngine), the
// speaker mask state (SpeakerMask), the mask looks' buffers (MaskEffects) and the session's
// options. One object per session, released by close().
import type { MaskMode } from '../../../../shared/protocol.js';
import { halveI420InPlace } from '../image/downscale.js';
import type { I420Frame } from '../image/i420.js';
import type { FrameReport } from '../pool/thread_messages.js';
import type { SpeakerMask } from '../segmentation/speaker_mask.js';
import type { EngineContext } from './engine_context.js';
import { MaskEffects } from './mask_effects.js';
import { SessionEngine } from './session_engine.js';

export const NATURAL = 'natural';

export interface SessionOptions {
  maskMode: MaskMode;
  showMask: boolean;
}

/** The pair of looks the engine applies for the chosen looks and mask mode. */
export function effectiveLooks(fg: string, bg: string, mode: MaskMode): { fg: string; bg: string } {
  if (mode === 'background-only') return { fg: NATURAL, bg };
  if (mode === 'speaker-only') return { fg, bg: NATURAL };
  return { fg, bg };
}

export class FrameSession {
  readonly #engine: SessionEngine;
  readonly #mask: SpeakerMask | null;
  readonly #effects = new MaskEffects();
  #fg: string;
  #bg: string;
  readonly #options: SessionOptions = { maskMode: 'styled', showMask: false };
  #closed = false;

  constructor(
    ctx: EngineContext,
    fg: string,
    bg: string,
    mask: SpeakerMask | null,
    readonly sid: string,
  ) {
    this.#engine = new SessionEngine(ctx, fg, bg, {}, sid);
    this.#mask = mask;
    this.#fg = fg;
    this.#bg = bg;
  }

  get engine(): SessionEngine {
    return this.#engine;
  }

  get options(): Readonly<SessionOptions> {
    return this.#options;
  }

  get hasMaskState(): boolean {
    return !!this.#mask && !this.#closed;
  }

  /**
   * Stylizes the frame in place; `maskOut` (optional, width x height) receives the speaker
   * mask. The stylized frame's size is report.width x report.height.
   */
  async process(input: I420Frame, now: number, maskOut?: Uint8Array, dropped = 0): Promise<FrameReport> {
    this.#engine.noteDrops(dropped, now);
    this.#mask?.noteDrops(dropped);
    // degradation level 4: the frame shrinks to half size in its own buffer (report.width/height)
    const frame = this.#engine.policy.halfRes ? halveI420InPlace(input) : input;
    const n = frame.width * frame.height;
    const m = this.#mask ? await this.#mask.update(frame, now) : null;
    if (maskOut) {
      if (m) maskOut.set(m.plane.subarray(0, n));
      else maskOut.fill(255, 0, n);
    }
    if (this.#closed) throw new Error(`session ${this.sid} closed`);
    const report = this.#engine.processFrame(frame, now, m?.plane);
    const t0 = performance.now();
    if (m && this.#options.maskMode === 'blur-background') this.#effects.blurBackground(frame, m.plane);
    if (m && this.#options.showMask) this.#effects.tintBackground(frame, m.plane);
    const effects = performance.now() - t0;
    if (!m) return report;
    const seg = m.stages.segment + m.stages.smooth + m.stages.enhance;
    return {
      ...report,
      stages: { ...report.stages, ...m.stages, effects },
      totalMs: report.totalMs + seg + effects,
      mask: m.source,
    };
  }

  setStyle(fg: string, bg: string, transitionMs: number, now: number): void {
    const looks = effectiveLooks(fg, bg, this.#options.maskMode);
    this.#engine.setStyle(looks.fg, looks.bg, transitionMs, now);
    this.#fg = fg;
    this.#bg = bg;
  }

  /** Mode changes go through the same transition as a style change. */
  setOptions(o: Partial<SessionOptions>, transitionMs: number, now: number): void {
    if (o.showMask !== undefined) this.#options.showMask = o.showMask;
    if (o.maskMode !== undefined && o.maskMode !== this.#options.maskMode) {
      this.#options.maskMode = o.maskMode;
      const looks = effectiveLooks(this.#fg, this.#bg, o.maskMode);
      this.#engine.setStyle(looks.fg, looks.bg, transitionMs, now);
    }
  }

  close(): void {
    this.#closed = true;
    this.#engine.close();
    this.#mask?.close();
  }
}
