// Pixel-space compositing of artistic layers over the frame (an artistic look is not a colour
// transform, so it cannot be blended in grid space as the photoreal looks are). Each layer has
// a weight on the speaker (mask 255) and one on the background (mask 0); a pixel's weight is
// the soft mask's mix of the two, and the layers add up over the base frame:
//
//   out = base + Σ_L w_L(m) · (L − base),   w_L(m) = bg_L + (fg_L − bg_L) · m / 255
//
// (the weights of a pixel sum to at most 1: a region's looks cross-fade). Chroma takes the mask
// of the top-left luma pixel of its 2x2 block. In place on I420; per-layer weight tables are
// the instance's own (nothing allocated per frame).
import type { I420Frame } from '../image/i420.js';

export const MAX_LAYERS = 4;

export interface ComposeLayer {
  /** the look at the frame's size (I420) */
  image: Uint8Array;
  /** weight on the speaker (mask 255) and on the background (mask 0), 0..1 */
  fg: number;
  bg: number;
}

export class PixelComposer {
  readonly #luts = Array.from({ length: MAX_LAYERS }, () => new Float32Array(256));
  /** the images of this frame's active layers (slots reused) */
  readonly #images: Uint8Array[] = [];

  /** Composites the first `count` of `layers` over `frame`; without a mask the whole frame is the speaker. */
  compose(frame: I420Frame, layers: readonly ComposeLayer[], count: number, mask?: Uint8Array): void {
    const images = this.#images;
    images.length = 0;
    for (let k = 0; k < count && images.length < MAX_LAYERS; k++) {
      const l = layers[k];
      if (l.fg <= 0 && (l.bg <= 0 || !mask)) continue;
      const lut = this.#luts[images.length];
      for (let m = 0; m < 256; m++) lut[m] = mask ? l.bg + ((l.fg - l.bg) * m) / 255 : l.fg;
      images.push(l.image);
    }
    if (!images.length) return;
    // one opaque layer everywhere: a copy
    if (images.length === 1 && this.#luts[0][0] >= 1 && this.#luts[0][255] >= 1) {
      frame.data.set(images[0].subarray(0, frame.data.length));
      return;
    }
    const W = frame.width,
      H = frame.height,
      cw = (W + 1) >> 1,
      ch = (H + 1) >> 1,
      ySize = W * H,
      cSize = cw * ch;
    this.#plane(frame.data, 0, W, H, mask, W, 1);
    this.#plane(frame.data, ySize, cw, ch, mask, W, 2);
    this.#plane(frame.data, ySize + cSize, cw, ch, mask, W, 2);
  }

  /** One plane at `off` in the I420 buffers (w x h; the mask is maskW wide and sampled every `step` pixels). */
  #plane(
    out: Uint8Array,
    off: number,
    w: number,
    h: number,
    mask: Uint8Array | undefined,
    maskW: number,
    step: number,
  ): void {
    const images = this.#images,
      luts = this.#luts,
      n = images.length,
      maskH = mask ? mask.length / maskW : 0;
    for (let y = 0; y < h; y++) {
      const row = off + y * w,
        mrow = mask ? Math.min(maskH - 1, y * step) * maskW : 0;
      if (n === 1) {
        const a = images[0],
          lut = luts[0];
        for (let x = 0; x < w; x++) {
          const i = row + x,
            m = mask ? mask[mrow + (x * step < maskW ? x * step : maskW - 1)] : 255,
            b = out[i];
          out[i] = b + lut[m] * (a[i] - b) + 0.5;
        }
        continue;
      }
      for (let x = 0; x < w; x++) {
        const i = row + x,
          m = mask ? mask[mrow + (x * step < maskW ? x * step : maskW - 1)] : 255,
          b = out[i];
        let v = b + 0.5;
        for (let k = 0; k < n; k++) v += luts[k][m] * (images[k][i] - b);
        out[i] = v <= 0 ? 0 : v >= 255 ? 255 : v;
      }
    }
  }
}
