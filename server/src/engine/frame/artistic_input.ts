// The input of a session's artistic networks: the frame area-downscaled to the internal size
// (long side ~256, multiples of 4 as the networks need) and converted to the networks' RGB
// NCHW tensor in 0..1. One per session, shared by all the looks it renders in a frame (the
// same picture goes into every network); its buffers are reused frame after frame.
import { yuvToRgb } from '../image/color.js';
import { Downscaler, type LowRes } from '../image/downscale.js';
import type { I420Frame } from '../image/i420.js';
import { ort } from '../runtime/onnx_session.js';

/** Long side of the networks' input: the stroke size they were trained for (models/artistic/README.md). */
export const ARTISTIC_LONG_SIDE = 256;
/** ... while the session sheds load at full resolution, and at half resolution (artistic_look.ts) */
export const ARTISTIC_SHED_LONG_SIDE = 192;
export const ARTISTIC_HALF_LONG_SIDE = 128;
/** the frame sizes warmed before a look is offered (4:3 and 16:9, at the full-quality internal size) */
export const ARTISTIC_WARM_FRAMES: readonly [number, number][] = [
  [640, 480],
  [1280, 720],
];

/** Internal size for a frame: long side `longSide` (never above the frame's), aspect kept, multiples of 4, at least 16. */
export function artisticSize(
  width: number,
  height: number,
  longSide = ARTISTIC_LONG_SIDE,
): { width: number; height: number } {
  const s = Math.min(1, longSide / Math.max(width, height));
  const round = (v: number) => Math.max(16, Math.round((v * s) / 4) * 4);
  return { width: round(width), height: round(height) };
}

export class ArtisticInput {
  readonly #downscaler = new Downscaler();
  #low: LowRes | undefined;
  #nchw = new Float32Array(0);
  #tensor: ort.Tensor | null = null;
  readonly #rgb = new Float32Array(3);

  get width(): number {
    return this.#low?.width ?? 0;
  }
  get height(): number {
    return this.#low?.height ?? 0;
  }

  /** The frame at the internal size, interleaved (Y, U-128, V-128): the upsampling's guide. */
  get low(): Float32Array {
    if (!this.#low) throw new Error('artistic input used before prepare()');
    return this.#low.yuv;
  }

  /** The networks' input tensor [1, 3, h, w] (RGB in 0..1). */
  get tensor(): ort.Tensor {
    if (!this.#tensor) throw new Error('artistic input used before prepare()');
    return this.#tensor;
  }

  /** Downscales `frame` to width x height and fills the tensor. */
  prepare(frame: I420Frame, width: number, height: number): void {
    const low = this.#downscaler.i420(frame, width, height, this.#low);
    this.#low = low;
    const n = width * height;
    if (this.#nchw.length !== 3 * n || !this.#tensor || this.#tensor.dims[3] !== width) {
      this.#nchw = new Float32Array(3 * n);
      this.#tensor = new ort.Tensor('float32', this.#nchw, [1, 3, height, width]);
    }
    const x = this.#nchw,
      yuv = low.yuv,
      rgb = this.#rgb;
    for (let i = 0; i < n; i++) {
      yuvToRgb(yuv[3 * i], yuv[3 * i + 1], yuv[3 * i + 2], rgb);
      for (let c = 0; c < 3; c++) {
        const v = rgb[c] / 255;
        x[c * n + i] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
}
