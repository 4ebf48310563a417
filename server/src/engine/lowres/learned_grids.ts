// Learned tier, low-resolution path: the trained grid network of Xia et al. 2021 (models/
// gridnet*.onnx, trained by models/gridnet/): the frame (squashed to L x L) and its speaker
// mask go through the mask enhancement network, then through the distilled VGG-19 features,
// three splatting blocks with ST-AdaIN (SA: statistics per region under its mask; TC: blended
// with the previous update's, carried in the session's state) and the grid head, which
// predicts one bilateral grid per region directly (no decoder, no fit). Each style's
// statistics go through the network's style path once and are cached with the style. The
// learned guide (two lookup tables, gridnet_guide.json) is what the frame thread slices with.
import { existsSync } from 'node:fs';
import type { InferenceSession } from 'onnxruntime-node';
import { yuvToRgb } from '../image/color.js';
import { COEFFS, type GridShape } from '../image/grid.js';
import {
  learnedGuideFile,
  readLearnedGuide,
  type LearnedGuide,
  type LearnedVariant,
} from '../runtime/learned_guide.js';
import { modelPath, ort, type OnnxRuntime } from '../runtime/onnx_session.js';
import type { StyleEntry } from '../runtime/style_store.js';

/** One update's inputs, at L x L (the frame squashed). */
export interface LearnedInput {
  /** planar RGB in [0,1], 3 * L * L */
  rgb: Float32Array;
  /** speaker mask 0..1, L * L */
  mask: Float32Array;
}

/** One update's outputs: both regions' grids in the engine's layout and the mask the network saw. */
export interface LearnedOutput {
  gridF: Float32Array;
  gridB: Float32Array;
  /** the (enhanced) speaker mask, 0..1, L * L */
  mask: Float32Array;
  ms: { mask: number; net: number };
}

export interface LearnedRegions {
  fg: StyleEntry;
  bg: StyleEntry;
}

export class LearnedGrids {
  readonly #onnx: OnnxRuntime;
  readonly #maskNet: InferenceSession;
  readonly #styleNet: InferenceSession;
  readonly #net: InferenceSession;
  readonly guide: LearnedGuide;
  readonly #styleRows: Float32Array;
  /** the TC-AdaIN weight fed to the network (one value, rewritten every update) */
  readonly #alpha = new Float32Array(1);

  private constructor(
    onnx: OnnxRuntime,
    guide: LearnedGuide,
    sessions: [InferenceSession, InferenceSession, InferenceSession],
    private readonly variant: LearnedVariant,
  ) {
    this.#onnx = onnx;
    this.guide = guide;
    [this.#maskNet, this.#styleNet, this.#net] = sessions;
    this.#styleRows = new Float32Array(2 * guide.S);
  }

  static async create(onnx: OnnxRuntime, variant: LearnedVariant): Promise<LearnedGrids> {
    if (!existsSync(modelPath(learnedGuideFile(variant))))
      throw new Error(
        `learned tier off: no grid network in models/ (${learnedGuideFile(variant)}; models/gridnet/README.md)`,
      );
    const guide = readLearnedGuide(variant);
    const f = guide.files;
    const sessions = await Promise.all([onnx.session(f.mask), onnx.session(f.style), onnx.session(f.main)]);
    return new LearnedGrids(onnx, guide, sessions, variant);
  }

  get side(): number {
    return this.guide.L;
  }

  /** The grid shape the network predicts. */
  get shape(): GridShape {
    return { nx: this.guide.nx, ny: this.guide.ny, nz: this.guide.nz };
  }

  /** A style's statistics through the network's style path (computed once per style and cached with it). */
  styleStats(style: StyleEntry): Promise<Float32Array> {
    return style.cached(`gridnet-style-${this.variant}`, async () => {
      const L = this.guide.L;
      const x = squashRgb(style.rgb, style.image.width, style.image.height, L);
      const r = await this.#onnx.run(this.#styleNet, { style: new ort.Tensor('float32', x, [1, 3, L, L]) }, [
        'style_stats',
      ]);
      return Float32Array.from(r.style_stats.data as Float32Array);
    });
  }

  /**
   * One update. `state` (2 * S: the session's ST-AdaIN statistics) is read as the previous
   * update's and overwritten with this one's; `alpha` 0 ignores it (first update, scene cut).
   */
  async run(
    input: LearnedInput,
    regions: LearnedRegions,
    state: Float32Array,
    alpha: number,
    enhanceMask: boolean,
    out: LearnedOutput,
  ): Promise<LearnedOutput> {
    const { L, S } = this.guide;
    const t0 = performance.now();
    const image = new ort.Tensor('float32', input.rgb, [1, 3, L, L]);
    let mask = input.mask;
    if (enhanceMask) {
      const m = await this.#onnx.run(
        this.#maskNet,
        { image, mask: new ort.Tensor('float32', input.mask, [1, 1, L, L]) },
        ['mask_enh'],
      );
      mask = m.mask_enh.data as Float32Array;
    }
    out.mask.set(mask.subarray(0, L * L));
    const t1 = performance.now();
    // a natural region's row is replaced by the identity below; any statistics do for it
    const fgStats = regions.fg.natural ? null : await this.styleStats(regions.fg);
    const bgStats = regions.bg.natural ? null : await this.styleStats(regions.bg);
    const rows = this.#styleRows;
    rows.set(fgStats ?? bgStats ?? rows.subarray(0, S), 0);
    rows.set(bgStats ?? fgStats ?? rows.subarray(S, 2 * S), S);
    this.#alpha[0] = alpha;
    const r = await this.#onnx.run(
      this.#net,
      {
        image,
        mask: new ort.Tensor('float32', out.mask, [1, 1, L, L]),
        style_stats: new ort.Tensor('float32', rows, [2, S]),
        prev_state: new ort.Tensor('float32', state, [2, S]),
        alpha: new ort.Tensor('float32', this.#alpha, [1]),
      },
      ['grids', 'state'],
    );
    state.set(r.state.data as Float32Array);
    const grids = r.grids.data as Float32Array;
    const n = out.gridF.length;
    toEngineLayout(grids, 0, this.shape, out.gridF);
    toEngineLayout(grids, n, this.shape, out.gridB);
    if (regions.fg.natural) fillIdentity(out.gridF);
    if (regions.bg.natural) fillIdentity(out.gridB);
    return Object.assign(out, { ms: { mask: t1 - t0, net: performance.now() - t1 } });
  }
}

/** The network's [nz*12, ny, nx] (channel k*12 + c) into the engine's [ny][nx][nz][12]. */
export function toEngineLayout(src: Float32Array, offset: number, s: GridShape, out: Float32Array): void {
  const plane = s.nx * s.ny;
  for (let j = 0; j < s.ny; j++)
    for (let i = 0; i < s.nx; i++)
      for (let k = 0; k < s.nz; k++) {
        const o = ((j * s.nx + i) * s.nz + k) * COEFFS;
        for (let c = 0; c < COEFFS; c++) out[o + c] = src[offset + (k * COEFFS + c) * plane + j * s.nx + i];
      }
}

function fillIdentity(grid: Float32Array): void {
  for (let o = 0; o < grid.length; o += COEFFS)
    for (let c = 0; c < COEFFS; c++) grid[o + c] = c === 0 || c === 5 || c === 10 ? 1 : 0;
}

/** An interleaved RGB u8 image (style) squashed to L x L planar RGB in [0,1] by area averaging. */
function squashRgb(rgb: Uint8Array, w: number, h: number, L: number): Float32Array {
  const out = new Float32Array(3 * L * L);
  for (let y = 0; y < L; y++) {
    const y0 = Math.floor((y * h) / L),
      y1 = Math.max(y0 + 1, Math.floor(((y + 1) * h) / L));
    for (let x = 0; x < L; x++) {
      const x0 = Math.floor((x * w) / L),
        x1 = Math.max(x0 + 1, Math.floor(((x + 1) * w) / L));
      let r = 0,
        g = 0,
        b = 0;
      for (let yy = y0; yy < y1; yy++)
        for (let xx = x0; xx < x1; xx++) {
          const p = 3 * (yy * w + xx);
          r += rgb[p];
          g += rgb[p + 1];
          b += rgb[p + 2];
        }
      const k = 1 / (255 * (y1 - y0) * (x1 - x0)),
        o = y * L + x;
      out[o] = r * k;
      out[L * L + o] = g * k;
      out[2 * L * L + o] = b * k;
    }
  }
  return out;
}

/**
 * The low-res frame (interleaved Y, U-128, V-128, w x h) and its mask (0..255) squashed to
 * L x L: planar RGB in [0,1], the mask in 0..1, and the luma (0..255) for the soft grid mask.
 * Bilinear (the low-res frame is at most ~2x the network's side).
 */
export function squashFrame(
  yuv: Float32Array,
  mask: Uint8Array,
  w: number,
  h: number,
  L: number,
  out: LearnedInput,
  luma: Float32Array,
): void {
  const rgbTmp = [0, 0, 0];
  const n = L * L;
  for (let y = 0; y < L; y++) {
    let sy = ((y + 0.5) * h) / L - 0.5;
    sy = sy < 0 ? 0 : sy > h - 1 ? h - 1 : sy;
    const y0 = Math.floor(sy),
      y1 = Math.min(h - 1, y0 + 1),
      fy = sy - y0;
    for (let x = 0; x < L; x++) {
      let sx = ((x + 0.5) * w) / L - 0.5;
      sx = sx < 0 ? 0 : sx > w - 1 ? w - 1 : sx;
      const x0 = Math.floor(sx),
        x1 = Math.min(w - 1, x0 + 1),
        fx = sx - x0;
      const w00 = (1 - fx) * (1 - fy),
        w10 = fx * (1 - fy),
        w01 = (1 - fx) * fy,
        w11 = fx * fy;
      const a = y0 * w + x0,
        b = y0 * w + x1,
        c = y1 * w + x0,
        d = y1 * w + x1;
      const o = y * L + x;
      const Y = w00 * yuv[3 * a] + w10 * yuv[3 * b] + w01 * yuv[3 * c] + w11 * yuv[3 * d];
      const U = w00 * yuv[3 * a + 1] + w10 * yuv[3 * b + 1] + w01 * yuv[3 * c + 1] + w11 * yuv[3 * d + 1];
      const V = w00 * yuv[3 * a + 2] + w10 * yuv[3 * b + 2] + w01 * yuv[3 * c + 2] + w11 * yuv[3 * d + 2];
      yuvToRgb(Y, U, V, rgbTmp);
      for (let ch = 0; ch < 3; ch++) {
        const v = rgbTmp[ch] / 255;
        out.rgb[ch * n + o] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
      luma[o] = Y;
      out.mask[o] = (w00 * mask[a] + w10 * mask[b] + w01 * mask[c] + w11 * mask[d]) / 255;
    }
  }
}
