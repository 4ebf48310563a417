// Everything one session owns on its engine thread: the stylizer state (SessionEngine), the
// speaker mask state (SpeakerMask), the mask looks' buffers (MaskEffects) and the session's
// options. One object, released by dispose().
import type { MaskMode } from '../../../../shared/protocol.js';
import { halveI420InPlace } from '../image/downscale.js';
import type { I420Frame } from '../image/i420.js';
import { MaskEffects } from './mask_effects.js';
import type { SpeakerMask } from '../segmentation/speaker_mask.js';
import { SessionEngine, type EngineContext, type FrameReport } from './session_engine.js';

export const NATURAL = 'natural';

export interface SessionOptions { maskMode: MaskMode; showMask: boolean }

/** The pair of looks the engine applies for the chosen looks and mask mode. */
export function effectiveLooks(fg: string, bg: string, mode: MaskMode): { fg: string; bg: string } {
  if (mode === 'background-only') return { fg: NATURAL, bg };
  if (mode === 'speaker-only') return { fg, bg: NATURAL };
  return { fg, bg };
}

export class WorkerSession {
  readonly engine: SessionEngine;
  private readonly effects = new MaskEffects();
  private fg: string;
  private bg: string;
  readonly options: SessionOptions = { maskMode: 'styled', showMask: false };
  private disposed = false;

  constructor(ctx: EngineContext, fg: string, bg: string, private readonly mask: SpeakerMask | null, readonly sid: string) {
    this.engine = new SessionEngine(ctx, fg, bg, {}, sid);
    this.fg = fg; this.bg = bg;
  }

  get hasMaskState(): boolean { return !!this.mask && !this.disposed; }

  /**
   * Stylizes the frame in place; `maskOut` (optional, width x height) receives the speaker
   * mask. The stylized frame's size is report.width x report.height.
   */
  async process(input: I420Frame, now: number, maskOut?: Uint8Array, dropped = 0): Promise<FrameReport> {
    this.engine.noteDrops(dropped, now);
    this.mask?.noteDrops(dropped);
    // degradation level 4: the frame shrinks to half size in its own buffer (report.width/height)
    const frame = this.engine.policy.halfRes ? halveI420InPlace(input) : input;
    const n = frame.width * frame.height;
    const m = this.mask ? await this.mask.update(frame, now) : null;
    if (maskOut) { if (m) maskOut.set(m.plane.subarray(0, n)); else maskOut.fill(255, 0, n); }
    if (this.disposed) throw new Error(`session ${this.sid} closed`);
    const report = this.engine.processFrame(frame, now, m?.plane);
    const t0 = performance.now();
    if (m && this.options.maskMode === 'blur-background') this.effects.blurBackground(frame, m.plane);
    if (m && this.options.showMask) this.effects.tintBackground(frame, m.plane);
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
    const looks = effectiveLooks(fg, bg, this.options.maskMode);
    this.engine.setStyle(looks.fg, looks.bg, transitionMs, now);
    this.fg = fg; this.bg = bg;
  }

  /** Mode changes go through the same transition as a style change. */
  setOptions(o: Partial<SessionOptions>, transitionMs: number, now: number): void {
    if (o.showMask !== undefined) this.options.showMask = o.showMask;
    if (o.maskMode !== undefined && o.maskMode !== this.options.maskMode) {
      this.options.maskMode = o.maskMode;
      const looks = effectiveLooks(this.fg, this.bg, o.maskMode);
      this.engine.setStyle(looks.fg, looks.bg, transitionMs, now);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.engine.dispose();
    this.mask?.dispose();
  }
}
