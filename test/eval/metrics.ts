// Quality metrics of the evaluation harness (pure functions on I420 frames and planes).
// Each metric's definition is in the comment above it; test/eval/metrics.test.ts checks each
// on a case with a known answer.
import { i420ToRgb } from '../../server/src/engine/image/frame_convert.js';
import { i420Planes, type I420Frame } from '../../server/src/engine/image/i420.js';
import { gradientSsim } from '../support/image_metrics.js';
import { squaredDistances } from '../support/distance_transform.js';
import { type Flow, warpRgb } from './flow.js';

/** Interleaved RGB in [0, 1] of an I420 frame (BT.601 limited range, as color.ts yuvToRgb, clamped). */
export function rgbFloat(f: I420Frame): Float32Array {
  const p = i420Planes(f),
    W = f.width,
    out = new Float32Array(3 * W * f.height);
  const cl = (v: number) => (v < 0 ? 0 : v > 255 ? 1 : Math.round(v) / 255);
  for (let y = 0; y < f.height; y++)
    for (let x = 0; x < W; x++) {
      const ci = (y >> 1) * p.chromaWidth + (x >> 1),
        u = p.u[ci] - 128,
        v = p.v[ci] - 128;
      const c = 1.164383 * (p.y[y * W + x] - 16),
        o = 3 * (y * W + x);
      out[o] = cl(c + 1.596027 * v);
      out[o + 1] = cl(c - 0.391762 * u - 0.812968 * v);
      out[o + 2] = cl(c + 2.017232 * u);
    }
  return out;
}

/**
 * Warping error of one frame pair (Lai et al. 2018, "Learning Blind Video Temporal
 * Consistency", eq. 7): the mean, over the non-occluded pixels (valid = 1), of the squared
 * difference between output frame t and output frame t−1 warped by the input's flow, in RGB
 * scaled to [0, 1], averaged over the 3 channels. `flow` maps frame t's pixels into frame t−1.
 */
export function warpingErrorPair(cur: I420Frame, prev: I420Frame, flow: Flow, valid: Uint8Array): number {
  return warpingErrorRgb(rgbFloat(cur), rgbFloat(prev), flow, valid);
}

function warpingErrorRgb(a: Float32Array, prev: Float32Array, flow: Flow, valid: Uint8Array): number {
  const b = warpRgb(prev, flow);
  let se = 0,
    n = 0;
  for (let i = 0; i < valid.length; i++) {
    if (!valid[i]) continue;
    for (let c = 0; c < 3; c++) {
      const d = a[3 * i + c] - b[3 * i + c];
      se += d * d;
    }
    n++;
  }
  return n ? se / (3 * n) : 0;
}

/** Per pixel mean |RGB| (0..255) of output t minus output t−1 warped by the flow; 0 where occluded (the picture of the warping error). */
export function warpResidual(cur: I420Frame, prev: I420Frame, flow: Flow, valid: Uint8Array): Float32Array {
  const a = rgbFloat(cur),
    b = warpRgb(rgbFloat(prev), flow),
    out = new Float32Array(valid.length);
  for (let i = 0; i < valid.length; i++) {
    if (valid[i])
      out[i] =
        (255 / 3) *
        (Math.abs(a[3 * i] - b[3 * i]) + Math.abs(a[3 * i + 1] - b[3 * i + 1]) + Math.abs(a[3 * i + 2] - b[3 * i + 2]));
  }
  return out;
}

/** Per-frame warping errors of a clip (frame t = 1 .. T−1; flows[t], valid[t] map t into t−1). */
export function warpingErrors(frames: I420Frame[], flows: Flow[], valid: Uint8Array[]): number[] {
  const out: number[] = [];
  let prev = frames.length ? rgbFloat(frames[0]) : new Float32Array(0);
  for (let t = 1; t < frames.length; t++) {
    const cur = rgbFloat(frames[t]);
    out.push(warpingErrorRgb(cur, prev, flows[t], valid[t]));
    prev = cur;
  }
  return out;
}

/**
 * SSIM (Wang et al. 2004) of two single-channel images with values on a 0..255 scale, mean
 * over win×win windows placed every win/2 pixels, constants C1 = (0.01·255)², C2 = (0.03·255)².
 */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, w: number, h: number, win = 8): number {
  const C1 = (0.01 * 255) ** 2,
    C2 = (0.03 * 255) ** 2,
    step = Math.max(1, win >> 1),
    n = win * win;
  let sum = 0,
    cnt = 0;
  for (let by = 0; by + win <= h; by += step)
    for (let bx = 0; bx + win <= w; bx += step) {
      let ma = 0,
        mb = 0;
      for (let y = by; y < by + win; y++)
        for (let x = bx; x < bx + win; x++) {
          ma += a[y * w + x];
          mb += b[y * w + x];
        }
      ma /= n;
      mb /= n;
      let va = 0,
        vb = 0,
        cov = 0;
      for (let y = by; y < by + win; y++)
        for (let x = bx; x < bx + win; x++) {
          const da = a[y * w + x] - ma,
            db = b[y * w + x] - mb;
          va += da * da;
          vb += db * db;
          cov += da * db;
        }
      va /= n - 1;
      vb /= n - 1;
      cov /= n - 1;
      sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      cnt++;
    }
  return cnt ? sum / cnt : 1;
}

function absDiffY(a: I420Frame, b: I420Frame): Float32Array {
  const ya = i420Planes(a).y,
    yb = i420Planes(b).y,
    d = new Float32Array(ya.length);
  for (let i = 0; i < ya.length; i++) d[i] = Math.abs(ya[i] - yb[i]);
  return d;
}

/** |Y_t − Y_{t−1}| of consecutive frames, 0..255 (the "frame difference" pictures). */
export function frameDifference(cur: I420Frame, prev: I420Frame): Float32Array {
  return absDiffY(cur, prev);
}

/**
 * Temporal change consistency (Wang et al. 2020, "Consistent Video Style Transfer via
 * Relaxation and Regularization"): SSIM between the output's and the input's absolute frame
 * differences |O_t − O_{t−1}| and |I_t − I_{t−1}| (luma), per frame t ≥ 1, averaged over
 * the clip. 1 = the output changes exactly where and as much as the input does.
 */
export function tccPerFrame(out: I420Frame[], inp: I420Frame[]): number[] {
  const r: number[] = [];
  for (let t = 1; t < out.length; t++)
    r.push(ssim(absDiffY(out[t], out[t - 1]), absDiffY(inp[t], inp[t - 1]), out[t].width, out[t].height));
  return r;
}

export function tcc(out: I420Frame[], inp: I420Frame[]): number {
  return mean(tccPerFrame(out, inp));
}

/**
 * Photorealism: SSIM of the luminance gradient magnitudes of output and input
 * (test/support/image_metrics.ts gradientSsim, 8×8 windows), averaged over the given frames.
 */
export function gradSsim(out: I420Frame[], inp: I420Frame[], frames: number[]): number {
  return mean(frames.map((t) => gradientSsim(out[t], inp[t])));
}

export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN;
}

// ---- colour statistics in CIE Lab ----

const SRGB_LINEAR = Float64Array.from({ length: 256 }, (_, i) => {
  const c = i / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

function labF(t: number): number {
  return t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116;
}

/** sRGB (u8) -> CIE Lab (D65 white). */
export function rgbToLab(r: number, g: number, b: number, out: number[]): void {
  const R = SRGB_LINEAR[r],
    G = SRGB_LINEAR[g],
    B = SRGB_LINEAR[b];
  const x = (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / 0.95047;
  const y = 0.2126729 * R + 0.7151522 * G + 0.072175 * B;
  const z = (0.0193339 * R + 0.119192 * G + 0.9503041 * B) / 1.08883;
  const fx = labF(x),
    fy = labF(y),
    fz = labF(z);
  out[0] = 116 * fy - 16;
  out[1] = 500 * (fx - fy);
  out[2] = 200 * (fy - fz);
}

/** Mean (3) and covariance (3×3, row-major) of weighted Lab samples. */
export interface LabStats {
  mean: number[];
  cov: number[];
  weight: number;
}

/**
 * Lab statistics of interleaved RGB pixels, each weighted by `weight(i)` (0..1; all 1 when
 * omitted); `stride` > 1 takes every stride-th pixel.
 */
export function labStats(rgb: Uint8Array, weight?: (i: number) => number, stride = 1): LabStats {
  const n = rgb.length / 3,
    lab = [0, 0, 0];
  let w = 0;
  const s = [0, 0, 0],
    s2 = new Array(9).fill(0);
  for (let i = 0; i < n; i += stride) {
    const wi = weight ? weight(i) : 1;
    if (wi <= 0) continue;
    rgbToLab(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], lab);
    w += wi;
    for (let c = 0; c < 3; c++) {
      s[c] += wi * lab[c];
      for (let d = 0; d < 3; d++) s2[3 * c + d] += wi * lab[c] * lab[d];
    }
  }
  const m = s.map((v) => (w > 0 ? v / w : 0));
  const cov = s2.map((v, k) => (w > 0 ? v / w - m[Math.floor(k / 3)] * m[k % 3] : 0));
  return { mean: m, cov, weight: w };
}

/** Eigen-decomposition of a symmetric 3×3 matrix (cyclic Jacobi): values and column vectors. */
export function eigSym3(m: number[]): { values: number[]; vectors: number[] } {
  const a = m.slice(),
    v = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 32; sweep++) {
    const off = a[1] * a[1] + a[2] * a[2] + a[5] * a[5];
    if (off < 1e-20) break;
    for (const [p, q] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ]) {
      const apq = a[3 * p + q];
      if (Math.abs(apq) < 1e-30) continue;
      const theta = (a[3 * q + q] - a[3 * p + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1),
        s = t * c;
      for (let k = 0; k < 3; k++) {
        // A <- A J (columns p, q)
        const akp = a[3 * k + p],
          akq = a[3 * k + q];
        a[3 * k + p] = c * akp - s * akq;
        a[3 * k + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        // A <- J^T A (rows p, q)
        const apk = a[3 * p + k],
          aqk = a[3 * q + k];
        a[3 * p + k] = c * apk - s * aqk;
        a[3 * q + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[3 * k + p],
          vkq = v[3 * k + q];
        v[3 * k + p] = c * vkp - s * vkq;
        v[3 * k + q] = s * vkp + c * vkq;
      }
    }
  }
  return { values: [a[0], a[4], a[8]], vectors: v };
}

/** Square root of a symmetric positive semi-definite 3×3 matrix. */
export function sqrtSym3(m: number[]): number[] {
  const { values, vectors: v } = eigSym3(m);
  const r = new Array(9).fill(0);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += v[3 * i + k] * Math.sqrt(Math.max(0, values[k])) * v[3 * j + k];
      r[3 * i + j] = s;
    }
  return r;
}

function mul3(a: number[], b: number[]): number[] {
  const r = new Array(9).fill(0);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) r[3 * i + j] += a[3 * i + k] * b[3 * k + j];
  return r;
}

/**
 * Style distance of a region to its style: the 2-Wasserstein (Fréchet) distance between the
 * Gaussians with the two Lab means and covariances,
 *   d² = |μ₁ − μ₂|² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₂^½ Σ₁ Σ₂^½)^½,
 * in Lab units (ΔE-like: 0 = identical statistics; a pure mean shift of ΔE gives ΔE).
 */
export function styleDistance(a: LabStats, b: LabStats): number {
  let d2 = 0;
  for (let c = 0; c < 3; c++) d2 += (a.mean[c] - b.mean[c]) ** 2;
  const s2 = sqrtSym3(b.cov);
  const cross = sqrtSym3(mul3(mul3(s2, a.cov), s2));
  d2 += a.cov[0] + a.cov[4] + a.cov[8] + b.cov[0] + b.cov[4] + b.cov[8] - 2 * (cross[0] + cross[4] + cross[8]);
  return Math.sqrt(Math.max(0, d2));
}

/** Lab statistics of a frame's foreground (mask/255) or background (1 − mask/255) region. */
export function regionLabStats(f: I420Frame, mask: Uint8Array | null, region: 'fg' | 'bg'): LabStats {
  const rgb = i420ToRgb(f);
  const weight = mask ? (region === 'fg' ? (i: number) => mask[i] / 255 : (i: number) => 1 - mask[i] / 255) : undefined;
  return labStats(rgb, weight, 2);
}

// ---- boundary distance and halo ----

/** Euclidean distance (px) from each pixel to the nearest pixel where `target` is true. */
export function distanceTransform(target: (i: number) => boolean, w: number, h: number): Float32Array {
  return Float32Array.from(squaredDistances(target, w, h), Math.sqrt);
}

/**
 * Distance (px) of each pixel to the mask's boundary (mask ≥ 128 is the speaker): for a
 * speaker pixel the distance to the nearest background pixel, and vice versa, minus ½ so the
 * two pixels either side of the edge both sit in band 0.
 */
export function boundaryDistance(mask: Uint8Array, w: number, h: number): Float32Array {
  const dIn = distanceTransform((i) => mask[i] < 128, w, h),
    dOut = distanceTransform((i) => mask[i] >= 128, w, h);
  const out = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) out[i] = Math.max(0, (mask[i] >= 128 ? dIn[i] : dOut[i]) - 0.5);
  return out;
}

/**
 * Boundary halo (px): `ideal` is the output each region would get with its own look everywhere,
 * composited by the hard mask (what "following the region's style" means at each pixel). In
 * 1-px bands of distance d to the mask edge, the mean |ΔY, ΔU, ΔV| of output vs ideal; the far
 * field is the mean over bands maxD .. 2·maxD. The halo is the largest d < maxD whose band
 * error exceeds the far field by more than `levels` (code values): the band in which the output
 * follows neither region's look. 0 = no halo. (haloWidth of image_metrics.ts on a distance
 * transform of an arbitrary mask.)
 */
export function haloPx(
  out: I420Frame,
  ideal: I420Frame,
  dist: Float32Array,
  levels = 3,
  maxD = 24,
): { width: number; profile: number[] } {
  const po = i420Planes(out),
    pi = i420Planes(ideal),
    w = out.width,
    D = 2 * maxD;
  const sum = new Float64Array(D),
    cnt = new Float64Array(D);
  for (let y = 0; y < out.height; y++)
    for (let x = 0; x < w; x++) {
      const d = Math.floor(dist[y * w + x]);
      if (d >= D) continue;
      const ci = (y >> 1) * po.chromaWidth + (x >> 1);
      sum[d] +=
        (Math.abs(po.y[y * w + x] - pi.y[y * w + x]) + Math.abs(po.u[ci] - pi.u[ci]) + Math.abs(po.v[ci] - pi.v[ci])) /
        3;
      cnt[d]++;
    }
  let fs = 0,
    fc = 0;
  for (let d = maxD; d < D; d++) {
    fs += sum[d];
    fc += cnt[d];
  }
  const far = fc ? fs / fc : 0;
  const profile: number[] = [];
  let width = 0;
  for (let d = 0; d < maxD; d++) {
    profile.push(cnt[d] ? sum[d] / cnt[d] : 0);
    if (cnt[d] && sum[d] / cnt[d] > far + levels) width = d + 1;
  }
  return { width, profile };
}
