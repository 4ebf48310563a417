// The `global` look of one session, on its engine thread: each region's colour statistics
// (under its mask), smoothed over time, and from them a grid of one affine per region (the
// closed-form colour transfer onto the region's style, global_transfer.ts) blended in grid space
// by the split mask. It is what shows until the low-res path's first grid lands, at a style
// change, and at the `global` tier an overloaded machine falls back to. Owned by SessionEngine.
import { blendStats, colorStats, copyStats, emptyStats, type ColorStats } from '../image/color.js';
import type { LowRes } from '../image/downscale.js';
import { DEFAULT_TRANSFER, colorTransferAffine } from '../image/global_transfer.js';
import { blendGrids, COEFFS, createGrid, fillAffine, IDENTITY_AFFINE, type GridShape } from '../image/grid.js';
import { splitGridMask } from '../image/soft_grid_mask.js';
import type { StyleEntry } from '../runtime/style_store.js';

export class GlobalLook {
  readonly #stats = { fg: emptyStats(), bg: emptyStats(), fresh: true };
  readonly #scratch = emptyStats();
  #weights = { fg: new Float32Array(0), bg: new Float32Array(0) };
  readonly #affine = new Float32Array(COEFFS);
  readonly #gridF: Float32Array;
  readonly #gridB: Float32Array;
  readonly #gridMask: Float32Array;

  constructor(shape: GridShape) {
    this.#gridF = createGrid(shape);
    this.#gridB = createGrid(shape);
    this.#gridMask = splitGridMask(shape);
  }

  /** Blends this frame's statistics of both regions (low-res copy, mask at its size) in with weight `alpha`. */
  update(low: LowRes, mask: Uint8Array | null, alpha: number): void {
    const st = this.#stats;
    const n = low.width * low.height;
    for (const region of ['fg', 'bg'] as const) {
      let weights: Float32Array | undefined;
      if (mask) {
        if (this.#weights[region].length !== n) this.#weights[region] = new Float32Array(n);
        weights = this.#weights[region];
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const m = mask[i] / 255;
          weights[i] = region === 'fg' ? m : 1 - m;
          sum += weights[i];
        }
        if (sum < 1) weights = undefined; // a region absent from the frame keeps the frame's statistics
      }
      const s = colorStats(low.yuv, weights, this.#scratch);
      if (st.fresh) copyStats(st[region], s);
      else blendStats(st[region], s, alpha);
    }
    st.fresh = false;
  }

  /** Writes the global grid of the pair (fg look on the speaker, bg look around) into `out`. */
  build(fg: StyleEntry, bg: StyleEntry, out: Float32Array): void {
    fillAffine(this.#gridF, regionAffine(this.#stats.fg, fg, this.#affine));
    fillAffine(this.#gridB, regionAffine(this.#stats.bg, bg, this.#affine));
    blendGrids(out, this.#gridF, this.#gridB, this.#gridMask);
  }
}

/** A region's global transform: the identity for a 'natural' look, else the colour transfer of its statistics onto the style's. */
export function regionAffine(content: ColorStats, style: StyleEntry, out: Float32Array): Float32Array {
  if (style.natural) out.set(IDENTITY_AFFINE);
  else colorTransferAffine(content, style.color, DEFAULT_TRANSFER, out);
  return out;
}
