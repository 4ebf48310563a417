// Global colour transfer: the affine map that moves a region's colour distribution
// (mean, covariance) onto a style's, in (Y, U-128, V-128). This is the closed-form linear
// Monge-Kantorovich solution (Pitié et al. 2007): for Gaussians it is the optimal transport
// map, it keeps the colour ordering, and it never invents structure - a photorealistic look.
import type { ColorStats } from './color.js';
import { mul3, symFn3 } from './linalg3.js';

export interface TransferOptions {
  /** 0 = no change, 1 = full match */
  strength: number;
  /** variance added to both covariances (levels^2): keeps noise in flat frames from blowing up */
  epsilon: number;
  /** limits on the gain along any colour direction */
  minGain: number;
  maxGain: number;
}

export const DEFAULT_TRANSFER: TransferOptions = { strength: 1, epsilon: 9, minGain: 0.25, maxGain: 3 };

/** Writes the 12 grid coefficients (rows Y', U', V' of [A | b]) into out[o..o+12). */
export function colorTransferAffine(
  content: ColorStats,
  style: ColorStats,
  opt: TransferOptions,
  out: Float32Array | Float64Array,
  o = 0,
): void {
  const e = opt.epsilon;
  const sc = Float64Array.from(content.cov);
  sc[0] += e;
  sc[4] += e;
  sc[8] += e;
  const ss = Float64Array.from(style.cov);
  ss[0] += e;
  ss[4] += e;
  ss[8] += e;
  const cHalf = symFn3(sc, (x) => Math.sqrt(Math.max(x, 1e-9)));
  const cInvHalf = symFn3(sc, (x) => 1 / Math.sqrt(Math.max(x, 1e-9)));
  const mid = symFn3(mul3(mul3(cHalf, ss), cHalf), (x) => Math.sqrt(Math.max(x, 0)));
  let m = mul3(mul3(cInvHalf, mid), cInvHalf);
  // M is symmetric positive definite: bound its eigenvalues (gains)
  m = symFn3(m, (x) => Math.min(opt.maxGain, Math.max(opt.minGain, x)));
  const s = opt.strength;
  const mc = content.mean,
    ms = style.mean;
  for (let r = 0; r < 3; r++) {
    let mmu = 0;
    for (let c = 0; c < 3; c++) {
      const a = (r === c ? 1 - s : 0) + s * m[3 * r + c];
      out[o + 4 * r + c] = a;
      mmu += m[3 * r + c] * mc[c];
    }
    out[o + 4 * r + 3] = s * (ms[r] - mmu);
  }
}
