// Area-averaging downscale of an I420 frame to a small interleaved (Y, U-128, V-128) image,
// the input of every low-resolution stage (colour statistics, segmentation, grid fitting).
import { i420Planes, type I420Frame } from './i420.js';

export interface LowRes {
  width: number;
  height: number;
  /** interleaved Y, U-128, V-128 */
  yuv: Float32Array;
  /** integer reduction factor from the full frame */
  factor: number;
}

/** Integer factor that brings the long side closest to `target` (at least 1). */
export function reductionFactor(width: number, height: number, target: number): number {
  return Math.max(1, Math.round(Math.max(width, height) / target));
}

export function lowResSize(width: number, height: number, factor: number): { width: number; height: number } {
  return { width: Math.max(1, Math.floor(width / factor)), height: Math.max(1, Math.floor(height / factor)) };
}

/** Reuses `out` when its size matches. */
export function downscaleI420(frame: I420Frame, factor: number, out?: LowRes): LowRes {
  const p = i420Planes(frame);
  const { width: w, height: h } = lowResSize(frame.width, frame.height, factor);
  if (!out || out.width !== w || out.height !== h || out.factor !== factor) {
    out = { width: w, height: h, yuv: new Float32Array(w * h * 3), factor };
  }
  const W = frame.width, CW = p.chromaWidth;
  const yuv = out.yuv;
  const inv = 1 / (factor * factor);
  const yRow = new Float64Array(w);
  for (let oy = 0; oy < h; oy++) {
    yRow.fill(0);
    for (let dy = 0; dy < factor; dy++) {
      const row = (oy * factor + dy) * W;
      for (let ox = 0, x = 0; ox < w; ox++) {
        let s = 0;
        for (let dx = 0; dx < factor; dx++, x++) s += p.y[row + x];
        yRow[ox] += s;
      }
    }
    // chroma: sample the chroma plane at the block centre (chroma is smooth)
    const cy = Math.min(p.chromaHeight - 1, ((oy * factor + (factor >> 1)) >> 1));
    for (let ox = 0; ox < w; ox++) {
      const cx = Math.min(CW - 1, (ox * factor + (factor >> 1)) >> 1);
      const o = 3 * (oy * w + ox);
      yuv[o] = yRow[ox] * inv;
      yuv[o + 1] = p.u[cy * CW + cx] - 128;
      yuv[o + 2] = p.v[cy * CW + cx] - 128;
    }
  }
  return out;
}
