// Upsampling an artistic look's low-resolution output (the network runs at ~256 px) to the
// frame's full resolution, guided by the full-resolution frame. Chroma is interpolated
// bilinearly (the look has no fine colour detail worth more pixels; I420 halves it anyway).
// Luma is modelled locally as a gain on the frame's own luma plus a smooth remainder:
//
//   Y(x) = A(x) · Yframe(x) + C(x),   C = Ystylized − A · Yframe↓   (at low resolution)
//
// with A and C interpolated bilinearly. At the low-res samples this gives back the network's
// output; between them the frame's own full-resolution edges come back, scaled by A.
// Three choices of A:
// - 'bilinear': A = 0 (plain bilinear upsampling: soft at 720p, 5x up);
// - 'detail':   A = k constant (the frame's fine luma detail added back with gain k);
// - 'guided':   A = the local regression slope of the stylized luma on the frame's luma over
//   a (2r+1)² window (a fast guided filter, He & Sun 2015, with its remainder kept so strokes
//   the frame does not explain survive), clamped to [0, maxGain] and box-smoothed: detail comes
//   back where the look follows the picture's tones and not where the painting overrides them.
// All buffers belong to the instance (one per layer of a session); nothing is allocated per frame.
import { rgbToYuv } from '../image/color.js';
import { i420Planes, type I420Frame } from '../image/i420.js';
import { BoxFilter } from '../segmentation/guided_upsample.js';

export type ArtisticUpsampling = 'bilinear' | 'detail' | 'guided';

export interface ArtisticUpsampleOptions {
  method: ArtisticUpsampling;
  /** 'detail': the gain k of the frame's luma detail */
  detailGain: number;
  /** 'guided': window half-width, in 2x2-pooled pixels of the network's output */
  radius: number;
  /** 'guided': regularisation (luma in 0..1): larger = smaller gains in flat areas */
  eps: number;
  /** 'guided': largest gain */
  maxGain: number;
}

export const DEFAULT_ARTISTIC_UPSAMPLE: ArtisticUpsampleOptions = {
  method: 'guided',
  detailGain: 0.7,
  radius: 1,
  eps: 2e-3,
  maxGain: 1.2,
};

/** Bilinear taps of n output samples over m input samples (centres aligned). */
interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  f: Float32Array;
}

function taps(n: number, m: number): Taps {
  const t: Taps = { i0: new Int32Array(n), i1: new Int32Array(n), f: new Float32Array(n) };
  for (let k = 0; k < n; k++) {
    let s = ((k + 0.5) * m) / n - 0.5;
    if (s < 0) s = 0;
    else if (s > m - 1) s = m - 1;
    t.i0[k] = Math.floor(s);
    t.i1[k] = t.i0[k] + 1 < m ? t.i0[k] + 1 : t.i0[k];
    t.f[k] = s - t.i0[k];
  }
  return t;
}

export class ArtisticUpsampler {
  readonly #opt: ArtisticUpsampleOptions;
  #w = 0;
  #h = 0;
  /** low-res planes: stylized Y, U-128, V-128; gain A; remainder C; guided-filter scratch */
  #ys = new Float32Array(0);
  #us = new Float32Array(0);
  #vs = new Float32Array(0);
  #a = new Float32Array(0);
  #c = new Float32Array(0);
  #s1 = new Float32Array(0);
  #s2 = new Float32Array(0);
  #s3 = new Float32Array(0);
  #s4 = new Float32Array(0);
  #s5 = new Float32Array(0);
  #tmp = new Float32Array(0);
  #rowA = new Float32Array(0);
  #rowC = new Float32Array(0);
  readonly #yuv = new Float32Array(3);
  readonly #box = new BoxFilter();
  readonly #taps = new Map<string, Taps>();

  constructor(opt: Partial<ArtisticUpsampleOptions> = {}) {
    this.#opt = { ...DEFAULT_ARTISTIC_UPSAMPLE, ...opt };
  }

  get options(): Readonly<ArtisticUpsampleOptions> {
    return this.#opt;
  }

  /** Takes the network's output (NCHW RGB in 0..1, w x h) as low-res Y, U, V planes. */
  fromNetwork(rgb: Float32Array, w: number, h: number): void {
    const n = w * h;
    if (w !== this.#w || h !== this.#h) this.#resize(w, h);
    const t = this.#yuv,
      ys = this.#ys,
      us = this.#us,
      vs = this.#vs;
    for (let i = 0; i < n; i++) {
      rgbToYuv(255 * rgb[i], 255 * rgb[n + i], 255 * rgb[2 * n + i], t);
      ys[i] = t[0];
      us[i] = t[1];
      vs[i] = t[2];
    }
  }

  /**
   * Writes the full-resolution look into `out` (an I420 buffer of the frame's size), guided by
   * `frame` (the original, read only) and its low-res copy `low` (interleaved Y, U-128, V-128,
   * the network's input; the same w x h as the output given to fromNetwork).
   */
  upsample(frame: I420Frame, low: Float32Array, out: Uint8Array): void {
    const p = i420Planes(frame),
      o = i420Planes({ width: frame.width, height: frame.height, data: out });
    this.#gain(low);
    this.#luma(p.y, p.width, p.height, o.y);
    this.#chroma(this.#us, o.u, p.chromaWidth, p.chromaHeight);
    this.#chroma(this.#vs, o.v, p.chromaWidth, p.chromaHeight);
  }

  #resize(w: number, h: number): void {
    this.#w = w;
    this.#h = h;
    const n = w * h;
    this.#ys = new Float32Array(n);
    this.#us = new Float32Array(n);
    this.#vs = new Float32Array(n);
    this.#a = new Float32Array(n);
    this.#c = new Float32Array(n);
    this.#s1 = new Float32Array(n);
    this.#s2 = new Float32Array(n);
    this.#s3 = new Float32Array(n);
    this.#s4 = new Float32Array(n);
    this.#s5 = new Float32Array(n);
    this.#tmp = new Float32Array(n);
    this.#rowA = new Float32Array(w);
    this.#rowC = new Float32Array(w);
  }

  /** Fills the gain A and the remainder C = Ys − A · Yframe↓ at low resolution. */
  #gain(low: Float32Array): void {
    const n = this.#w * this.#h,
      a = this.#a,
      c = this.#c,
      ys = this.#ys,
      { method, detailGain, radius, eps, maxGain } = this.#opt;
    if (method !== 'guided') {
      const k = method === 'detail' ? detailGain : 0;
      for (let i = 0; i < n; i++) {
        a[i] = k;
        c[i] = ys[i] - k * low[3 * i];
      }
      return;
    }
    // window means of I (frame luma), p (stylized luma), I·p and I² (in 0..1), on 2x2-pooled
    // cells (4x less work; the gain is smooth anyway)
    const w = this.#w,
      h = this.#h,
      pw = w >> 1,
      ph = h >> 1,
      pn = pw * ph;
    const mI = this.#s1,
      mP = this.#s2,
      mIP = this.#s3,
      mII = this.#s4,
      g = this.#s5,
      tmp = this.#tmp;
    for (let py = 0; py < ph; py++)
      for (let px = 0; px < pw; px++) {
        let si = 0,
          sp = 0,
          sip = 0,
          sii = 0;
        for (let j = 0; j < 2; j++)
          for (let k = 0; k < 2; k++) {
            const i = (2 * py + j) * w + 2 * px + k,
              I = low[3 * i] / 255,
              P = ys[i] / 255;
            si += I;
            sp += P;
            sip += I * P;
            sii += I * I;
          }
        const o = py * pw + px;
        mI[o] = si / 4;
        mP[o] = sp / 4;
        mIP[o] = sip / 4;
        mII[o] = sii / 4;
      }
    this.#box.apply(mI, tmp, pw, ph, radius);
    this.#box.apply(mP, tmp, pw, ph, radius);
    this.#box.apply(mIP, tmp, pw, ph, radius);
    this.#box.apply(mII, tmp, pw, ph, radius);
    for (let i = 0; i < pn; i++) {
      const v = (mIP[i] - mI[i] * mP[i]) / (mII[i] - mI[i] * mI[i] + eps);
      g[i] = v < 0 ? 0 : v > maxGain ? maxGain : v;
    }
    this.#box.apply(g, tmp, pw, ph, radius);
    // the gain at the network's resolution (bilinear), and the remainder the frame does not explain
    const cols = this.#cached(w, pw),
      rows = this.#cached(h, ph);
    for (let y = 0; y < h; y++) {
      const o0 = rows.i0[y] * pw,
        o1 = rows.i1[y] * pw,
        t = rows.f[y],
        row = y * w;
      for (let x = 0; x < w; x++) {
        const x0 = cols.i0[x],
          x1 = cols.i1[x],
          top = g[o0 + x0] + cols.f[x] * (g[o0 + x1] - g[o0 + x0]),
          bot = g[o1 + x0] + cols.f[x] * (g[o1 + x1] - g[o1 + x0]),
          i = row + x;
        a[i] = top + t * (bot - top);
        c[i] = ys[i] - a[i] * low[3 * i];
      }
    }
  }

  #cached(n: number, m: number): Taps {
    const key = `${n}/${m}`;
    let t = this.#taps.get(key);
    if (!t) {
      t = taps(n, m);
      this.#taps.set(key, t);
    }
    return t;
  }

  /**
   * Y = A · Yframe + C, with A and C interpolated bilinearly at every pixel (rows first, then
   * columns). Per pixel, not per 2x2 block as the mask's guided pass: C carries the strokes,
   * and a block grid would add a 2-pixel staircase to them.
   */
  #luma(Y: Uint8Array, W: number, H: number, out: Uint8Array): void {
    const w = this.#w,
      a = this.#a,
      c = this.#c,
      ra = this.#rowA,
      rc = this.#rowC;
    const cols = this.#cached(W, w),
      rows = this.#cached(H, this.#h),
      ci0 = cols.i0,
      ci1 = cols.i1,
      cf = cols.f;
    const constGain = this.#opt.method !== 'guided',
      k = a[0];
    for (let yy = 0; yy < H; yy++) {
      const o0 = rows.i0[yy] * w,
        o1 = rows.i1[yy] * w,
        t = rows.f[yy],
        row = yy * W;
      for (let x = 0; x < w; x++) rc[x] = c[o0 + x] + t * (c[o1 + x] - c[o0 + x]) + 0.5;
      if (constGain) {
        for (let X = 0; X < W; X++) {
          const i0 = ci0[X];
          const v = k * Y[row + X] + rc[i0] + cf[X] * (rc[ci1[X]] - rc[i0]);
          out[row + X] = v <= 0 ? 0 : v >= 255 ? 255 : v;
        }
        continue;
      }
      for (let x = 0; x < w; x++) ra[x] = a[o0 + x] + t * (a[o1 + x] - a[o0 + x]);
      for (let X = 0; X < W; X++) {
        const i0 = ci0[X],
          i1 = ci1[X],
          f = cf[X];
        const v = (ra[i0] + f * (ra[i1] - ra[i0])) * Y[row + X] + rc[i0] + f * (rc[i1] - rc[i0]);
        out[row + X] = v <= 0 ? 0 : v >= 255 ? 255 : v;
      }
    }
  }

  /** One chroma plane (U-128 or V-128 at low res) -> CW x CH bytes. */
  #chroma(src: Float32Array, out: Uint8Array, CW: number, CH: number): void {
    const w = this.#w,
      r = this.#rowC;
    const cols = this.#cached(CW, w),
      rows = this.#cached(CH, this.#h);
    for (let yy = 0; yy < CH; yy++) {
      const o0 = rows.i0[yy] * w,
        o1 = rows.i1[yy] * w,
        t = rows.f[yy];
      for (let x = 0; x < w; x++) r[x] = src[o0 + x] + t * (src[o1 + x] - src[o0 + x]);
      const row = yy * CW;
      for (let X = 0; X < CW; X++) {
        const i0 = cols.i0[X];
        const v = 128.5 + r[i0] + cols.f[X] * (r[cols.i1[X]] - r[i0]);
        out[row + X] = v <= 0 ? 0 : v >= 255 ? 255 : v;
      }
    }
  }
}
