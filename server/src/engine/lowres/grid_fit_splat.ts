// The data term of the grid fit (grid_fit.ts): per-node moments of the weighted local
// affine least-squares problem, splatted from the low-res pixels.
import type { GridShape } from '../image/grid.js';
import { guideZ, type GuideLuts } from '../image/guide.js';

/** moments per node: 10 (symmetric 4x4 Gram) + 12 (4x3 cross term) */
export const MOM = 22;
/** gain scale inside the solver (see grid_fit.ts) */
export const S = 255;
export const INV_S = 1 / S;

export interface FitInput {
  width: number;
  height: number;
  /** interleaved Y, U-128, V-128 (w*h*3): the image the grid will be sliced into */
  content: Float32Array;
  /** same layout: what the region should look like */
  target: Float32Array;
  /** per-pixel data weight >= 0 (e.g. the region's soft mask 0..1); default 1 */
  weights?: Float32Array;
  /** per-pixel mask 0..255 for the guide z, as the slicer will read it; default 255 */
  mask?: Uint8Array;
}

export interface SplatBuffers {
  /** [node][MOM] */
  mom: Float64Array;
  /** one grid row [nx][nz][MOM] */
  row: Float64Array;
  ixTab: Int32Array;
  fxTab: Float64Array;
}

export interface SplatTotals {
  pixels: number;
  weight: number;
  skipped: number;
  sumT2: number;
}

/**
 * Accumulates the per-node moments of the data term into buf.mom ([node][22]: the symmetric
 * 4x4 Gram's upper triangle, then the 4x3 cross term), one image row at a time through
 * buf.row, with the trilinear weights the slicer reads the grid with.
 */
export function splatMoments(shape: GridShape, input: FitInput, luts: GuideLuts, buf: SplatBuffers): SplatTotals {
  const { nx, ny, nz } = shape;
  const { width: w, height: h, content, target, weights, mask } = input;
  const mom = buf.mom,
    row = buf.row;
  mom.fill(0);
  row.fill(0);
  if (buf.ixTab.length !== w) {
    buf.ixTab = new Int32Array(w);
    buf.fxTab = new Float64Array(w);
  }
  const ixTab = buf.ixTab,
    fxTab = buf.fxTab;
  const sx = w > 1 ? (nx - 1) / (w - 1) : 0,
    sy = h > 1 ? (ny - 1) / (h - 1) : 0;
  for (let xx = 0; xx < w; xx++) {
    const gx = xx * sx;
    const ix = Math.min(nx - 2, Math.max(0, Math.floor(gx)));
    ixTab[xx] = ix;
    fxTab[xx] = Math.min(1, Math.max(0, gx - ix));
  }
  const kappa = ((nx - 1) * (ny - 1)) / (w * h);
  const zStride = MOM,
    xStride = nz * MOM,
    rowLen = nx * nz * MOM;
  let pixels = 0,
    weight = 0,
    skipped = 0,
    sumT2 = 0;
  for (let yy = 0; yy < h; yy++) {
    let kLo = nz,
      kHi = -1; // z range touched in this row
    for (let xx = 0, pi = yy * w; xx < w; xx++, pi++) {
      const wt = weights ? weights[pi] : 1;
      if (!(wt > 0)) continue;
      const o3 = 3 * pi;
      const Y = content[o3],
        U = content[o3 + 1],
        V = content[o3 + 2];
      const T0 = target[o3],
        T1 = target[o3 + 1],
        T2 = target[o3 + 2];
      // skips NaN / Inf anywhere (x - x is NaN for both)
      if (!(Y - Y + U - U + V - V + T0 - T0 + T1 - T1 + T2 - T2 + wt - wt === 0)) {
        skipped++;
        continue;
      }
      pixels++;
      weight += wt;
      const yq = Y < 0 ? 0 : Y > 255 ? 255 : Math.round(Y);
      const gz = guideZ(luts, nz, yq, mask ? mask[pi] : 255);
      const iz = Math.min(nz - 2, Math.max(0, Math.floor(gz)));
      const fz = Math.min(1, Math.max(0, gz - iz));
      if (iz < kLo) kLo = iz;
      if (iz > kHi) kHi = iz;
      const wk = wt * kappa;
      const ys = Y * INV_S,
        us = U * INV_S,
        vs = V * INV_S;
      const wy = wk * ys,
        wu = wk * us,
        wv = wk * vs;
      sumT2 += wk * (T0 * T0 + T1 * T1 + T2 * T2);
      const fx = fxTab[xx];
      const c00 = (1 - fx) * (1 - fz),
        c01 = (1 - fx) * fz,
        c10 = fx * (1 - fz),
        c11 = fx * fz;
      const b0 = ixTab[xx] * xStride + iz * zStride,
        b1 = b0 + xStride;
      const m0 = wy * ys,
        m1 = wy * us,
        m2 = wy * vs,
        m4 = wu * us,
        m5 = wu * vs,
        m7 = wv * vs;
      const m10 = wy * T0,
        m11 = wu * T0,
        m12 = wv * T0,
        m13 = wk * T0,
        m14 = wy * T1,
        m15 = wu * T1;
      const m16 = wv * T1,
        m17 = wk * T1,
        m18 = wy * T2,
        m19 = wu * T2,
        m20 = wv * T2,
        m21 = wk * T2;
      row[b0 + 0] += c00 * m0;
      row[b0 + 22] += c01 * m0;
      row[b0 + 1] += c00 * m1;
      row[b0 + 23] += c01 * m1;
      row[b0 + 2] += c00 * m2;
      row[b0 + 24] += c01 * m2;
      row[b0 + 3] += c00 * wy;
      row[b0 + 25] += c01 * wy;
      row[b0 + 4] += c00 * m4;
      row[b0 + 26] += c01 * m4;
      row[b0 + 5] += c00 * m5;
      row[b0 + 27] += c01 * m5;
      row[b0 + 6] += c00 * wu;
      row[b0 + 28] += c01 * wu;
      row[b0 + 7] += c00 * m7;
      row[b0 + 29] += c01 * m7;
      row[b0 + 8] += c00 * wv;
      row[b0 + 30] += c01 * wv;
      row[b0 + 9] += c00 * wk;
      row[b0 + 31] += c01 * wk;
      row[b0 + 10] += c00 * m10;
      row[b0 + 32] += c01 * m10;
      row[b0 + 11] += c00 * m11;
      row[b0 + 33] += c01 * m11;
      row[b0 + 12] += c00 * m12;
      row[b0 + 34] += c01 * m12;
      row[b0 + 13] += c00 * m13;
      row[b0 + 35] += c01 * m13;
      row[b0 + 14] += c00 * m14;
      row[b0 + 36] += c01 * m14;
      row[b0 + 15] += c00 * m15;
      row[b0 + 37] += c01 * m15;
      row[b0 + 16] += c00 * m16;
      row[b0 + 38] += c01 * m16;
      row[b0 + 17] += c00 * m17;
      row[b0 + 39] += c01 * m17;
      row[b0 + 18] += c00 * m18;
      row[b0 + 40] += c01 * m18;
      row[b0 + 19] += c00 * m19;
      row[b0 + 41] += c01 * m19;
      row[b0 + 20] += c00 * m20;
      row[b0 + 42] += c01 * m20;
      row[b0 + 21] += c00 * m21;
      row[b0 + 43] += c01 * m21;
      row[b1 + 0] += c10 * m0;
      row[b1 + 22] += c11 * m0;
      row[b1 + 1] += c10 * m1;
      row[b1 + 23] += c11 * m1;
      row[b1 + 2] += c10 * m2;
      row[b1 + 24] += c11 * m2;
      row[b1 + 3] += c10 * wy;
      row[b1 + 25] += c11 * wy;
      row[b1 + 4] += c10 * m4;
      row[b1 + 26] += c11 * m4;
      row[b1 + 5] += c10 * m5;
      row[b1 + 27] += c11 * m5;
      row[b1 + 6] += c10 * wu;
      row[b1 + 28] += c11 * wu;
      row[b1 + 7] += c10 * m7;
      row[b1 + 29] += c11 * m7;
      row[b1 + 8] += c10 * wv;
      row[b1 + 30] += c11 * wv;
      row[b1 + 9] += c10 * wk;
      row[b1 + 31] += c11 * wk;
      row[b1 + 10] += c10 * m10;
      row[b1 + 32] += c11 * m10;
      row[b1 + 11] += c10 * m11;
      row[b1 + 33] += c11 * m11;
      row[b1 + 12] += c10 * m12;
      row[b1 + 34] += c11 * m12;
      row[b1 + 13] += c10 * m13;
      row[b1 + 35] += c11 * m13;
      row[b1 + 14] += c10 * m14;
      row[b1 + 36] += c11 * m14;
      row[b1 + 15] += c10 * m15;
      row[b1 + 37] += c11 * m15;
      row[b1 + 16] += c10 * m16;
      row[b1 + 38] += c11 * m16;
      row[b1 + 17] += c10 * m17;
      row[b1 + 39] += c11 * m17;
      row[b1 + 18] += c10 * m18;
      row[b1 + 40] += c11 * m18;
      row[b1 + 19] += c10 * m19;
      row[b1 + 41] += c11 * m19;
      row[b1 + 20] += c10 * m20;
      row[b1 + 42] += c11 * m20;
      row[b1 + 21] += c10 * m21;
      row[b1 + 43] += c11 * m21;
    }
    if (kHi < 0) continue;
    // flush the row into grid rows iy, iy+1 (only the touched z range)
    const gy = yy * sy;
    const iy = Math.min(ny - 2, Math.max(0, Math.floor(gy)));
    const fy = Math.min(1, Math.max(0, gy - iy)),
      gy0 = 1 - fy;
    const base0 = iy * rowLen,
      base1 = base0 + rowLen;
    const zLo = kLo * MOM,
      zHi = (kHi + 2) * MOM;
    for (let i = 0; i < nx; i++) {
      const rb = i * xStride;
      for (let t = rb + zLo, e = rb + zHi; t < e; t++) {
        const v = row[t];
        mom[base0 + t] += gy0 * v;
        mom[base1 + t] += fy * v;
        row[t] = 0;
      }
    }
  }
  return { pixels, weight, skipped, sumT2 };
}
