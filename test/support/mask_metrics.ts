// Mask comparisons for the segmentation tests and benchmark: IoU, the share of pixels that
// change between frames, the centroid, and the boundary F-measure (masks 0..255, >= 128 is
// the person).
import { squaredDistances } from './distance_transform.js';

const on = (v: number) => v >= 128;

function checkSame(a: Uint8Array, b: Uint8Array): void {
  if (a.length !== b.length) throw new Error(`mask sizes differ: ${a.length} vs ${b.length}`);
}

/** Intersection over union of the binarised masks; 1 when both are empty. */
export function iou(pred: Uint8Array, truth: Uint8Array): number {
  checkSame(pred, truth);
  let inter = 0,
    union = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = on(pred[i]),
      t = on(truth[i]);
    if (p && t) inter++;
    if (p || t) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** Fraction of pixels whose binarised value differs between a and b. */
export function maskChangeFraction(a: Uint8Array, b: Uint8Array): number {
  checkSame(a, b);
  let d = 0;
  for (let i = 0; i < a.length; i++) if (on(a[i]) !== on(b[i])) d++;
  return a.length === 0 ? 0 : d / a.length;
}

/** Alpha-weighted mean x (pixels, 0 = left column) of a mask; NaN for an empty mask. */
export function centroidX(mask: Uint8Array, w: number, h: number): number {
  if (mask.length !== w * h) throw new Error(`mask is ${mask.length} px, expected ${w}x${h}`);
  let s = 0,
    sx = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const a = mask[y * w + x];
      s += a;
      sx += a * x;
    }
  return s === 0 ? NaN : sx / s;
}

/** DAVIS's default boundary tolerance: 0.008 × the image diagonal, rounded (≥ 1). */
export function defaultBoundaryTolerance(w: number, h: number): number {
  return Math.max(1, Math.round(0.008 * Math.hypot(w, h)));
}

/**
 * Boundary pixels of the binarised mask: foreground pixels with a 4-neighbour in the
 * background. The frame edge is not a boundary (a person cut off by the frame has no contour
 * there in either mask).
 */
export function boundaryMap(mask: Uint8Array, w: number, h: number): Uint8Array {
  const b = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!on(mask[i])) continue;
      if (
        (x > 0 && !on(mask[i - 1])) ||
        (x < w - 1 && !on(mask[i + 1])) ||
        (y > 0 && !on(mask[i - w])) ||
        (y < h - 1 && !on(mask[i + w]))
      )
        b[i] = 1;
    }
  return b;
}

/**
 * DAVIS boundary F-measure (Perazzi et al., CVPR 2016): precision = fraction of predicted
 * boundary pixels within `tolerancePx` (Euclidean) of a true boundary pixel, recall = the
 * reverse, F = 2PR / (P + R). Default tolerance: round(0.008 × diagonal), e.g. 6 px at 640×480
 * (DAVIS's code takes the ceiling, 7). Both boundaries empty → 1; only one empty → 0.
 */
export function boundaryF(
  pred: Uint8Array,
  truth: Uint8Array,
  w: number,
  h: number,
  tolerancePx = defaultBoundaryTolerance(w, h),
): number {
  checkSame(pred, truth);
  if (pred.length !== w * h) throw new Error(`mask is ${pred.length} px, expected ${w}x${h}`);
  const bp = boundaryMap(pred, w, h),
    bt = boundaryMap(truth, w, h);
  let np = 0,
    nt = 0;
  for (let i = 0; i < bp.length; i++) {
    np += bp[i];
    nt += bt[i];
  }
  if (np === 0 && nt === 0) return 1;
  if (np === 0 || nt === 0) return 0;
  const tol2 = tolerancePx * tolerancePx;
  const dt = squaredDistances((i) => bt[i] === 1, w, h),
    dp = squaredDistances((i) => bp[i] === 1, w, h);
  let hitP = 0,
    hitT = 0;
  for (let i = 0; i < bp.length; i++) {
    if (bp[i] && dt[i] <= tol2) hitP++;
    if (bt[i] && dp[i] <= tol2) hitT++;
  }
  const precision = hitP / np,
    recall = hitT / nt;
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}
