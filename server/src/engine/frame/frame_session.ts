// Everything one session owns on its engine thread: the stylizer state (SessionEngine), the
// artistic looks' layers and cross-fade (ArtisticLook), the speaker mask state (SpeakerMask),
// the mask looks' buffers (MaskEffects) and the session's options. One object per session,
// released by close().
//
// A region with an artistic look is natural for the photoreal stylizer (its grid leaves those
// colours alone) and gets the look composited in pixel space by the mask after the slicing;
// when a frame's artistic layers cover both regions the slicing is skipped (it would not show),
// and while one artistic look covers both, so is the segmentation.
import type { MaskMode } from '../../../../shared/protocol.js';
import { halveI420InPlace } from '../image/downscale.js';
import type { I420Frame } from '../image/i420.js';
import type { FrameReport } from '../pool/thread_messages.js';
import type { SpeakerMask } from '../segmentation/speaker_mask.js';
import { ArtisticLook, type ArtisticOptions, type ArtisticPair } from './artistic_look.js';
import type { EngineContext } from './engine_context.js';
import { MaskEffects } from './mask_effects.js';
import { SessionEngine, type SessionEngineOptions } from './session_engine.js';

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

/** Where a session's speaker masks come from: its SpeakerMask (or given masks: evaluation). */
export type MaskProvider = Pick<SpeakerMask, 'update' | 'noteDrops' | 'close'>;

/** Options of the session's two stylizers (engine tests, benchmarks, evaluation). */
export interface FrameSessionOptions {
  engine: Partial<SessionEngineOptions>;
  artistic: Partial<ArtisticOptions>;
}

export class FrameSession {
  readonly #ctx: EngineContext;
  readonly #engine: SessionEngine;
  readonly #artistic: ArtisticLook;
  readonly #mask: MaskProvider | null;
  readonly #effects = new MaskEffects();
  #fg: string;
  #bg: string;
  readonly #options: SessionOptions = { maskMode: 'styled', showMask: false };
  #frames = 0;
  #closed = false;

  /** Throws UnknownStyleError (or ArtisticUnavailableError) for a look it cannot show. */
  constructor(
    ctx: EngineContext,
    fg: string,
    bg: string,
    mask: MaskProvider | null,
    readonly sid: string,
    opts: Partial<FrameSessionOptions> = {},
  ) {
    this.#ctx = ctx;
    const art = this.#artisticPair(fg, bg);
    this.#engine = new SessionEngine(ctx, art.fg ? NATURAL : fg, art.bg ? NATURAL : bg, opts.engine ?? {}, sid);
    this.#artistic = new ArtisticLook(ctx.artistic, ctx.onnx, opts.artistic ?? {});
    this.#artistic.set(art, 0, 0, false);
    this.#mask = mask;
    this.#fg = fg;
    this.#bg = bg;
  }

  get engine(): SessionEngine {
    return this.#engine;
  }

  get artistic(): ArtisticLook {
    return this.#artistic;
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
    const m = this.#mask && this.#needsMask(!!maskOut) ? await this.#mask.update(frame, now) : null;
    if (maskOut) {
      if (m) maskOut.set(m.plane.subarray(0, n));
      else maskOut.fill(255, 0, n);
    }
    if (this.#closed) throw new Error(`session ${this.sid} closed`);
    // the artistic looks are rendered from the frame as it came (before the photoreal slicing)
    const art = this.#artistic,
      artStages = art.active ? await art.render(frame, now, this.#engine.policy.load) : null;
    if (this.#closed) throw new Error(`session ${this.sid} closed`);
    const report =
      artStages && art.covers(!!m) ? this.#unsliced(frame, now, !!m) : this.#engine.processFrame(frame, now, m?.plane);
    const compose = artStages ? art.compose(frame, m?.plane) : 0;
    this.#frames++;
    if (!m && !artStages) return report;
    const t0 = performance.now();
    if (m && this.#options.maskMode === 'blur-background') this.#effects.blurBackground(frame, m.plane);
    if (m && this.#options.showMask) this.#effects.tintBackground(frame, m.plane);
    const effects = performance.now() - t0;
    const seg = m ? m.stages.segment + m.stages.smooth + m.stages.enhance : 0;
    let artMs = compose;
    if (artStages) for (const v of Object.values(artStages)) artMs += v;
    return {
      ...report,
      stages: {
        ...report.stages,
        ...(m ? m.stages : {}),
        ...(artStages ? { ...artStages, 'artistic.compose': compose } : {}),
        effects,
      },
      totalMs: report.totalMs + seg + artMs + effects,
      mask: m ? m.source : report.mask,
      ...(artStages && art.internalSize
        ? { artistic: art.internalSize, transition: Math.min(report.transition, art.weight) }
        : {}),
    };
  }

  /**
   * Whether this frame needs its speaker mask: not while one artistic look covers both regions
   * (no fade, no mask look, nobody reading the mask), where segmenting would change nothing.
   */
  #needsMask(read: boolean): boolean {
    const o = this.#options;
    return read || o.showMask || o.maskMode === 'blur-background' || !this.#artistic.uniform;
  }

  /** The report of a frame the photoreal path did not touch (artistic looks cover it). */
  #unsliced(frame: I420Frame, now: number, masked: boolean): FrameReport {
    const e = this.#engine;
    e.policy.frame(now);
    return {
      stages: {},
      lowres: {},
      lowresTotalMs: e.lowresTotalMs,
      totalMs: 0,
      tier: e.tier,
      bestTier: e.policy.bestTier,
      r: e.tier === 'global' ? 1 : e.policy.r,
      mask: masked ? 'live' : 'full-frame',
      transition: 1,
      width: frame.width,
      height: frame.height,
      degradation: e.policy.level,
    };
  }

  /** The artistic look of each region (null: photoreal); throws for an artistic look whose network is not loaded. */
  #artisticPair(fg: string, bg: string): ArtisticPair {
    const models = this.#ctx.artistic,
      pair: ArtisticPair = { fg: models.has(fg) ? fg : null, bg: models.has(bg) ? bg : null };
    if (pair.fg) models.session(pair.fg);
    if (pair.bg) models.session(pair.bg);
    return pair;
  }

  /** Shows the looks `fg`, `bg` as the mask mode says: artistic ones in pixel space, the others through the grid. */
  #apply(fg: string, bg: string, mode: MaskMode, transitionMs: number, now: number): void {
    const looks = effectiveLooks(fg, bg, mode);
    const art = this.#artisticPair(looks.fg, looks.bg);
    this.#engine.setStyle(art.fg ? NATURAL : looks.fg, art.bg ? NATURAL : looks.bg, transitionMs, now);
    this.#artistic.set(art, transitionMs, now, this.#frames > 0);
  }

  setStyle(fg: string, bg: string, transitionMs: number, now: number): void {
    this.#apply(fg, bg, this.#options.maskMode, transitionMs, now);
    this.#fg = fg;
    this.#bg = bg;
  }

  /** Mode changes go through the same transition as a style change. */
  setOptions(o: Partial<SessionOptions>, transitionMs: number, now: number): void {
    if (o.showMask !== undefined) this.#options.showMask = o.showMask;
    if (o.maskMode !== undefined && o.maskMode !== this.#options.maskMode) {
      this.#apply(this.#fg, this.#bg, o.maskMode, transitionMs, now);
      this.#options.maskMode = o.maskMode;
    }
  }

  close(): void {
    this.#closed = true;
    this.#engine.close();
    this.#artistic.close();
    this.#mask?.close();
  }
}
