// The low-resolution path of the localized stylizer (Xia et al. 2021, sections 3 and 7):
// from one downscaled frame and its speaker mask, a stylized target per region (neural:
// distilled VGG + ST-AdaIN; fast: Laplacian features), a bilateral grid fitted per region
// (Γf, Γb), and the two blended in grid space through the soft grid mask into the one grid
// the full-resolution path slices. It runs in its own thread (lowres_worker.ts), every r
// frames, and never blocks a frame. What a session keeps here between updates is its
// LowResSession (lowres_session.ts).
import { fastTargets } from './fast_targets.js';
import { blendGrids, fillAffine, gridLength, IDENTITY_AFFINE, type GridShape } from '../image/grid.js';
import { DEFAULT_FIT, GridFitter } from './grid_fit.js';
import type { GuideLuts } from '../image/guide.js';
import type { LowResRequest, LowResResult } from '../pool/thread_messages.js';
import type { OnnxRuntime } from '../runtime/onnx_session.js';
import { LearnedPath } from './learned_path.js';
import { stopIfCancelled } from '../pool/engine_error.js';
import { LowResSession } from './lowres_session.js';
import { NeuralTargets } from './neural_targets.js';
import { SoftGridMask } from '../image/soft_grid_mask.js';
import type { StyleEntry, StyleStore } from '../runtime/style_store.js';

/** a region covering less than this share of the low-res frame is not stylized separately */
const MIN_REGION_SHARE = 0.005;

export class LowResPipeline {
  private neural: Promise<NeuralTargets> | null = null;
  private readonly fitter: GridFitter;
  private readonly softMask: SoftGridMask;
  private readonly sessions = new Map<string, LowResSession>();
  private readonly learned: LearnedPath;
  private weightsF = new Float32Array(0);
  private weightsB = new Float32Array(0);
  private targetF = new Float32Array(0);
  private targetB = new Float32Array(0);

  constructor(
    private readonly styles: StyleStore,
    private readonly shape: GridShape,
    private readonly luts: GuideLuts,
    private readonly onnx: OnnxRuntime,
  ) {
    this.fitter = new GridFitter(shape);
    this.softMask = new SoftGridMask(shape);
    this.learned = new LearnedPath(shape, onnx);
  }

  /** Loads the networks (also done lazily by the first neural update). */
  loadNeural(): Promise<NeuralTargets> {
    if (!this.neural) {
      this.neural = NeuralTargets.create(this.onnx);
      this.neural.catch(() => {
        this.neural = null;
      });
    }
    return this.neural;
  }

  /** Loads the learned tier's networks (also done by its first update). */
  async loadLearned(): Promise<void> {
    await this.learned.load();
  }

  /** The session ended: its state here goes. */
  forget(sid: string): void {
    this.sessions.delete(sid);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * One update. `stopped`: says when its result would be dropped; it is asked between the
   * update's steps (before it starts, after the encoder, before the fit), where the update then
   * ends with LowResCancelled.
   */
  async update(req: LowResRequest, stopped?: () => boolean): Promise<LowResResult> {
    const { width: w, height: h, yuv, mask } = req;
    const n = w * h;
    if (yuv.length !== 3 * n || mask.length !== n) throw new RangeError(`low-res buffers do not match ${w}x${h}`);
    stopIfCancelled(stopped);
    let st = this.sessions.get(req.sid);
    if (!st) {
      st = new LowResSession(this.shape);
      this.sessions.set(req.sid, st);
    }
    const t0 = performance.now();
    this.ensure(n);
    let area = 0;
    for (let i = 0; i < n; i++) {
      const m = mask[i] / 255;
      this.weightsF[i] = m;
      this.weightsB[i] = 1 - m;
      area += m;
    }
    const natural = this.styles.get('natural');
    // a region (almost) absent from the frame is not stylized: its grid nodes are not read
    const fgStyle = area >= MIN_REGION_SHARE * n ? this.styles.get(req.fg) : natural;
    const bgStyle = n - area >= MIN_REGION_SHARE * n ? this.styles.get(req.bg) : natural;
    const stages: Record<string, number> = {};
    const cut = st.sceneChanged(yuv, n);
    if (req.tier === 'learned') {
      const grid = await this.learned.update(req, st, fgStyle, bgStyle, cut, stages, stopped);
      stages.lowres = performance.now() - t0;
      return { grid, tier: req.tier, stages, cut };
    }
    if (cut) st.tc.reset();
    if (req.tier === 'neural') {
      const net = await this.loadNeural();
      const t = await net.targets(
        w,
        h,
        yuv,
        this.weightsF,
        { style: fgStyle, out: this.targetF },
        { style: bgStyle, out: this.targetB },
        st.tc,
        req.tcAdainAlpha,
        stopped,
      );
      stages.encode = t.prepMs + t.encodeMs;
      stages.adain = t.adainMs;
      stages.decode = t.decodeMs;
    } else {
      const t = performance.now();
      fastTargets(w, h, yuv, [
        { style: fgStyle, weights: this.weightsF, out: this.targetF },
        { style: bgStyle, weights: this.weightsB, out: this.targetB },
      ]);
      stages.targets = performance.now() - t;
    }
    stopIfCancelled(stopped);
    const t1 = performance.now();
    this.fitRegion(st, w, h, yuv, mask, fgStyle, this.targetF, this.weightsF, st.gridF);
    this.fitRegion(st, w, h, yuv, mask, bgStyle, this.targetB, this.weightsB, st.gridB);
    st.warm = true;
    const t2 = performance.now();
    const gridMask = this.softMask.compute(w, h, yuv, 3, mask, this.luts);
    const grid = blendGrids(new Float32Array(gridLength(this.shape)), st.gridF, st.gridB, gridMask);
    const t3 = performance.now();
    stages.fit = t2 - t1;
    stages.blend = t3 - t2;
    stages.lowres = t3 - t0;
    return { grid, tier: req.tier, stages, cut };
  }

  private fitRegion(
    st: LowResSession,
    w: number,
    h: number,
    yuv: Float32Array,
    mask: Uint8Array,
    style: StyleEntry,
    target: Float32Array,
    weights: Float32Array,
    grid: Float32Array,
  ): void {
    if (style.natural) {
      fillAffine(grid, IDENTITY_AFFINE);
      return;
    }
    this.fitter.fit(
      { width: w, height: h, content: yuv, target, weights, mask },
      { luts: this.luts, ...DEFAULT_FIT },
      grid,
      st.warm ? grid : undefined,
    );
  }

  private ensure(n: number): void {
    if (this.weightsF.length === n) return;
    this.weightsF = new Float32Array(n);
    this.weightsB = new Float32Array(n);
    this.targetF = new Float32Array(3 * n);
    this.targetB = new Float32Array(3 * n);
  }
}
