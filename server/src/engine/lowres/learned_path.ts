// The learned tier's update inside the low-res worker: the frame squashed to the network's
// side, the grid network (learned_grids.ts) for both regions' grids, the soft grid mask from
// the (enhanced) mask with the learned guide, and the grids blended in grid space. Owns the
// networks (one set per variant, loaded on first use) and the buffers (no allocation per
// update but the grid that travels back).
import { blendGrids, createGrid, gridLength, type GridShape } from '../image/grid.js';
import { guideLutsFromTables, type GuideLuts } from '../image/guide.js';
import { SoftGridMask } from '../image/soft_grid_mask.js';
import type { LearnedVariant, LowResRequest } from '../pool/thread_messages.js';
import type { OnnxRuntime } from '../runtime/onnx_session.js';
import type { StyleEntry } from '../runtime/style_store.js';
import { LearnedGrids, squashFrame, type LearnedInput, type LearnedOutput } from './learned_grids.js';
import type { LowResSession } from './lowres_session.js';
import { stopIfCancelled } from '../pool/engine_error.js';

interface Loaded {
  net: LearnedGrids;
  luts: GuideLuts;
}

export class LearnedPath {
  readonly #loaded = new Map<LearnedVariant, Promise<Loaded>>();
  readonly #softMask: SoftGridMask;
  #input: LearnedInput = { rgb: new Float32Array(0), mask: new Float32Array(0) };
  #luma = new Float32Array(0);
  #maskU8 = new Uint8Array(0);
  readonly #out: LearnedOutput;

  constructor(
    private readonly shape: GridShape,
    private readonly onnx: OnnxRuntime,
  ) {
    this.#softMask = new SoftGridMask(shape);
    this.#out = {
      gridF: createGrid(shape),
      gridB: createGrid(shape),
      mask: new Float32Array(0),
      ms: { mask: 0, net: 0 },
    };
  }

  /** Loads a variant's networks (also done by its first update); rejects when they are not there. */
  load(variant: LearnedVariant = 'main'): Promise<Loaded> {
    let p = this.#loaded.get(variant);
    if (!p) {
      p = LearnedGrids.create(this.onnx, variant).then((net) => {
        const g = net.guide,
          s = this.shape;
        if (g.nx !== s.nx || g.ny !== s.ny || g.nz !== s.nz) {
          throw new Error(
            `grid network predicts ${g.nx}x${g.ny}x${g.nz} grids; the engine slices ${s.nx}x${s.ny}x${s.nz}`,
          );
        }
        return { net, luts: guideLutsFromTables(g.zY, g.zM) };
      });
      p.catch(() => this.#loaded.delete(variant));
      this.#loaded.set(variant, p);
    }
    return p;
  }

  /**
   * One update; `cut`: this frame starts a new scene (the ST-AdaIN state is not blended in).
   * Returns the blended grid and the stages' ms.
   */
  async update(
    req: LowResRequest,
    st: LowResSession,
    fg: StyleEntry,
    bg: StyleEntry,
    cut: boolean,
    stages: Record<string, number>,
    stopped?: () => boolean,
  ): Promise<Float32Array> {
    const { net, luts } = await this.load(req.learnedVariant);
    stopIfCancelled(stopped);
    const L = net.side,
      S = net.guide.S,
      n = L * L;
    const t0 = performance.now();
    if (this.#luma.length !== n) {
      this.#input = { rgb: new Float32Array(3 * n), mask: new Float32Array(n) };
      this.#luma = new Float32Array(n);
      this.#maskU8 = new Uint8Array(n);
      this.#out.mask = new Float32Array(n);
    }
    squashFrame(req.yuv, req.mask, req.width, req.height, L, this.#input, this.#luma);
    const fresh = !st.learnedState || st.learnedState.length !== 2 * S;
    if (fresh) st.learnedState = new Float32Array(2 * S);
    // TC-AdaIN at the weight the network was trained with; off for the first update, after a
    // cut, and in the no-TC-AdaIN ablation (tcAdainAlpha 0)
    const alpha = fresh || cut || req.tcAdainAlpha <= 0 ? 0 : net.guide.alpha;
    const t1 = performance.now();
    const out = await net.run(this.#input, { fg, bg }, st.learnedState!, alpha, req.maskEnhancement, this.#out);
    const t2 = performance.now();
    for (let i = 0; i < n; i++) this.#maskU8[i] = Math.round(255 * out.mask[i]);
    const gridMask = this.#softMask.compute(L, L, this.#luma, 1, this.#maskU8, luts);
    const grid = blendGrids(new Float32Array(gridLength(this.shape)), out.gridF, out.gridB, gridMask);
    stages.prep = t1 - t0;
    stages.maskNet = out.ms.mask;
    stages.gridNet = out.ms.net;
    stages.blend = performance.now() - t2;
    return grid;
  }
}
