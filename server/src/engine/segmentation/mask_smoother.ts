// Temporal stability of the speaker mask, per session (at the model's resolution): a
// motion-gated exponential moving average. Where the picture is still, a new mask moves the
// kept one only part of the way (k = kStill), which damps the frame-to-frame flicker that
// sensor noise causes at the speaker's edge; where the picture changed (luma difference to
// the previous frame above the noise level, dilated so it covers the edge region), the new
// mask is taken as it is (k = 1), so the mask does not lag on motion.

export interface SmootherOptions {
  /** weight of a new mask where the picture is still */
  kStill: number;
  /** luma change (0..255, low resolution) below which a pixel counts as still */
  stillBelow: number;
  /** luma change above which a pixel counts as moving (k = 1) */
  movingAbove: number;
  /** half-width of the square the motion is dilated over, pixels */
  radius: number;
}

export const DEFAULT_SMOOTHER: SmootherOptions = { kStill: 0.25, stillBelow: 3, movingAbove: 10, radius: 2 };

/** The same update in WebAssembly (frame/wasm_kernels.ts): the same operations, the same bits. */
export interface MaskSmoothKernel {
  smoothMask(
    raw: Uint8Array,
    luma: Float32Array,
    w: number,
    h: number,
    kept: Float32Array,
    prev: Float32Array,
    o: SmootherOptions,
  ): void;
}

export class MaskSmoother {
  private width = 0;
  private height = 0;
  /** the kept mask, 0..1 */
  private mask = new Float32Array(0);
  private prevLuma = new Float32Array(0);
  private motion = new Float32Array(0);
  private rowMax = new Float32Array(0);
  private readonly opt: SmootherOptions;

  /** `kernel`: the engine thread's WebAssembly kernels (used for interleaved luma, stride 3) */
  constructor(
    opt: Partial<SmootherOptions> = {},
    private readonly kernel?: MaskSmoothKernel,
  ) {
    this.opt = { ...DEFAULT_SMOOTHER, ...opt };
  }

  /** Forgets the past (a new stream, a resolution change). */
  reset(): void {
    this.width = 0;
    this.height = 0;
  }

  /**
   * Folds a new mask (0..255, w x h) into the kept one and returns it (0..1, a view valid
   * until the next call). `luma`: the frame's luma at the same size (0..255), read at
   * `stride` floats per pixel (3 for interleaved YUV).
   */
  update(raw: Uint8Array, luma: Float32Array, stride: number, w: number, h: number): Float32Array {
    const n = w * h;
    if (w !== this.width || h !== this.height) {
      this.width = w;
      this.height = h;
      this.mask = new Float32Array(n);
      this.prevLuma = new Float32Array(n);
      this.motion = new Float32Array(n);
      this.rowMax = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        this.mask[i] = raw[i] / 255;
        this.prevLuma[i] = luma[i * stride];
      }
      return this.mask;
    }
    if (this.kernel && stride === 3) {
      this.kernel.smoothMask(raw, luma, w, h, this.mask, this.prevLuma, this.opt);
      return this.mask;
    }
    const { kStill, stillBelow, movingAbove, radius } = this.opt;
    const d = this.rowMax,
      m = this.motion,
      prev = this.prevLuma;
    for (let i = 0; i < n; i++) {
      const y = luma[i * stride];
      d[i] = Math.abs(y - prev[i]);
      prev[i] = y;
    }
    dilate(d, m, w, h, radius);
    const span = movingAbove - stillBelow,
      kept = this.mask;
    for (let i = 0; i < n; i++) {
      let t = (m[i] - stillBelow) / span;
      t = t <= 0 ? 0 : t >= 1 ? 1 : t * t * (3 - 2 * t);
      const k = kStill + (1 - kStill) * t;
      kept[i] += k * (raw[i] / 255 - kept[i]);
    }
    return kept;
  }
}

/** Square max filter of half-width r: src -> out (src is overwritten as scratch); row-major passes. */
function dilate(src: Float32Array, out: Float32Array, w: number, h: number, r: number): void {
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let v = 0;
      const x0 = x - r < 0 ? 0 : x - r,
        x1 = x + r >= w ? w - 1 : x + r;
      for (let k = x0; k <= x1; k++) if (src[row + k] > v) v = src[row + k];
      out[row + x] = v;
    }
  }
  // vertical: each output row is the element-wise max of its 2r+1 neighbouring rows
  for (let y = 0; y < h; y++) {
    const y0 = y - r < 0 ? 0 : y - r,
      y1 = y + r >= h ? h - 1 : y + r,
      row = y * w;
    src.set(out.subarray(y0 * w, y0 * w + w), row);
    for (let k = y0 + 1; k <= y1; k++) {
      const o = k * w;
      for (let x = 0; x < w; x++) if (out[o + x] > src[row + x]) src[row + x] = out[o + x];
    }
  }
  out.set(src);
}
