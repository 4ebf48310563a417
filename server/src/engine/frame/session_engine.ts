// A session's stylizer on its engine thread: the global look (global_look.ts), the keyframe
// grids from the low-res path and their interpolation, the running style transition and the tier policy. It is
// one part of the session's FrameSession (frame_session.ts), which also holds the speaker mask and the mask
// looks; the session's low-res state (TC-AdaIN statistics, warm-start grids) lives on the low-res worker
// (lowres/lowres_session.ts). pool/engine_pool.ts lists every holder.
//
// Per frame (full resolution): the grid for this frame is the low-res path's latest grids interpolated linearly
// over r frames (grid temporal sub-sampling, Xia et al. section 7), or, until the first one arrives and in the
// `global` tier, a grid of one affine per region from smoothed global colour statistics; during a style change
// it is blended from the grid that was on screen (section 4.4), and a pair's first low-res grid fades in from
// the global one the same way (FIRST_GRID_FADE_MS); then it is sliced into the I420 frame in place.
// Every r frames the low-res path runs asynchronously in the low-res worker.
import { Downscaler, lowResSize, type LowRes } from '../image/downscale.js';
import { MotionMeter } from '../image/motion_meter.js';
import { createGrid, lerpGrid } from '../image/grid.js';
import type { I420Frame } from '../image/i420.js';
import type { GuideLuts } from '../image/guide.js';
import { LowResCancelled } from '../pool/engine_error.js';
import type { FrameReport, LearnedVariant, LowResResult, LowResTier, Tier } from '../pool/thread_messages.js';
import type { EngineContext } from './engine_context.js';
import { GlobalLook } from './global_look.js';
import { TierPolicy } from './tier_policy.js';
import { smoothstep, type Transition, transitionWeight } from './transition.js';

export interface SessionEngineOptions {
  /** global tier: per-frame weight of the newest colour statistics in their moving average */
  globalStatsEma: number;
  /** long side of the low-resolution copy used for statistics */
  statsSize: number;
  /** long side of the low-res path's input (a multiple of 8 short side) */
  lowResSize: number;
  /** low-res path, TC-AdaIN (Xia et al. eq. 5-6): weight α of the previous update's content statistics */
  tcAdainAlpha: number;
  /** fixed r (benchmarks); null adapts */
  fixedR: number | null;
  /** evaluation: keep the first keyframe grid for the rest of the session (no further low-res updates) */
  freezeGrid: boolean;
  /** learned tier: the network variant ('notemporal': trained without the temporal loss, an ablation) */
  learnedVariant: LearnedVariant;
  /** learned tier: refine the low-res mask with the mask enhancement network (off: an ablation) */
  maskEnhancement: boolean;
}

/** frames between statistics refreshes of the global grids (global tier, before keyframes) */
const GLOBAL_STRIDE = 3;
/** while the picture is still (this many frames in a row), low-res updates at least this many frames apart */
const STILL_FRAMES = 6;
const STILL_R = 8;
/**
 * the first low-res grid of a pair fades in from the global grids on screen over this long (a
 * look change's default transition), not over r frames: the two looks differ by a whole
 * look's worth, which in one frame is a visible jump (eval start-up rows)
 */
export const FIRST_GRID_FADE_MS = 500;

export const DEFAULT_SESSION_OPTIONS: SessionEngineOptions = {
  globalStatsEma: 0.2,
  statsSize: 160,
  lowResSize: 256,
  tcAdainAlpha: 0.5,
  fixedR: null,
  freezeGrid: false,
  learnedVariant: 'main',
  maskEnhancement: true,
};

export class SessionEngine {
  private fg: string;
  private bg: string;
  private transition: Transition | null = null;
  private readonly opts: SessionEngineOptions;
  readonly policy: TierPolicy;
  /** the frame's low-res images (statistics, the low-res update's input), in the thread's WebAssembly */
  private readonly downscaler: Downscaler;
  private readonly motion = new MotionMeter();
  private low: LowRes | undefined;
  private readonly globalLook: GlobalLook;
  private statsMask: Uint8Array = new Uint8Array(0);
  private readonly gridGlobal: Float32Array;
  private readonly gridLocal: Float32Array;
  private readonly keyFrom: Float32Array;
  private keyTo: Float32Array;
  private readonly gridFrozen: Float32Array;
  private readonly gridShown: Float32Array;
  /** keyframe interpolation: frames since the last grid arrived, over how many frames */
  private keyT = 0;
  private keyR = 1;
  private haveKey = false;
  /** the pair's first grid landed: the next frame starts its fade-in from what is on screen */
  private fadeIn = false;
  /** style generation: low-res results for an older pair are dropped */
  private gen = 0;
  /** the low-res update in flight (null: none); aborted when a new pair of looks (or the end) would drop its result */
  private stopUpdate: AbortController | null = null;
  private immediate = true;
  private sinceUpdate = 0;
  private lastLowres: Record<string, number> = {};
  private landedMs = 0;
  private frames = 0;
  private closed = false;
  /** the pair changed: rebuild the global grids on the next frame */
  private globalDirty = true;

  constructor(
    private readonly ctx: EngineContext,
    fg: string,
    bg: string,
    opts: Partial<SessionEngineOptions> = {},
    readonly sid = '',
  ) {
    this.downscaler = new Downscaler(ctx.kernels);
    ctx.styles.get(fg);
    ctx.styles.get(bg); // throws UnknownStyleError early
    this.fg = fg;
    this.bg = bg;
    this.opts = { ...DEFAULT_SESSION_OPTIONS, ...opts };
    const s = ctx.shape;
    this.globalLook = new GlobalLook(s);
    this.gridGlobal = createGrid(s);
    this.gridLocal = createGrid(s);
    this.keyFrom = createGrid(s);
    this.keyTo = createGrid(s);
    this.gridFrozen = createGrid(s);
    this.gridShown = createGrid(s);
    const start: Tier = !ctx.lowres
      ? 'global'
      : ctx.tierMode !== 'auto'
        ? ctx.tierMode
        : ctx.learnedAvailable
          ? 'learned'
          : ctx.neuralAvailable
            ? 'neural'
            : 'fast';
    this.policy = new TierPolicy(start, ctx.tierMode !== 'auto', this.opts.fixedR);
  }

  get styles(): { foreground: string; background: string } {
    return { foreground: this.fg, background: this.bg };
  }

  get tier(): Tier {
    return this.policy.tier;
  }

  /** ms of all the low-res updates that have landed (grows; the stats count the difference) */
  get lowresTotalMs(): number {
    return this.landedMs;
  }

  /** True while a low-res update is running (benchmarks at r = 1 wait for it). */
  get updating(): boolean {
    return this.stopUpdate !== null;
  }

  /** Live sessions on the whole server: this one's share of the low-res budget is 1/n. */
  setSessionCount(n: number): void {
    this.policy.share = 1 / Math.max(1, n);
  }

  /** `n` camera frames were dropped before this session's next frame (the machine is behind). */
  noteDrops(n: number, nowMs?: number): void {
    this.policy.framesDropped(n, nowMs);
  }

  /** Starts a transition to a new pair of looks; the first changed frame is the next one. */
  setStyle(fg: string, bg: string, transitionMs: number, nowMs: number): void {
    this.ctx.styles.get(fg);
    this.ctx.styles.get(bg);
    if (fg === this.fg && bg === this.bg) return;
    // from whatever is on screen now (also when interrupting a transition)
    this.transition =
      transitionMs > 0 && this.frames
        ? { fromFg: this.fg, fromBg: this.bg, startMs: nowMs, durationMs: transitionMs }
        : null;
    if (this.frames) this.gridFrozen.set(this.gridShown);
    this.fg = fg;
    this.bg = bg;
    // the new pair shows at once through its global grids; its localized grid is computed now
    // (the update for the old pair stops: its result would be dropped, and the new pair's
    // update would wait for it, while it takes the CPU the first frames of the new looks need)
    this.gen++;
    this.stopUpdate?.abort();
    this.haveKey = false;
    this.fadeIn = false;
    this.immediate = true;
    this.globalDirty = true;
  }

  /**
   * Stylizes `frame` in place. `mask`: the speaker mask at the frame's resolution (0
   * background .. 255 speaker, soft at the edge); without one the whole frame is the speaker.
   */
  processFrame(frame: I420Frame, nowMs: number, mask?: Uint8Array): FrameReport {
    if (mask && mask.length < frame.width * frame.height) throw new RangeError('mask smaller than the frame');
    const t0 = performance.now();
    this.policy.frame(nowMs);
    this.motion.measure(frame);
    // the global grids are what shows until the low-res path answers (and at a style change):
    // their statistics are refreshed every frame at first, then every GLOBAL_STRIDE frames
    // (smoothed over time anyway; the global tier is what an overloaded machine falls back
    // to, so it must stay cheap), and every 8th frame while keyframes are in use
    const stride = this.haveKey && this.policy.tier !== 'global' ? 8 : this.frames < 6 ? 1 : GLOBAL_STRIDE;
    const refresh = this.frames % stride === 0;
    if (refresh) {
      const size = lowResSize(frame.width, frame.height, this.opts.statsSize);
      this.low = this.downscaler.i420(frame, size.width, size.height, this.low);
    }
    const t1 = performance.now();
    if (refresh) {
      if (mask)
        this.statsMask = this.downscaler.mask(
          mask,
          frame.width,
          frame.height,
          this.low!.width,
          this.low!.height,
          this.statsMask,
        );
      this.globalLook.update(this.low!, mask ? this.statsMask : null, 1 - (1 - this.opts.globalStatsEma) ** stride);
    }
    // a new pair of looks shows at once through its global grids
    if (refresh || this.globalDirty) {
      this.globalLook.build(this.ctx.styles.get(this.fg), this.ctx.styles.get(this.bg), this.gridGlobal);
      this.globalDirty = false;
    }
    const t2 = performance.now();
    if (this.policy.tier !== 'global' && this.ctx.lowres) this.maybeUpdate(frame, mask);
    const t3 = performance.now();
    if (this.fadeIn) {
      this.fadeIn = false;
      this.gridFrozen.set(this.gridShown);
      this.transition = { fromFg: this.fg, fromBg: this.bg, startMs: nowMs, durationMs: FIRST_GRID_FADE_MS };
    }
    const local = this.localGrid();
    let w = 1;
    if (this.transition) {
      w = smoothstep(transitionWeight(this.transition, nowMs));
      if (w >= 1) this.transition = null;
    }
    lerpGrid(this.gridShown, this.gridFrozen, local, this.transition ? w : 1);
    const t4 = performance.now();
    this.ctx.kernels.slice(
      frame,
      this.gridShown,
      this.ctx.shape,
      this.guide(),
      mask ? { plane: mask } : { constant: 255 },
    );
    const t5 = performance.now();
    this.frames++;
    this.sinceUpdate++;
    return {
      stages: {
        downscale: t1 - t0,
        stats: t2 - t1,
        dispatch: t3 - t2,
        grid: t4 - t3,
        slice: t5 - t4,
        lowres: this.lastLowres.lowres ?? 0,
      },
      lowres: this.lastLowres,
      lowresTotalMs: this.lowresTotalMs,
      totalMs: t5 - t0,
      tier: this.policy.tier,
      r: this.policy.tier === 'global' ? 1 : this.policy.r,
      mask: mask ? 'live' : 'full-frame',
      transition: w,
      width: frame.width,
      height: frame.height,
      degradation: this.policy.level,
      bestTier: this.policy.bestTier,
    };
  }

  /** The guide the grid on screen is sliced with: the learned tier's own, or the hand-made one. */
  private guide(): GuideLuts {
    return this.haveKey && this.policy.tier === 'learned'
      ? this.ctx.learnedLuts.get(this.opts.learnedVariant)
      : this.ctx.luts;
  }

  /** The grid of the current pair for this frame: keyframes interpolated over r frames. */
  private localGrid(): Float32Array {
    if (!this.haveKey || this.policy.tier === 'global') return this.gridGlobal;
    this.keyT++;
    return lerpGrid(this.gridLocal, this.keyFrom, this.keyTo, Math.min(1, this.keyT / this.keyR));
  }

  /** Starts a low-res update when none runs and r frames have passed (or the pair changed). */
  private maybeUpdate(frame: I420Frame, fullMask: Uint8Array | undefined): void {
    // a still picture needs few keyframes: at least STILL_R frames apart
    const r = this.motion.stillFor(STILL_FRAMES) ? Math.max(this.policy.r, STILL_R) : this.policy.r;
    if (this.stopUpdate || (!this.immediate && this.sinceUpdate < r)) return;
    if (this.opts.freezeGrid && this.haveKey) return;
    const lowres = this.ctx.lowres!;
    const size = lowResSize(frame.width, frame.height, this.opts.lowResSize);
    const n = size.width * size.height;
    // the buffers travel to the low-res worker: fresh ones per update (every r frames)
    const { yuv } = this.downscaler.i420(frame, size.width, size.height);
    const mask = fullMask
      ? this.downscaler.mask(fullMask, frame.width, frame.height, size.width, size.height, new Uint8Array(n))
      : new Uint8Array(n).fill(255);
    const gen = this.gen,
      tier = this.policy.tier as LowResTier,
      t = performance.now(),
      stop = new AbortController();
    this.stopUpdate = stop;
    this.immediate = false;
    this.sinceUpdate = 0;
    lowres
      .update(
        {
          sid: this.sid,
          width: size.width,
          height: size.height,
          yuv,
          mask,
          fg: this.fg,
          bg: this.bg,
          tier,
          tcAdainAlpha: this.opts.tcAdainAlpha,
          learnedVariant: this.opts.learnedVariant,
          maskEnhancement: this.opts.maskEnhancement,
        },
        stop.signal,
      )
      .finally(() => {
        this.stopUpdate = null;
      })
      .then(
        (res) => {
          if (this.closed) return;
          this.policy.updated(performance.now() - t);
          if (gen !== this.gen || res.tier !== this.policy.tier) {
            this.immediate = true;
            return;
          }
          this.accept(res);
        },
        (e: unknown) => {
          if (!this.closed && !(e instanceof LowResCancelled)) this.policy.failed();
        },
      );
  }

  /**
   * A new keyframe grid: interpolate to it from the grid in use over r frames (after a scene
   * cut: at once). The pair's first one fades in from the global grids on screen (unless a look
   * change's own transition is running).
   */
  private accept(res: LowResResult): void {
    const first = !this.haveKey && !res.cut;
    if (first && !this.transition && this.frames > 0) this.fadeIn = true;
    this.keyFrom.set(res.cut || this.fadeIn ? res.grid : this.haveKey ? this.gridLocal : this.gridGlobal);
    this.keyTo = res.grid;
    this.keyT = 0;
    this.keyR = this.policy.r;
    this.haveKey = true;
    this.lastLowres = res.stages;
    this.landedMs += res.stages.lowres ?? 0;
  }

  get frameCount(): number {
    return this.frames;
  }

  /** The session ended: later low-res results are dropped and the low-res worker forgets it. */
  close(): void {
    this.closed = true;
    this.transition = null;
    this.low = undefined;
    this.stopUpdate?.abort();
    this.ctx.lowres?.forgetSession(this.sid);
  }
}
