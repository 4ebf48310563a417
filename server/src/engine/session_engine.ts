// The per-session stylizer: everything one viewer's stream needs between frames (smoothed
// statistics, current and previous grids, the running style transition) lives here.
// One instance per session, owned by the engine thread that processes its frames.
import { blendStats, colorStats, copyStats, emptyStats, type ColorStats } from './color.js';
import { downscaleI420, lowResSize, type LowRes } from './downscale.js';
import { DEFAULT_TRANSFER, colorTransferAffine } from './global_transfer.js';
import { blendGrids, COEFFS, createGrid, IDENTITY_AFFINE, lerpGrid, type GridShape } from './grid.js';
import type { GuideLuts } from './guide.js';
import type { I420Frame } from './i420.js';
import type { StyleEntry, StyleStore } from './style_store.js';
import { smoothstep, type Transition, transitionWeight } from './transition.js';
import type { WasmSlicer } from './wasm_kernels.js';

export type Tier = 'neural' | 'fast' | 'global';
export type MaskSource = 'full-frame' | 'live' | 'reused';

export interface EngineContext {
  slicer: WasmSlicer;
  styles: StyleStore;
  shape: GridShape;
  luts: GuideLuts;
}

export interface FrameReport {
  /** ms per stage */
  stages: Record<string, number>;
  totalMs: number;
  tier: Tier;
  r: number;
  mask: MaskSource;
  /** style weight of the current look (1 outside transitions) */
  transition: number;
}

export interface SessionEngineOptions {
  /** per-frame weight of the newest statistics (temporal smoothing) */
  statsAlpha: number;
  /** long side of the low-resolution copy used for statistics */
  statsSize: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionEngineOptions = { statsAlpha: 0.2, statsSize: 160 };

/** Soft grid mask of the split guide: speaker nodes are the upper half of z. */
export function splitGridMask(s: GridShape): Float32Array {
  const m = new Float32Array(s.nx * s.ny * s.nz);
  for (let n = 0; n < m.length; n++) m[n] = n % s.nz >= s.nz / 2 ? 1 : 0;
  return m;
}

export class SessionEngine {
  private fg: string;
  private bg: string;
  private transition: Transition | null = null;
  private readonly opts: SessionEngineOptions;
  private low: LowRes | undefined;
  private readonly frameStats = { fg: emptyStats(), bg: emptyStats(), fresh: true };
  private readonly scratch = emptyStats();
  private readonly affine = new Float32Array(COEFFS);
  private readonly gridF: Float32Array;
  private readonly gridB: Float32Array;
  private readonly gridNew: Float32Array;
  private readonly gridOld: Float32Array;
  private readonly gridOut: Float32Array;
  private readonly gridMask: Float32Array;
  private frames = 0;

  constructor(private readonly ctx: EngineContext, fg: string, bg: string, opts: Partial<SessionEngineOptions> = {}) {
    ctx.styles.get(fg); ctx.styles.get(bg); // throws UnknownStyleError early
    this.fg = fg; this.bg = bg;
    this.opts = { ...DEFAULT_SESSION_OPTIONS, ...opts };
    const s = ctx.shape;
    this.gridF = createGrid(s); this.gridB = createGrid(s);
    this.gridNew = createGrid(s); this.gridOld = createGrid(s); this.gridOut = createGrid(s);
    this.gridMask = splitGridMask(s);
  }

  get styles(): { foreground: string; background: string } {
    return { foreground: this.fg, background: this.bg };
  }

  /** Starts a transition to a new pair of looks; the first changed frame is the next one. */
  setStyle(fg: string, bg: string, transitionMs: number, nowMs: number): void {
    this.ctx.styles.get(fg); this.ctx.styles.get(bg);
    if (fg === this.fg && bg === this.bg) return;
    if (transitionMs > 0) {
      // a transition interrupted by another starts from the pair on screen now
      this.transition = { fromFg: this.fg, fromBg: this.bg, startMs: nowMs, durationMs: transitionMs };
    } else {
      this.transition = null;
    }
    this.fg = fg; this.bg = bg;
  }

  /** Stylizes `frame` in place. */
  processFrame(frame: I420Frame, nowMs: number): FrameReport {
    const t0 = performance.now();
    const size = lowResSize(frame.width, frame.height, this.opts.statsSize);
    this.low = downscaleI420(frame, size.width, size.height, this.low);
    const t1 = performance.now();
    this.updateStats(this.low);
    const t2 = performance.now();
    this.buildGrid(this.fg, this.bg, this.gridNew);
    let w = 1;
    if (this.transition) {
      w = smoothstep(transitionWeight(this.transition, nowMs));
      if (w >= 1) {
        this.transition = null;
      } else {
        this.buildGrid(this.transition.fromFg, this.transition.fromBg, this.gridOld);
        lerpGrid(this.gridNew, this.gridOld, this.gridNew, w);
      }
    }
    this.gridOut.set(this.gridNew);
    const t3 = performance.now();
    this.ctx.slicer.slice(frame, this.gridOut, this.ctx.shape, this.ctx.luts, { constant: 255 });
    const t4 = performance.now();
    this.frames++;
    return {
      stages: { downscale: t1 - t0, stats: t2 - t1, grid: t3 - t2, slice: t4 - t3 },
      totalMs: t4 - t0, tier: 'global', r: 1, mask: 'full-frame', transition: w,
    };
  }

  /** Temporally smoothed colour statistics of both regions (full-frame mask for now). */
  private updateStats(low: LowRes): void {
    const s = colorStats(low.yuv, undefined, this.scratch);
    const st = this.frameStats;
    if (st.fresh) {
      copyStats(st.fg, s); copyStats(st.bg, s); st.fresh = false;
    } else {
      blendStats(st.fg, s, this.opts.statsAlpha); blendStats(st.bg, s, this.opts.statsAlpha);
    }
  }

  /** Global tier: one affine per region, blended in grid space by the split mask. */
  private buildGrid(fg: string, bg: string, out: Float32Array): void {
    this.fillRegion(this.frameStats.fg, this.ctx.styles.get(fg), this.gridF);
    this.fillRegion(this.frameStats.bg, this.ctx.styles.get(bg), this.gridB);
    blendGrids(out, this.gridF, this.gridB, this.gridMask);
  }

  private fillRegion(content: ColorStats, style: StyleEntry, grid: Float32Array): void {
    if (style.natural) this.affine.set(IDENTITY_AFFINE);
    else colorTransferAffine(content, style.color, DEFAULT_TRANSFER, this.affine);
    const a = this.affine;
    for (let o = 0; o < grid.length; o += COEFFS) for (let c = 0; c < COEFFS; c++) grid[o + c] = a[c];
  }

  get frameCount(): number { return this.frames; }

  dispose(): void {
    this.transition = null;
    this.low = undefined;
  }
}
