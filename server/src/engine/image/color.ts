// Colour conversions (BT.601 limited range, what browsers use to render I420 video)
// and weighted colour statistics in the YUV space the engine works in:
// (Y, U-128, V-128), an opponent space that largely decorrelates natural-image colours.

export function rgbToYuv(r: number, g: number, b: number, out: Float32Array | number[], o = 0): void {
  out[o] = 16 + 0.256788 * r + 0.504129 * g + 0.097906 * b;
  out[o + 1] = -0.148223 * r - 0.290993 * g + 0.439216 * b; // U - 128
  out[o + 2] = 0.439216 * r - 0.367788 * g - 0.071427 * b; // V - 128
}

export function yuvToRgb(y: number, u: number, v: number, out: Float32Array | number[], o = 0): void {
  // u, v centred (U-128, V-128)
  const c = 1.164383 * (y - 16);
  out[o] = c + 1.596027 * v;
  out[o + 1] = c - 0.391762 * u - 0.812968 * v;
  out[o + 2] = c + 2.017232 * u;
}

/** Mean (3) and covariance (3x3 row-major, symmetric) of weighted colour samples. */
export interface ColorStats {
  mean: Float64Array;
  cov: Float64Array;
  weight: number;
}

export function emptyStats(): ColorStats {
  return { mean: new Float64Array(3), cov: new Float64Array(9), weight: 0 };
}

/**
 * Accumulates stats of interleaved (Y, U-128, V-128) samples with optional weights.
 * Two-pass for numerical stability.
 */
export function colorStats(yuv: Float32Array, weights?: Float32Array, out = emptyStats()): ColorStats {
  const n = yuv.length / 3;
  let w = 0,
    m0 = 0,
    m1 = 0,
    m2 = 0;
  for (let i = 0; i < n; i++) {
    const wi = weights ? weights[i] : 1;
    if (wi <= 0) continue;
    w += wi;
    m0 += wi * yuv[3 * i];
    m1 += wi * yuv[3 * i + 1];
    m2 += wi * yuv[3 * i + 2];
  }
  const mean = out.mean,
    cov = out.cov;
  cov.fill(0);
  if (w <= 0) {
    mean.fill(0);
    out.weight = 0;
    return out;
  }
  m0 /= w;
  m1 /= w;
  m2 /= w;
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c11 = 0,
    c12 = 0,
    c22 = 0;
  for (let i = 0; i < n; i++) {
    const wi = weights ? weights[i] : 1;
    if (wi <= 0) continue;
    const a = yuv[3 * i] - m0,
      b = yuv[3 * i + 1] - m1,
      c = yuv[3 * i + 2] - m2;
    c00 += wi * a * a;
    c01 += wi * a * b;
    c02 += wi * a * c;
    c11 += wi * b * b;
    c12 += wi * b * c;
    c22 += wi * c * c;
  }
  mean[0] = m0;
  mean[1] = m1;
  mean[2] = m2;
  cov[0] = c00 / w;
  cov[1] = cov[3] = c01 / w;
  cov[2] = cov[6] = c02 / w;
  cov[4] = c11 / w;
  cov[5] = cov[7] = c12 / w;
  cov[8] = c22 / w;
  out.weight = w;
  return out;
}

/** out = (1-a) * out + a * s (exponential smoothing of statistics). */
export function blendStats(out: ColorStats, s: ColorStats, a: number): void {
  for (let i = 0; i < 3; i++) out.mean[i] += a * (s.mean[i] - out.mean[i]);
  for (let i = 0; i < 9; i++) out.cov[i] += a * (s.cov[i] - out.cov[i]);
  out.weight += a * (s.weight - out.weight);
}

export function copyStats(dst: ColorStats, src: ColorStats): void {
  dst.mean.set(src.mean);
  dst.cov.set(src.cov);
  dst.weight = src.weight;
}
