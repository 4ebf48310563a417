// Neural tier, low-resolution path: the distilled VGG-19 encoder (relu4_1), ST-AdaIN per
// region against each region's style, and the matching decoder, giving one low-resolution
// stylized target per region. The decoder does not reproduce its input exactly (colour
// bias, blur), so the content is decoded too, in the same batch, and each target is the
// content plus the *change* the style makes (decoded stylized - decoded content): the
// decoder's own error cancels, and a style equal to the content gives the content back.
// The targets are then turned into bilateral grids by the grid fit, which keeps their
// colours and drops the decoder's softness and halos.
import type { InferenceSession } from 'onnxruntime-node';
import { rgbToYuv, yuvToRgb } from '../image/color.js';
import { ort, type OnnxRuntime } from '../runtime/onnx_session.js';
import { adain, blendChannelStats, channelStats, maskedStats, type ChannelStats } from './st_adain.js';
import type { StyleEntry } from '../runtime/style_store.js';
import { stopIfCancelled } from '../pool/engine_error.js';

export const ENCODER_FILE = 'vgg_enc4.onnx';
export const DECODER_FILE = 'vgg_dec4.onnx';
const C41 = 128;
/** long side of the style image fed to the encoder */
const STYLE_SIDE = 256;

/** Per-session TC-AdaIN state: each region's content statistics at the previous update. */
export class TcState {
  fg: ChannelStats | null = null;
  bg: ChannelStats | null = null;
  reset(): void {
    this.fg = null;
    this.bg = null;
  }
}

export interface RegionTarget {
  /** the region's style; natural = keep the content */
  style: StyleEntry;
  /** output: interleaved Y, U-128, V-128 target (w*h*3) */
  out: Float32Array;
}

export interface NeuralTimings {
  prepMs: number;
  encodeMs: number;
  adainMs: number;
  decodeMs: number;
}

/** Interleaved YUV (Y, U-128, V-128) -> planar RGB in [0,1]. */
export function yuvToRgbPlanar(yuv: Float32Array, n: number, out: Float32Array, offset = 0): void {
  const t = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    yuvToRgb(yuv[3 * i], yuv[3 * i + 1], yuv[3 * i + 2], t);
    for (let c = 0; c < 3; c++) {
      const v = t[c] / 255;
      out[offset + c * n + i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
}

/** Planar RGB in [0,1] -> interleaved YUV (Y, U-128, V-128). */
export function rgbPlanarToYuv(rgb: Float32Array, n: number, offset: number, out: Float32Array): void {
  for (let i = 0; i < n; i++) {
    rgbToYuv(rgb[offset + i] * 255, rgb[offset + n + i] * 255, rgb[offset + 2 * n + i] * 255, out, 3 * i);
  }
}

/** Area-averages a w*h weight map into (w/8)*(h/8) cells. */
export function poolMask8(mask: Float32Array, w: number, h: number, out: Float32Array): void {
  const fw = w >> 3,
    fh = h >> 3;
  out.fill(0);
  for (let y = 0; y < fh * 8; y++) for (let x = 0; x < fw * 8; x++) out[(y >> 3) * fw + (x >> 3)] += mask[y * w + x];
  for (let i = 0; i < fw * fh; i++) out[i] /= 64;
}

export class NeuralTargets {
  private input = new Float32Array(0);
  private feats = new Float32Array(0);
  private recon = new Float32Array(0);
  private maskF = new Float32Array(0);
  private invMaskF = new Float32Array(0);
  private readonly cur = channelStats(C41);
  private readonly used = channelStats(C41);

  private constructor(
    private readonly onnx: OnnxRuntime,
    private readonly enc: InferenceSession,
    private readonly dec: InferenceSession,
  ) {}

  static async create(onnx: OnnxRuntime): Promise<NeuralTargets> {
    const [enc, dec] = await Promise.all([onnx.session(ENCODER_FILE), onnx.session(DECODER_FILE)]);
    return new NeuralTargets(onnx, enc, dec);
  }

  /** relu4_1 statistics of a style image (computed once per style and cached with it). */
  styleStats(style: StyleEntry): Promise<ChannelStats> {
    return style.cached('vgg-r41', async () => {
      const { width: sw, height: sh } = style.image;
      const scale = STYLE_SIDE / Math.max(sw, sh);
      const w = Math.max(16, Math.round((sw * scale) / 8) * 8),
        h = Math.max(16, Math.round((sh * scale) / 8) * 8);
      const rgb = style.rgb,
        x = new Float32Array(3 * w * h);
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++) {
          const sx = Math.min(sw - 1, Math.floor(((xx + 0.5) * sw) / w)),
            sy = Math.min(sh - 1, Math.floor(((y + 0.5) * sh) / h));
          for (let c = 0; c < 3; c++) x[c * w * h + y * w + xx] = rgb[3 * (sy * sw + sx) + c] / 255;
        }
      const r = await this.onnx.run(this.enc, { image: new ort.Tensor('float32', x, [1, 3, h, w]) }, ['r41']);
      const f = r.r41.data as Float32Array;
      const st = channelStats(C41);
      maskedStats(f, C41, (w >> 3) * (h >> 3), null, st);
      return st;
    });
  }

  /**
   * Writes each region's stylized target. `mask`: speaker weight per low-res pixel (0..1).
   * `tcAdainAlpha`: TC-AdaIN weight of the previous update's statistics (eq. 5-6).
   */
  async targets(
    width: number,
    height: number,
    yuv: Float32Array,
    mask: Float32Array,
    fg: RegionTarget,
    bg: RegionTarget,
    tc: TcState,
    tcAdainAlpha: number,
    stopped?: () => boolean,
  ): Promise<NeuralTimings> {
    if (width % 8 || height % 8) throw new RangeError(`neural input must be a multiple of 8, got ${width}x${height}`);
    const n = width * height,
      fw = width >> 3,
      fh = height >> 3,
      fn = fw * fh;
    const t0 = performance.now();
    if (this.input.length !== 3 * n) this.input = new Float32Array(3 * n);
    yuvToRgbPlanar(yuv, n, this.input);
    if (this.maskF.length !== fn) {
      this.maskF = new Float32Array(fn);
      this.invMaskF = new Float32Array(fn);
    }
    poolMask8(mask, width, height, this.maskF);
    for (let i = 0; i < fn; i++) this.invMaskF[i] = 1 - this.maskF[i];
    const t1 = performance.now();
    const enc = await this.onnx.run(this.enc, { image: new ort.Tensor('float32', this.input, [1, 3, height, width]) }, [
      'r41',
    ]);
    const x = enc.r41.data as Float32Array;
    // the decoder is the larger part of what is left
    stopIfCancelled(stopped);
    const t2 = performance.now();
    const regions: { r: RegionTarget; weights: Float32Array; key: 'fg' | 'bg' }[] = [
      { r: fg, weights: this.maskF, key: 'fg' },
      { r: bg, weights: this.invMaskF, key: 'bg' },
    ];
    const active = regions.filter((g) => !g.r.style.natural);
    // the stylized features of each active region, then the content's own
    const batch = active.length + 1;
    if (this.feats.length !== batch * C41 * fn) this.feats = new Float32Array(batch * C41 * fn);
    for (let k = 0; k < active.length; k++) {
      const g = active[k];
      const styleStats = await this.styleStats(g.r.style);
      // SA-AdaIN: the region's own statistics; a region too small to measure uses the frame's
      const wsum = maskedStats(x, C41, fn, g.weights, this.cur);
      if (wsum < 2) maskedStats(x, C41, fn, null, this.cur);
      blendChannelStats(this.cur, tc[g.key], tcAdainAlpha, this.used);
      const prev = tc[g.key] ?? channelStats(C41);
      prev.mean.set(this.cur.mean);
      prev.std.set(this.cur.std);
      tc[g.key] = prev;
      adain(x, C41, fn, this.used, styleStats, this.feats, k * C41 * fn);
    }
    const t3 = performance.now();
    for (const g of regions) if (g.r.style.natural) g.r.out.set(yuv.subarray(0, 3 * n));
    if (active.length) {
      this.feats.set(x.subarray(0, C41 * fn), active.length * C41 * fn);
      const dec = await this.onnx.run(this.dec, { feat: new ort.Tensor('float32', this.feats, [batch, C41, fh, fw]) }, [
        'image',
      ]);
      const img = dec.image.data as Float32Array;
      if (this.recon.length !== 3 * n) this.recon = new Float32Array(3 * n);
      rgbPlanarToYuv(img, n, active.length * 3 * n, this.recon);
      for (let k = 0; k < active.length; k++) {
        const out = active[k].r.out;
        rgbPlanarToYuv(img, n, k * 3 * n, out);
        for (let i = 0; i < 3 * n; i++) out[i] = yuv[i] + out[i] - this.recon[i];
      }
    }
    const t4 = performance.now();
    return { prepMs: t1 - t0, encodeMs: t2 - t1, adainMs: t3 - t2, decodeMs: t4 - t3 };
  }
}
