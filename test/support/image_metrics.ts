// Image measurements for the stylizer's acceptance tests: PSNR, colour statistics per mask
// region, SSIM of luminance gradients, halo width at a mask boundary, warping error.
import { i420Planes, type I420Frame } from '../../server/src/engine/image/i420.js';

export function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    se += d * d;
  }
  const mse = se / a.length;
  return mse === 0 ? 99 : 10 * Math.log10((255 * 255) / mse);
}

/** PSNR over the three planes of two frames. */
export function psnrI420(a: I420Frame, b: I420Frame): number {
  return psnr(a.data.subarray(0, a.data.length), b.data.subarray(0, b.data.length));
}

/** Mean and std of Y, U, V under a weight (0..1 from a 0..255 mask, or its complement). */
export interface RegionStats {
  mean: number[];
  std: number[];
}

export function regionStats(f: I420Frame, mask: Uint8Array | null, region: 'fg' | 'bg' = 'fg'): RegionStats {
  const p = i420Planes(f);
  const acc = [0, 1, 2].map(() => ({ s: 0, s2: 0, w: 0 }));
  for (let y = 0; y < f.height; y++)
    for (let x = 0; x < f.width; x++) {
      const m = mask ? mask[y * f.width + x] / 255 : 1;
      const w = region === 'fg' ? m : 1 - m;
      if (w <= 0) continue;
      const ci = (y >> 1) * p.chromaWidth + (x >> 1);
      const v = [p.y[y * f.width + x], p.u[ci], p.v[ci]];
      for (let c = 0; c < 3; c++) {
        acc[c].s += w * v[c];
        acc[c].s2 += w * v[c] * v[c];
        acc[c].w += w;
      }
    }
  const mean = acc.map((a) => a.s / a.w);
  return { mean, std: acc.map((a, c) => Math.sqrt(Math.max(0, a.s2 / a.w - mean[c] * mean[c]))) };
}

/** Statistics of a whole RGB style image, in the same (limited-range BT.601) YUV. */
export function statsDistance(a: RegionStats, b: RegionStats): number {
  let d = 0;
  for (let c = 0; c < 3; c++) d += (a.mean[c] - b.mean[c]) ** 2 + (a.std[c] - b.std[c]) ** 2;
  return Math.sqrt(d);
}

function gradientMagnitude(y: Uint8Array, w: number, h: number): Float32Array {
  const g = new Float32Array(w * h);
  for (let j = 1; j < h - 1; j++)
    for (let i = 1; i < w - 1; i++) {
      const gx = y[j * w + i + 1] - y[j * w + i - 1],
        gy = y[(j + 1) * w + i] - y[(j - 1) * w + i];
      g[j * w + i] = Math.hypot(gx, gy) / 2;
    }
  return g;
}

/** Mean SSIM over 8x8 windows of the luminance gradient magnitudes of two frames. */
export function gradientSsim(a: I420Frame, b: I420Frame): number {
  const w = a.width,
    h = a.height;
  const ga = gradientMagnitude(i420Planes(a).y, w, h),
    gb = gradientMagnitude(i420Planes(b).y, w, h);
  const C1 = (0.01 * 255) ** 2,
    C2 = (0.03 * 255) ** 2;
  let sum = 0,
    n = 0;
  for (let by = 0; by + 8 <= h; by += 8)
    for (let bx = 0; bx + 8 <= w; bx += 8) {
      let ma = 0,
        mb = 0;
      for (let y = by; y < by + 8; y++)
        for (let x = bx; x < bx + 8; x++) {
          ma += ga[y * w + x];
          mb += gb[y * w + x];
        }
      ma /= 64;
      mb /= 64;
      let va = 0,
        vb = 0,
        cov = 0;
      for (let y = by; y < by + 8; y++)
        for (let x = bx; x < bx + 8; x++) {
          const da = ga[y * w + x] - ma,
            db = gb[y * w + x] - mb;
          va += da * da;
          vb += db * db;
          cov += da * db;
        }
      va /= 63;
      vb /= 63;
      cov /= 63;
      sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      n++;
    }
  return sum / n;
}

/** A hard disc mask (255 inside) and each pixel's distance to its boundary. */
export function discMask(
  w: number,
  h: number,
  cx: number,
  cy: number,
  r: number,
): { mask: Uint8Array; dist: Float32Array } {
  const mask = new Uint8Array(w * h),
    dist = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy) - r;
      mask[y * w + x] = d < 0 ? 255 : 0;
      dist[y * w + x] = Math.abs(d);
    }
  return { mask, dist };
}

/**
 * Halo width: the largest distance from the boundary (px, 1-px bands up to maxD) at which the
 * mean |Y, U, V| error against the ideal composite exceeds `levels`; 0 when none does.
 */
export function haloWidth(
  out: I420Frame,
  ideal: I420Frame,
  dist: Float32Array,
  levels: number,
  maxD = 32,
): { width: number; profile: number[] } {
  const po = i420Planes(out),
    pi = i420Planes(ideal),
    w = out.width;
  const sum = new Float64Array(maxD),
    cnt = new Float64Array(maxD);
  for (let y = 0; y < out.height; y++)
    for (let x = 0; x < w; x++) {
      const d = Math.floor(dist[y * w + x]);
      if (d >= maxD) continue;
      const ci = (y >> 1) * po.chromaWidth + (x >> 1);
      const e =
        (Math.abs(po.y[y * w + x] - pi.y[y * w + x]) + Math.abs(po.u[ci] - pi.u[ci]) + Math.abs(po.v[ci] - pi.v[ci])) /
        3;
      sum[d] += e;
      cnt[d]++;
    }
  const profile = [...sum].map((s, d) => s / Math.max(1, cnt[d]));
  let width = 0;
  profile.forEach((e, d) => {
    if (e > levels) width = d + 1;
  });
  return { width, profile };
}

/** Composite of two frames by a hard mask (255: from `a`), plane by plane (chroma at 2x2). */
export function composite(a: I420Frame, b: I420Frame, mask: Uint8Array): I420Frame {
  const out = { width: a.width, height: a.height, data: new Uint8Array(b.data) };
  const pa = i420Planes(a),
    po = i420Planes(out),
    w = a.width;
  for (let y = 0; y < a.height; y++)
    for (let x = 0; x < w; x++) {
      if (mask[y * w + x] < 128) continue;
      po.y[y * w + x] = pa.y[y * w + x];
      if (!(x & 1) && !(y & 1)) {
        const ci = (y >> 1) * po.chromaWidth + (x >> 1);
        po.u[ci] = pa.u[ci];
        po.v[ci] = pa.v[ci];
      }
    }
  return out;
}

/** Mean |out_t(x, y) - out_{t-1}(x + shift, y)| of Y for a pan of `shift` px per frame to the right. */
export function warpingError(frames: I420Frame[], shift: number): number {
  let sum = 0,
    n = 0;
  for (let t = 1; t < frames.length; t++) {
    const a = i420Planes(frames[t]).y,
      b = i420Planes(frames[t - 1]).y,
      w = frames[t].width;
    for (let y = 0; y < frames[t].height; y++)
      for (let x = 0; x + shift < w; x++) {
        sum += Math.abs(a[y * w + x] - b[y * w + x + shift]);
        n++;
      }
  }
  return sum / n;
}

export function meanYuv(f: I420Frame): number[] {
  return regionStats(f, null).mean;
}
