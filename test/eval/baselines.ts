// The two baselines of the evaluation, each a per-frame function with no temporal state:
//  - a per-frame encoder → AdaIN → decoder at the frame's full (evaluation) resolution with the
//    product's distilled VGG pair (as fullResNetBaseline in test/bench/engine.bench.ts), no
//    grid; two regions by SA-AdaIN: each region's content statistics under its mask (pooled
//    to the 1/8 feature grid), the two AdaIN'd feature maps blended by that mask, one decode;
//  - a global 33³ 3D LUT per region (JS, trilinear, as ffmpeg's lut3d interpolates): the global
//    tier's transform (the closed-form colour transfer of global_transfer.ts, default options)
//    from the region's statistics in the clip's first frame to its style's, baked into the LUT
//    once (a fixed grade, as a LUT is) and applied to every frame; the two regions' results
//    blended per pixel by the soft mask.
import { downscaleI420 } from '../../server/src/engine/image/downscale.js';
import { i420ToRgb, rgbToI420 } from '../../server/src/engine/image/frame_convert.js';
import { i420Planes, i420Size, type I420Frame } from '../../server/src/engine/image/i420.js';
import {
  NeuralTargets,
  poolMask8,
  rgbPlanarToYuv,
  yuvToRgbPlanar,
} from '../../server/src/engine/lowres/neural_targets.js';
import { ort, OnnxRuntime } from '../../server/src/engine/runtime/onnx_session.js';
import { adain, channelStats, maskedStats, type ChannelStats } from '../../server/src/engine/lowres/st_adain.js';
import type { StyleEntry } from '../../server/src/engine/runtime/style_store.js';
import { colorStats, rgbToYuv, yuvToRgb, type ColorStats } from '../../server/src/engine/image/color.js';
import { regionAffine } from '../../server/src/engine/frame/global_look.js';
import { COEFFS } from '../../server/src/engine/image/grid.js';

const C = 128;

/** Interleaved (Y, U−128, V−128) float at full size -> I420 (chroma: 2×2 means). */
function yuvToI420(yuv: Float32Array, W: number, H: number): I420Frame {
  const f: I420Frame = { width: W, height: H, data: new Uint8Array(i420Size(W, H)) };
  const p = i420Planes(f),
    clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  for (let i = 0; i < W * H; i++) p.y[i] = clamp(yuv[3 * i]);
  for (let cy = 0; cy < p.chromaHeight; cy++)
    for (let cx = 0; cx < p.chromaWidth; cx++) {
      let su = 0,
        sv = 0,
        n = 0;
      for (let dy = 0; dy < 2; dy++)
        for (let dx = 0; dx < 2; dx++) {
          const x = 2 * cx + dx,
            y = 2 * cy + dy;
          if (x >= W || y >= H) continue;
          su += yuv[3 * (y * W + x) + 1];
          sv += yuv[3 * (y * W + x) + 2];
          n++;
        }
      p.u[cy * p.chromaWidth + cx] = clamp(128 + su / n);
      p.v[cy * p.chromaWidth + cx] = clamp(128 + sv / n);
    }
  return f;
}

export interface NetOutput {
  out: I420Frame;
  fgOnly?: I420Frame;
  bgOnly?: I420Frame;
}

export class NetBaseline {
  private constructor(
    private readonly enc: ort.InferenceSession,
    private readonly dec: ort.InferenceSession,
    private readonly fgStyle: ChannelStats,
    private readonly bgStyle: ChannelStats,
  ) {}

  static async create(fg: StyleEntry, bg: StyleEntry): Promise<NetBaseline> {
    const onnx = new OnnxRuntime({ provider: 'cpu', threads: 2 });
    const [enc, dec, nt] = await Promise.all([
      onnx.session('vgg_enc4.onnx'),
      onnx.session('vgg_dec4.onnx'),
      NeuralTargets.create(onnx),
    ]);
    return new NetBaseline(enc, dec, await nt.styleStats(fg), await nt.styleStats(bg));
  }

  private async decode(feats: Float32Array, W: number, H: number): Promise<I420Frame> {
    const img = (await this.dec.run({ feat: new ort.Tensor('float32', feats, [1, C, H >> 3, W >> 3]) }, ['image']))
      .image.data as Float32Array;
    const yuv = new Float32Array(3 * W * H);
    rgbPlanarToYuv(img, W * H, 0, yuv);
    return yuvToI420(yuv, W, H);
  }

  /**
   * Stylizes one frame (sides multiples of 8). `withRegions`: also decodes each region's look
   * over the whole frame (the halo metric's ideal).
   */
  async stylize(frame: I420Frame, mask: Uint8Array | null, withRegions = false): Promise<NetOutput> {
    const { width: W, height: H } = frame,
      n = W * H,
      fn = (W >> 3) * (H >> 3);
    const rgb = new Float32Array(3 * n);
    yuvToRgbPlanar(downscaleI420(frame, W, H).yuv, n, rgb);
    const x = (await this.enc.run({ image: new ort.Tensor('float32', rgb, [1, 3, H, W]) }, ['r41'])).r41
      .data as Float32Array;
    const content = channelStats(C);
    if (!mask) {
      const f = new Float32Array(C * fn);
      maskedStats(x, C, fn, null, content);
      adain(x, C, fn, content, this.fgStyle, f, 0);
      return { out: await this.decode(f, W, H) };
    }
    const m = new Float32Array(fn),
      inv = new Float32Array(fn);
    poolMask8(
      Float32Array.from(mask.subarray(0, n), (v) => v / 255),
      W,
      H,
      m,
    );
    for (let i = 0; i < fn; i++) inv[i] = 1 - m[i];
    const fF = new Float32Array(C * fn),
      fB = new Float32Array(C * fn),
      blend = new Float32Array(C * fn);
    if (maskedStats(x, C, fn, m, content) < 2) maskedStats(x, C, fn, null, content);
    adain(x, C, fn, content, this.fgStyle, fF, 0);
    if (maskedStats(x, C, fn, inv, content) < 2) maskedStats(x, C, fn, null, content);
    adain(x, C, fn, content, this.bgStyle, fB, 0);
    for (let c = 0; c < C; c++)
      for (let i = 0; i < fn; i++) blend[c * fn + i] = m[i] * fF[c * fn + i] + inv[i] * fB[c * fn + i];
    const out = await this.decode(blend, W, H);
    if (!withRegions) return { out };
    return { out, fgOnly: await this.decode(fF, W, H), bgOnly: await this.decode(fB, W, H) };
  }
}

// ---- 3D LUT ----

const N = 33;

/**
 * A 33³ RGB LUT (r fastest, values 0..255) of one affine colour map in the engine's
 * (Y, U−128, V−128) space: each lattice colour through rgb→yuv, the 12 coefficients (rows of
 * [A | b], global_transfer.ts) and back, clamped. This is the global tier's transform baked
 * into the form a streamer's LUT filter (ffmpeg lut3d, OBS "Apply LUT") applies.
 */
export function affineLut(affine: ArrayLike<number>): Float32Array {
  const lut = new Float32Array(N * N * N * 3),
    yuv = [0, 0, 0],
    rgb = [0, 0, 0];
  for (let b = 0; b < N; b++)
    for (let g = 0; g < N; g++)
      for (let r = 0; r < N; r++) {
        rgbToYuv((r * 255) / (N - 1), (g * 255) / (N - 1), (b * 255) / (N - 1), yuv);
        const [y, u, v] = [0, 1, 2].map(
          (k) => affine[4 * k] * yuv[0] + affine[4 * k + 1] * yuv[1] + affine[4 * k + 2] * yuv[2] + affine[4 * k + 3],
        );
        yuvToRgb(y, u, v, rgb);
        const o = 3 * (b * N * N + g * N + r);
        for (let c = 0; c < 3; c++) lut[o + c] = Math.max(0, Math.min(255, rgb[c]));
      }
  return lut;
}

/** The LUT as an Adobe/Resolve .cube file (r fastest, 0..1), what ffmpeg's lut3d reads. */
export function cubeText(lut: Float32Array, title: string): string {
  const rows = [`TITLE "${title}"`, `LUT_3D_SIZE ${N}`];
  for (let i = 0; i < lut.length; i += 3)
    rows.push(`${(lut[i] / 255).toFixed(6)} ${(lut[i + 1] / 255).toFixed(6)} ${(lut[i + 2] / 255).toFixed(6)}`);
  return `${rows.join('\n')}\n`;
}

/** (Y, U−128, V−128) colour statistics of a frame (every 2nd pixel of every 2nd row), weighted per pixel. */
function frameColorStats(frame: I420Frame, weight?: (i: number) => number): ColorStats {
  const { width: W, height: H } = frame,
    rgb = i420ToRgb(frame),
    n = Math.ceil(W / 2) * Math.ceil(H / 2),
    yuv = new Float32Array(3 * n),
    w = weight ? new Float32Array(n) : undefined;
  let k = 0;
  for (let y = 0; y < H; y += 2)
    for (let x = 0; x < W; x += 2, k++) {
      const i = y * W + x;
      rgbToYuv(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], yuv, 3 * k);
      if (w) w[k] = weight!(i);
    }
  return colorStats(yuv, w);
}

/** The global tier's per-region affine (global_look.ts regionAffine) from `content` to `style`, baked. */
function regionLut(content: ColorStats, style: StyleEntry): Float32Array {
  return affineLut(regionAffine(content, style, new Float32Array(COEFFS)));
}

/** Applies a LUT to interleaved RGB u8 (trilinear), into float RGB. */
export function applyLut(lut: Float32Array, rgb: Uint8Array, out: Float32Array): void {
  const s = (N - 1) / 255,
    SG = 3 * N,
    SB = 3 * N * N;
  for (let i = 0; i < rgb.length; i += 3) {
    const fr = rgb[i] * s,
      fg = rgb[i + 1] * s,
      fb = rgb[i + 2] * s;
    const r0 = fr >= N - 1 ? N - 2 : fr | 0,
      g0 = fg >= N - 1 ? N - 2 : fg | 0,
      b0 = fb >= N - 1 ? N - 2 : fb | 0;
    const dr = fr - r0,
      dg = fg - g0,
      db = fb - b0;
    const o = b0 * SB + g0 * SG + 3 * r0;
    for (let c = 0; c < 3; c++) {
      const k = o + c;
      const c00 = lut[k] + dr * (lut[k + 3] - lut[k]);
      const c01 = lut[k + SG] + dr * (lut[k + SG + 3] - lut[k + SG]);
      const c10 = lut[k + SB] + dr * (lut[k + SB + 3] - lut[k + SB]);
      const c11 = lut[k + SB + SG] + dr * (lut[k + SB + SG + 3] - lut[k + SB + SG]);
      const c0 = c00 + dg * (c01 - c00),
        c1 = c10 + dg * (c11 - c10);
      out[i + c] = c0 + db * (c1 - c0);
    }
  }
}

export class LutBaseline {
  private constructor(
    private readonly fg: Float32Array,
    private readonly bg: Float32Array | null,
  ) {}

  /**
   * Fits the region LUTs on the clip's first frame: the global tier's transform (the closed-form
   * colour transfer of each region's statistics onto its style's) baked into one 33³ LUT per
   * region, a fixed grade from then on, as a LUT is.
   */
  static fit(first: I420Frame, mask: Uint8Array | null, fgStyle: StyleEntry, bgStyle: StyleEntry): LutBaseline {
    const fg = regionLut(frameColorStats(first, mask ? (i) => mask[i] / 255 : undefined), fgStyle);
    const bg = mask
      ? regionLut(
          frameColorStats(first, (i) => 1 - mask[i] / 255),
          bgStyle,
        )
      : null;
    return new LutBaseline(fg, bg);
  }

  /** The region LUTs as .cube files (what ffmpeg's lut3d or OBS applies). */
  cubes(): { fg: string; bg: string | null } {
    return {
      fg: cubeText(this.fg, 'Restyle global look, speaker'),
      bg: this.bg ? cubeText(this.bg, 'Restyle global look, background') : null,
    };
  }

  stylize(frame: I420Frame, mask: Uint8Array | null, withRegions = false): NetOutput {
    const { width: W, height: H } = frame,
      rgb = i420ToRgb(frame);
    const a = new Float32Array(rgb.length);
    applyLut(this.fg, rgb, a);
    const toFrame = (f: Float32Array) => {
      const u8 = new Uint8Array(f.length);
      for (let i = 0; i < f.length; i++) u8[i] = f[i] + 0.5;
      return rgbToI420(u8, W, H);
    };
    if (!mask || !this.bg) return { out: toFrame(a) };
    const b = new Float32Array(rgb.length),
      o = new Float32Array(rgb.length);
    applyLut(this.bg, rgb, b);
    for (let i = 0; i < W * H; i++) {
      const m = mask[i] / 255;
      for (let c = 0; c < 3; c++) o[3 * i + c] = m * a[3 * i + c] + (1 - m) * b[3 * i + c];
    }
    return withRegions ? { out: toFrame(o), fgOnly: toFrame(a), bgOnly: toFrame(b) } : { out: toFrame(o) };
  }
}
