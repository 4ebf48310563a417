// Fast tier, low-resolution path: the region targets from hand-computed features instead of
// VGG. Each channel of the (Y, U-128, V-128) image - an opponent colour space that largely
// decorrelates natural-image colours - is split into Laplacian band-pass levels and a
// low-pass residual. Per region, the residual's colour distribution is moved onto the style's
// (mean and covariance, the closed-form transfer of global_transfer.ts) and each band is
// rescaled to the style's band energy (local contrast, texture strength), with the region's
// statistics computed under its soft mask. The grid fit then turns the target into a
// photorealistic transform.
import { colorStats, emptyStats, type ColorStats } from '../image/color.js';
import { colorTransferAffine, DEFAULT_TRANSFER } from '../image/global_transfer.js';
import { laplacian, reconstruct, resampleWeights, type Laplacian, type Plane } from './pyramid.js';
import type { StyleEntry } from '../runtime/style_store.js';

export const FAST_LEVELS = 3;

interface BandStats {
  std: Float32Array; /* [level*3 + channel] */
}
interface StyleFastStats {
  residual: ColorStats;
  bands: BandStats;
}

function planes(yuv: Float32Array, w: number, h: number): Plane[] {
  const n = w * h;
  return [0, 1, 2].map((c) => {
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = yuv[3 * i + c];
    return { width: w, height: h, data: d };
  });
}

function weightedStd(d: Float32Array, w: Float32Array | null): number {
  let s = 0,
    s2 = 0,
    ws = 0;
  for (let i = 0; i < d.length; i++) {
    const wi = w ? w[i] : 1;
    s += wi * d[i];
    s2 += wi * d[i] * d[i];
    ws += wi;
  }
  if (ws <= 0) return 0;
  const m = s / ws;
  return Math.sqrt(Math.max(0, s2 / ws - m * m));
}

function interleave(p: Plane[]): Float32Array {
  const n = p[0].data.length,
    out = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) out[3 * i + c] = p[c].data[i];
  return out;
}

function stats(pyr: Laplacian[], weights: (Float32Array | null)[]): StyleFastStats {
  const std = new Float32Array(FAST_LEVELS * 3);
  for (let l = 0; l < FAST_LEVELS; l++)
    for (let c = 0; c < 3; c++) std[l * 3 + c] = weightedStd(pyr[c].bands[l].data, weights[l]);
  const res = interleave(pyr.map((p) => p.residual));
  return { residual: colorStats(res, weights[FAST_LEVELS] ?? undefined, emptyStats()), bands: { std } };
}

export function styleFastStats(style: StyleEntry): StyleFastStats {
  return style.cached('fast', () => {
    const { width, height } = style.image;
    const pyr = planes(style.yuv, width, height).map((p) => laplacian(p, FAST_LEVELS));
    return stats(pyr, new Array(FAST_LEVELS + 1).fill(null));
  });
}

export interface FastRegion {
  style: StyleEntry;
  weights: Float32Array;
  out: Float32Array;
}

/** Writes the fast-tier target of each region (interleaved Y, U-128, V-128). */
export function fastTargets(width: number, height: number, yuv: Float32Array, regions: FastRegion[]): void {
  const pyr = planes(yuv, width, height).map((p) => laplacian(p, FAST_LEVELS));
  const affine = new Float64Array(12);
  for (const r of regions) {
    if (r.style.natural) {
      r.out.set(yuv.subarray(0, r.out.length));
      continue;
    }
    const st = styleFastStats(r.style);
    // the region's mask at every level
    const lw: Float32Array[] = [];
    for (let l = 0; l <= FAST_LEVELS; l++) {
      const p = l < FAST_LEVELS ? pyr[0].bands[l] : pyr[0].residual;
      lw.push(l === 0 ? r.weights : resampleWeights(r.weights, width, height, p.width, p.height));
    }
    const cs = stats(pyr, lw);
    const useWeights = cs.residual.weight >= 1;
    const content = useWeights ? cs : stats(pyr, new Array(FAST_LEVELS + 1).fill(null));
    colorTransferAffine(content.residual, st.residual, DEFAULT_TRANSFER, affine);
    const out: Laplacian[] = pyr.map((p) => ({
      bands: p.bands.map((b) => ({ ...b, data: b.data.slice() })),
      residual: { ...p.residual, data: new Float32Array(p.residual.data.length) },
    }));
    const res = pyr.map((p) => p.residual.data);
    for (let i = 0; i < res[0].length; i++) {
      const y = res[0][i],
        u = res[1][i],
        v = res[2][i];
      for (let c = 0; c < 3; c++)
        out[c].residual.data[i] = affine[4 * c] * y + affine[4 * c + 1] * u + affine[4 * c + 2] * v + affine[4 * c + 3];
    }
    for (let l = 0; l < FAST_LEVELS; l++)
      for (let c = 0; c < 3; c++) {
        const sc = content.bands.std[l * 3 + c],
          ss = st.bands.std[l * 3 + c];
        const gain = sc > 1e-3 ? Math.min(2, Math.max(0.5, ss / sc)) : 1;
        const d = out[c].bands[l].data;
        for (let i = 0; i < d.length; i++) d[i] *= gain;
      }
    const rec = out.map(reconstruct);
    const n = width * height;
    for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) r.out[3 * i + c] = rec[c].data[i];
  }
}
