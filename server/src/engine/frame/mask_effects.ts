// Looks built on the speaker mask after the colour transforms: background blur, and the
// mask debug view. Both work in place on I420 frames, with buffers owned by the caller's
// MaskEffects instance (one per session; nothing is allocated per frame).
import { i420Planes, type I420Frame } from '../image/i420.js';

/** Long side of the blurred background's low-resolution copy, pixels (smaller = stronger). */
const BLUR_LONG_SIDE = 48;

export class MaskEffects {
  private small = new Float32Array(0);
  private tmp = new Float32Array(0);

  /**
   * Blurs the background: each plane is box-downscaled to ~48 px on its long side, smoothed
   * twice with [1 2 1], upsampled bilinearly and blended in where the mask says background.
   */
  blurBackground(frame: I420Frame, mask: Uint8Array): void {
    const p = i420Planes(frame);
    this.blurPlane(p.y, p.width, p.height, mask, p.width, 1);
    this.blurPlane(p.u, p.chromaWidth, p.chromaHeight, mask, p.width, 2);
    this.blurPlane(p.v, p.chromaWidth, p.chromaHeight, mask, p.width, 2);
  }

  /** Debug view: the background (as the mask says) tinted green and darkened. */
  tintBackground(frame: I420Frame, mask: Uint8Array): void {
    const p = i420Planes(frame),
      W = p.width;
    for (let i = 0; i < p.y.length; i++) p.y[i] = p.y[i] - ((255 - mask[i]) * p.y[i] * 0.35) / 255;
    for (let cy = 0; cy < p.chromaHeight; cy++) {
      const my = Math.min(p.height - 1, 2 * cy) * W;
      for (let cx = 0; cx < p.chromaWidth; cx++) {
        const bgw = (0.6 * (255 - mask[my + Math.min(W - 1, 2 * cx)])) / 255,
          i = cy * p.chromaWidth + cx;
        p.u[i] += bgw * (64 - p.u[i]);
        p.v[i] += bgw * (64 - p.v[i]);
      }
    }
  }

  private blurPlane(plane: Uint8Array, w: number, h: number, mask: Uint8Array, maskW: number, step: number): void {
    const f = Math.max(1, Math.round(Math.max(w, h) / BLUR_LONG_SIDE));
    const sw = Math.ceil(w / f),
      sh = Math.ceil(h / f),
      n = sw * sh;
    if (this.small.length < n) {
      this.small = new Float32Array(n);
      this.tmp = new Float32Array(n);
    }
    const s = this.small,
      t = this.tmp,
      cols = this.columns(w, f, sw);
    s.fill(0, 0, n);
    for (let y = 0; y < h; y++) {
      const o = ((y / f) | 0) * sw,
        row = y * w;
      for (let x = 0; x < w; x++) s[o + cols.cell[x]] += plane[row + x];
    }
    for (let sy = 0; sy < sh; sy++) {
      const rows = Math.min(f, h - sy * f);
      for (let sx = 0; sx < sw; sx++) s[sy * sw + sx] /= rows * Math.min(f, w - sx * f);
    }
    for (let k = 0; k < 2; k++) smooth121(s, t, sw, sh);
    const maskH = mask.length / maskW,
      { x0, x1, fx } = cols;
    for (let y = 0; y < h; y++) {
      let fy = (y + 0.5) / f - 0.5;
      if (fy < 0) fy = 0;
      else if (fy > sh - 1) fy = sh - 1;
      const y0 = fy | 0,
        y1 = y0 + 1 < sh ? y0 + 1 : y0,
        ty = fy - y0,
        o0 = y0 * sw,
        o1 = y1 * sw;
      const mrow = Math.min(maskH - 1, y * step) * maskW,
        row = y * w;
      for (let x = 0; x < w; x++) {
        const bgw = 255 - mask[mrow + (x * step < maskW ? x * step : maskW - 1)];
        if (bgw === 0) continue;
        const a = s[o0 + x0[x]] + ty * (s[o1 + x0[x]] - s[o0 + x0[x]]);
        const b = s[o0 + x1[x]] + ty * (s[o1 + x1[x]] - s[o0 + x1[x]]);
        const blurred = a + fx[x] * (b - a);
        plane[row + x] += (bgw * (blurred - plane[row + x])) / 255;
      }
    }
  }

  /** Per column of a plane w wide: its cell in the small copy, and its bilinear taps (cached). */
  private columns(
    w: number,
    f: number,
    sw: number,
  ): { cell: Int32Array; x0: Int32Array; x1: Int32Array; fx: Float32Array } {
    const key = `${w}/${f}`;
    let c = this.colCache.get(key);
    if (!c) {
      c = { cell: new Int32Array(w), x0: new Int32Array(w), x1: new Int32Array(w), fx: new Float32Array(w) };
      for (let x = 0; x < w; x++) {
        c.cell[x] = (x / f) | 0;
        let sx = (x + 0.5) / f - 0.5;
        if (sx < 0) sx = 0;
        else if (sx > sw - 1) sx = sw - 1;
        c.x0[x] = sx | 0;
        c.x1[x] = c.x0[x] + 1 < sw ? c.x0[x] + 1 : c.x0[x];
        c.fx[x] = sx - c.x0[x];
      }
      this.colCache.set(key, c);
    }
    return c;
  }
  private readonly colCache = new Map<string, { cell: Int32Array; x0: Int32Array; x1: Int32Array; fx: Float32Array }>();
}

/** One pass of the separable [1 2 1]/4 filter (clamped borders): s -> s, t scratch. */
function smooth121(s: Float32Array, t: Float32Array, w: number, h: number): void {
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let x = 0; x < w; x++)
      t[o + x] = (s[o + Math.max(0, x - 1)] + 2 * s[o + x] + s[o + Math.min(w - 1, x + 1)]) / 4;
  }
  for (let y = 0; y < h; y++) {
    const a = Math.max(0, y - 1) * w,
      b = y * w,
      c = Math.min(h - 1, y + 1) * w;
    for (let x = 0; x < w; x++) s[b + x] = (t[a + x] + 2 * t[b + x] + t[c + x]) / 4;
  }
}
