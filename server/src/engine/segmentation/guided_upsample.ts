// Mask enhancement (Xia et al. section 3.3) with a fast guided filter (He & Sun 2015): the
// low-resolution mask is explained locally as an affine function of the low-resolution luma
// (q = a·I + b over each (2r+1)² window), and those coefficients, smoothed and upsampled
// bilinearly, are applied to the full-resolution luma. The mask's edge then follows the
// frame's own edges (hair, shoulders) at full resolution instead of the model's 256-px
// blocks, for one multiply-add per pixel at full resolution.

export interface GuidedOptions {
  /** window half-width at low resolution, pixels */
  radius: number;
  /** regularisation: larger = smoother, less edge-following (luma and mask in 0..1) */
  eps: number;
  /** contrast around 0.5 applied to the result (folded into the coefficients; 1 = none) */
  gain: number;
  /** fit on 2x2-pooled statistics (4x less work; the radius is then in pooled pixels) */
  pool: 1 | 2;
}

export const DEFAULT_GUIDED: GuidedOptions = { radius: 1, eps: 4e-3, gain: 2, pool: 2 };

/** The fit and the full-resolution pass in WebAssembly (frame/wasm_kernels.ts, one per engine thread). */
export interface GuidedKernel {
  guidedFit(
    mask: Float32Array,
    luma: Float32Array,
    sw: number,
    sh: number,
    q: number,
    w: number,
    h: number,
    o: GuidedOptions,
    a: Float32Array,
    b: Float32Array,
  ): void;
  guidedApply(
    Y: Uint8Array,
    W: number,
    H: number,
    a: Float32Array,
    b: Float32Array,
    w: number,
    h: number,
    cols: ColumnTable,
    out: Uint8Array,
  ): void;
}

/** Per 2x2 block column: the two low-res columns it interpolates and the weight. */
export interface ColumnTable {
  x0: Int32Array;
  x1: Int32Array;
  fx: Float32Array;
}

/** Low-resolution guided-filter coefficients, reused across frames while the mask is unchanged. */
export class GuidedUpsampler {
  private w = 0;
  private h = 0;
  /** per low-res pixel: mask = a · Y + b (Y and mask in 0..255) */
  private a = new Float32Array(0);
  private b = new Float32Array(0);
  private s1 = new Float32Array(0);
  private s2 = new Float32Array(0);
  private s3 = new Float32Array(0);
  private s4 = new Float32Array(0);
  private tmp = new Float32Array(0);
  private rowA = new Float32Array(0);
  private rowB = new Float32Array(0);
  private cols: { x0: Int32Array; x1: Int32Array; fx: Float32Array; W: number; w: number } | null = null;
  private readonly box = new BoxFilter();
  private readonly opt: GuidedOptions;

  constructor(opt: Partial<GuidedOptions> = {}) {
    this.opt = { ...DEFAULT_GUIDED, ...opt };
  }

  get ready(): boolean {
    return this.w > 0;
  }

  /**
   * Fits the coefficients from a low-res mask (0..1) and the luma it was computed from
   * (0..255, read every `stride` floats). With `kernel` (and stride 3), the same in
   * WebAssembly: the same operations in the same order, so the same coefficients.
   */
  fit(mask: Float32Array, luma: Float32Array, stride: number, sw: number, sh: number, kernel?: GuidedKernel): void {
    const q = this.opt.pool,
      w = Math.max(1, Math.floor(sw / q)),
      h = Math.max(1, Math.floor(sh / q)),
      n = w * h;
    if (w !== this.w || h !== this.h) {
      this.w = w;
      this.h = h;
      for (const k of ['a', 'b', 's1', 's2', 's3', 's4', 'tmp'] as const) this[k] = new Float32Array(n);
      this.rowA = new Float32Array(w);
      this.rowB = new Float32Array(w);
    }
    if (kernel && stride === 3) {
      kernel.guidedFit(mask, luma, sw, sh, q, w, h, this.opt, this.a, this.b);
      return;
    }
    const { radius: r, eps } = this.opt;
    const I = this.s1,
      P = this.s2,
      IP = this.s3,
      II = this.s4;
    // window statistics (pooled q x q: the means of I, p, I·p, I² over each cell)
    const inv = 1 / (q * q);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let si = 0,
          sp = 0,
          sip = 0,
          sii = 0;
        for (let j = 0; j < q; j++)
          for (let k = 0; k < q; k++) {
            const o = (y * q + j) * sw + x * q + k,
              yv = luma[o * stride] / 255,
              p = mask[o];
            si += yv;
            sp += p;
            sip += yv * p;
            sii += yv * yv;
          }
        const i = y * w + x;
        I[i] = si * inv;
        P[i] = sp * inv;
        IP[i] = sip * inv;
        II[i] = sii * inv;
      }
    for (const s of [I, P, IP, II]) this.box.apply(s, this.tmp, w, h, r);
    const a = this.a,
      b = this.b;
    for (let i = 0; i < n; i++) {
      const mi = I[i],
        mp = P[i];
      const ai = (IP[i] - mi * mp) / (II[i] - mi * mi + eps);
      a[i] = ai;
      b[i] = mp - ai * mi;
    }
    this.box.apply(a, this.tmp, w, h, r);
    this.box.apply(b, this.tmp, w, h, r);
    // fold the contrast and the 0..1 scales into the coefficients: mask255 = a · Y255 + b
    const g = this.opt.gain;
    for (let i = 0; i < n; i++) {
      a[i] *= g;
      b[i] = 255 * (g * (b[i] - 0.5) + 0.5);
    }
  }

  /**
   * Writes the full-resolution mask (0..255) for a luma plane of W x H into `out`. The
   * coefficients are smooth (box-filtered twice at low resolution), so they are interpolated
   * once per 2x2 block and applied to each of its four pixels. With `kernel`, the same in
   * WebAssembly SIMD (within one code value of this code, which stays the reference).
   */
  apply(Y: Uint8Array, W: number, H: number, out: Uint8Array, kernel?: GuidedKernel): void {
    if (!this.ready) throw new Error('guided upsampler used before fit');
    if (kernel) {
      kernel.guidedApply(Y, W, H, this.a, this.b, this.w, this.h, this.columns((W + 1) >> 1), out);
      return;
    }
    const w = this.w,
      h = this.h,
      a = this.a,
      b = this.b,
      ra = this.rowA,
      rb = this.rowB;
    const BW = (W + 1) >> 1,
      BH = (H + 1) >> 1;
    const { x0, x1, fx } = this.columns(BW);
    for (let by = 0; by < BH; by++) {
      // vertical interpolation of the coefficient rows at the block centre, then horizontal
      let sy = ((by + 0.5) * h) / BH - 0.5;
      if (sy < 0) sy = 0;
      else if (sy > h - 1) sy = h - 1;
      const y0 = Math.floor(sy),
        y1 = y0 + 1 < h ? y0 + 1 : y0,
        t = sy - y0;
      const o0 = y0 * w,
        o1 = y1 * w;
      for (let x = 0; x < w; x++) {
        ra[x] = a[o0 + x] + t * (a[o1 + x] - a[o0 + x]);
        rb[x] = b[o0 + x] + t * (b[o1 + x] - b[o0 + x]);
      }
      const r0 = 2 * by * W,
        r1 = 2 * by + 1 < H ? r0 + W : r0;
      for (let bx = 0; bx < BW; bx++) {
        const i0 = x0[bx],
          i1 = x1[bx],
          f = fx[bx];
        const av = ra[i0] + f * (ra[i1] - ra[i0]);
        const bv = rb[i0] + f * (rb[i1] - rb[i0]) + 0.5;
        const X0 = 2 * bx,
          X1 = X0 + 1 < W ? X0 + 1 : X0;
        let q = av * Y[r0 + X0] + bv;
        out[r0 + X0] = q <= 0 ? 0 : q >= 255 ? 255 : q;
        q = av * Y[r0 + X1] + bv;
        out[r0 + X1] = q <= 0 ? 0 : q >= 255 ? 255 : q;
        q = av * Y[r1 + X0] + bv;
        out[r1 + X0] = q <= 0 ? 0 : q >= 255 ? 255 : q;
        q = av * Y[r1 + X1] + bv;
        out[r1 + X1] = q <= 0 ? 0 : q >= 255 ? 255 : q;
      }
    }
  }

  /** Per output column: the two low-res columns it interpolates and the weight (cached). */
  private columns(W: number): ColumnTable {
    if (this.cols && this.cols.W === W && this.cols.w === this.w) return this.cols;
    const w = this.w,
      x0 = new Int32Array(W),
      x1 = new Int32Array(W),
      fx = new Float32Array(W);
    for (let X = 0; X < W; X++) {
      let sx = ((X + 0.5) * w) / W - 0.5;
      if (sx < 0) sx = 0;
      else if (sx > w - 1) sx = w - 1;
      x0[X] = Math.floor(sx);
      x1[X] = x0[X] + 1 < w ? x0[X] + 1 : x0[X];
      fx[X] = sx - x0[X];
    }
    this.cols = { x0, x1, fx, W, w };
    return this.cols;
  }
}

/**
 * In-place mean over a (2r+1)² window (clamped at the borders), with running sums: a
 * horizontal pass into `tmp`, then a vertical pass that keeps one running sum per column
 * (row-major throughout, so it streams through memory). Its reciprocal tables and column
 * sums are kept between calls (one BoxFilter per GuidedUpsampler).
 */
export class BoxFilter {
  /** 1 / (number of samples in the clamped window) per position, per (n, r) */
  readonly #recip = new Map<string, Float32Array>();
  #col = new Float32Array(0);

  apply(s: Float32Array, tmp: Float32Array, w: number, h: number, r: number): void {
    const inv = this.#reciprocals(w, r),
      invY = this.#reciprocals(h, r);
    for (let y = 0; y < h; y++) {
      const row = y * w;
      let acc = 0;
      for (let x = 0; x <= r && x < w; x++) acc += s[row + x];
      for (let x = 0; x < w; x++) {
        tmp[row + x] = acc * inv[x];
        if (x + r + 1 < w) acc += s[row + x + r + 1];
        if (x - r >= 0) acc -= s[row + x - r];
      }
    }
    if (this.#col.length < w) this.#col = new Float32Array(w);
    const col = this.#col;
    col.fill(0, 0, w);
    for (let y = 0; y <= r && y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) col[x] += tmp[row + x];
    }
    for (let y = 0; y < h; y++) {
      const row = y * w,
        k = invY[y];
      for (let x = 0; x < w; x++) s[row + x] = col[x] * k;
      if (y + r + 1 < h) {
        const add = (y + r + 1) * w;
        for (let x = 0; x < w; x++) col[x] += tmp[add + x];
      }
      if (y - r >= 0) {
        const sub = (y - r) * w;
        for (let x = 0; x < w; x++) col[x] -= tmp[sub + x];
      }
    }
  }

  #reciprocals(n: number, r: number): Float32Array {
    const key = `${n}/${r}`;
    let v = this.#recip.get(key);
    if (!v) {
      v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = 1 / (Math.min(n - 1, i + r) - Math.max(0, i - r) + 1);
      this.#recip.set(key, v);
    }
    return v;
  }
}

/** BoxFilter.apply for a one-off call. */
export function boxFilter(s: Float32Array, tmp: Float32Array, w: number, h: number, r: number): void {
  new BoxFilter().apply(s, tmp, w, h, r);
}

/** Plain bilinear upsampling of a low-res mask (0..1) to W x H (the "no enhancement" baseline). */
export function bilinearUpsample(
  mask: Float32Array,
  w: number,
  h: number,
  W: number,
  H: number,
  out: Uint8Array,
): void {
  for (let Yr = 0; Yr < H; Yr++) {
    let sy = ((Yr + 0.5) * h) / H - 0.5;
    if (sy < 0) sy = 0;
    else if (sy > h - 1) sy = h - 1;
    const y0 = Math.floor(sy),
      y1 = y0 + 1 < h ? y0 + 1 : y0,
      t = sy - y0;
    for (let X = 0; X < W; X++) {
      let sx = ((X + 0.5) * w) / W - 0.5;
      if (sx < 0) sx = 0;
      else if (sx > w - 1) sx = w - 1;
      const x0 = Math.floor(sx),
        x1 = x0 + 1 < w ? x0 + 1 : x0,
        f = sx - x0;
      const top = mask[y0 * w + x0] + f * (mask[y0 * w + x1] - mask[y0 * w + x0]);
      const bot = mask[y1 * w + x0] + f * (mask[y1 * w + x1] - mask[y1 * w + x0]);
      out[Yr * W + X] = Math.round(255 * (top + t * (bot - top)));
    }
  }
}
