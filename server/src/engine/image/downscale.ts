// Area-averaging downscale of an I420 frame to a small interleaved (Y, U-128, V-128) image,
// the input of every low-resolution stage (colour statistics, segmentation, grid fitting).
import { i420Planes, type I420Frame } from './i420.js';

export interface LowRes {
  width: number;
  height: number;
  /** interleaved Y, U-128, V-128 */
  yuv: Float32Array;
}

/**
 * Low-resolution size for a frame: long side `longSide`, short side rounded to a multiple of
 * `multiple` (the neural encoder needs multiples of 8), aspect ratio kept.
 */
export function lowResSize(
  width: number,
  height: number,
  longSide: number,
  multiple = 8,
): { width: number; height: number } {
  const round = (v: number) => Math.max(multiple * 2, Math.round(v / multiple) * multiple);
  if (width >= height) return { width: round(longSide), height: round((longSide * height) / width) };
  return { width: round((longSide * width) / height), height: round(longSide) };
}

/**
 * Source span [lo, hi) of each of n output samples over `full` input samples, as pairs
 * (lo0, hi0, lo1, hi1, ...): the area footprint, never empty (also when n > full, e.g. the
 * chroma of a small frame: then each output takes its nearest input).
 */
function bounds(n: number, full: number): Int32Array {
  const b = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const lo = Math.min(full - 1, Math.floor((i * full) / n));
    b[2 * i] = lo;
    b[2 * i + 1] = Math.max(lo + 1, Math.min(full, Math.floor(((i + 1) * full) / n)));
  }
  return b;
}

/** The same downscales in WebAssembly SIMD (frame/wasm_kernels.ts, one per engine thread). */
export interface DownscaleKernel {
  i420(
    frame: I420Frame,
    w: number,
    h: number,
    bx: Int32Array,
    by: Int32Array,
    cbx: Int32Array,
    cby: Int32Array,
    out: Float32Array,
  ): void;
  mask(
    plane: Uint8Array,
    W: number,
    H: number,
    w: number,
    h: number,
    bx: Int32Array,
    by: Int32Array,
    out: Uint8Array,
  ): void;
}

/**
 * Area-averaging downscales with the footprints of each size pair computed once (one
 * Downscaler per user on a hot path: a session's stylizer, a segmenter stream). With a
 * kernel, the sums run in WebAssembly (the same results: integer sums, then the same f64
 * arithmetic); this code stays the reference.
 */
export class Downscaler {
  readonly #bounds = new Map<string, Int32Array>();
  readonly #kernel: DownscaleKernel | undefined;

  constructor(kernel?: DownscaleKernel) {
    this.#kernel = kernel;
  }

  #footprint(n: number, full: number): Int32Array {
    const k = `${n}/${full}`;
    let b = this.#bounds.get(k);
    if (!b) {
      b = bounds(n, full);
      this.#bounds.set(k, b);
    }
    return b;
  }

  /** Averages each output pixel's footprint. Reuses `out` when its size matches. */
  i420(frame: I420Frame, w: number, h: number, out?: LowRes): LowRes {
    const p = i420Planes(frame);
    if (!out || out.width !== w || out.height !== h) out = { width: w, height: h, yuv: new Float32Array(w * h * 3) };
    const W = frame.width,
      CW = p.chromaWidth;
    const bx = this.#footprint(w, W),
      by = this.#footprint(h, frame.height);
    const cbx = this.#footprint(w, CW),
      cby = this.#footprint(h, p.chromaHeight);
    if (this.#kernel) {
      this.#kernel.i420(frame, w, h, bx, by, cbx, cby, out.yuv);
      return out;
    }
    const yuv = out.yuv,
      Y = p.y,
      U = p.u,
      V = p.v;
    for (let oy = 0; oy < h; oy++) {
      const y0 = by[2 * oy],
        y1 = by[2 * oy + 1],
        cy0 = cby[2 * oy],
        cy1 = cby[2 * oy + 1];
      for (let ox = 0; ox < w; ox++) {
        const x0 = bx[2 * ox],
          x1 = bx[2 * ox + 1];
        let s = 0;
        for (let y = y0; y < y1; y++) {
          const row = y * W;
          for (let x = x0; x < x1; x++) s += Y[row + x];
        }
        const cx0 = cbx[2 * ox],
          cx1 = cbx[2 * ox + 1];
        let su = 0,
          sv = 0;
        for (let y = cy0; y < cy1; y++) {
          const row = y * CW;
          for (let x = cx0; x < cx1; x++) {
            su += U[row + x];
            sv += V[row + x];
          }
        }
        const o = 3 * (oy * w + ox),
          n = (y1 - y0) * (x1 - x0),
          cn = (cy1 - cy0) * (cx1 - cx0);
        yuv[o] = s / n;
        yuv[o + 1] = su / cn - 128;
        yuv[o + 2] = sv / cn - 128;
      }
    }
    return out;
  }

  /** Area-averaging downscale of a full-resolution mask plane (W x H, 0..255) to w x h. */
  mask(plane: Uint8Array, W: number, H: number, w: number, h: number, out?: Uint8Array): Uint8Array {
    if (!out || out.length !== w * h) out = new Uint8Array(w * h);
    const bx = this.#footprint(w, W),
      by = this.#footprint(h, H);
    if (this.#kernel) {
      this.#kernel.mask(plane, W, H, w, h, bx, by, out);
      return out;
    }
    for (let oy = 0; oy < h; oy++) {
      const y0 = by[2 * oy],
        y1 = by[2 * oy + 1];
      for (let ox = 0; ox < w; ox++) {
        const x0 = bx[2 * ox],
          x1 = bx[2 * ox + 1];
        let s = 0;
        for (let y = y0; y < y1; y++) {
          const row = y * W;
          for (let x = x0; x < x1; x++) s += plane[row + x];
        }
        out[oy * w + ox] = Math.round(s / ((y1 - y0) * (x1 - x0)));
      }
    }
    return out;
  }
}

/** Downscaler.i420 for a one-off call. */
export function downscaleI420(frame: I420Frame, w: number, h: number, out?: LowRes): LowRes {
  return new Downscaler().i420(frame, w, h, out);
}

/** Downscaler.mask for a one-off call. */
export function downscaleMask(
  plane: Uint8Array,
  W: number,
  H: number,
  w: number,
  h: number,
  out?: Uint8Array,
): Uint8Array {
  return new Downscaler().mask(plane, W, H, w, h, out);
}

/** One plane halved by 2x2 box averages into the same buffer (dst offset <= src offset). */
function halvePlane(buf: Uint8Array, src: number, W: number, H: number, dst: number, w: number, h: number): void {
  for (let y = 0; y < h; y++) {
    const r0 = src + Math.min(2 * y, H - 1) * W,
      r1 = src + Math.min(2 * y + 1, H - 1) * W,
      o = dst + y * w;
    for (let x = 0; x < w; x++) {
      const x0 = Math.min(2 * x, W - 1),
        x1 = Math.min(2 * x + 1, W - 1);
      buf[o + x] = (buf[r0 + x0] + buf[r0 + x1] + buf[r1 + x0] + buf[r1 + x1] + 2) >> 2;
    }
  }
}

/**
 * Halves an I420 frame (2x2 box filter) in its own buffer, without allocating: every output
 * sample lies at or before the first input sample it reads, and each plane's output ends
 * before the next plane's input starts. Returns the half-size frame (a view on the buffer).
 */
export function halveI420InPlace(frame: I420Frame): I420Frame {
  const W = frame.width,
    H = frame.height,
    w = Math.max(1, W >> 1),
    h = Math.max(1, H >> 1);
  const CW = (W + 1) >> 1,
    CH = (H + 1) >> 1,
    cw = (w + 1) >> 1,
    ch = (h + 1) >> 1;
  const d = frame.data;
  i420Planes(frame); // size check
  halvePlane(d, 0, W, H, 0, w, h);
  halvePlane(d, W * H, CW, CH, w * h, cw, ch);
  halvePlane(d, W * H + CW * CH, CW, CH, w * h + cw * ch, cw, ch);
  return { width: w, height: h, data: d.subarray(0, w * h + 2 * cw * ch) };
}
