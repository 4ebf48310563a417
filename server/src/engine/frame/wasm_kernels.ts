// Loads the WebAssembly kernels (built from ./kernels by `npm run build:wasm`) and manages
// their linear memory: one instance per thread, buffers laid out once and grown on demand,
// no allocation per frame. The kernels: slicing a bilateral grid into a frame, the speaker
// mask's guided-filter pass at full resolution, and the area-averaging downscales (of a frame
// to the low-res images, of a mask plane). Calls are synchronous, one at a time per thread,
// so the kernels other than the slicer share one scratch area.
import { readFileSync, existsSync } from 'node:fs';
import type { KernelExports } from './wasm_exports.js';
import { join } from 'node:path';
import { repoRoot } from '../../repo_root.js';
import type { GridShape } from '../image/grid.js';
import type { GuideLuts } from '../image/guide.js';
import { i420Size, type I420Frame } from '../image/i420.js';
import type { ColumnTable, GuidedKernel, GuidedOptions } from '../segmentation/guided_upsample.js';
import type { MaskSmoothKernel, SmootherOptions } from '../segmentation/mask_smoother.js';
import type { DownscaleKernel } from '../image/downscale.js';

export function kernelsPath(): string {
  return join(repoRoot(), 'dist', 'wasm', 'kernels.wasm');
}

/** The kernels' module (a few kB: compiled by each WasmKernels, once per thread). */
function compile(): WebAssembly.Module {
  const path = kernelsPath();
  if (!existsSync(path)) throw new Error(`${path} missing: run npm run build:wasm`);
  return new WebAssembly.Module(readFileSync(path));
}

export const TILE = 8;

export interface MaskInput {
  /** full-resolution mask plane (0 background .. 255 speaker) */
  plane?: Uint8Array;
  /** one class per 8x8 tile: 0 all background, 1 all speaker, 2 mixed */
  tileClass?: Uint8Array;
  /** used when there is no plane */
  constant?: number;
}

export class WasmKernels implements GuidedKernel, DownscaleKernel, MaskSmoothKernel {
  private readonly ex: KernelExports;
  private mem8!: Uint8Array;
  private layoutFor = { frame: -1, pixels: -1, grid: -1, coef: -1 };
  private off = { table: 0, zy: 0, zm: 0, grid: 0, frame: 0, mask: 0, tiles: 0, coef: 0, end: 0 };

  constructor() {
    const inst = new WebAssembly.Instance(compile(), {
      env: {
        abort: () => {
          throw new Error('wasm abort');
        },
      },
    });
    this.ex = inst.exports as unknown as KernelExports;
    this.refreshViews();
  }

  private refreshViews(): void {
    this.mem8 = new Uint8Array(this.ex.memory.buffer);
  }

  private layout(frameBytes: number, pixels: number, gridFloats: number, coefFloats = 0): void {
    const l = this.layoutFor;
    if (l.frame >= frameBytes && l.pixels >= pixels && l.grid >= gridFloats && l.coef >= coefFloats) return;
    // every area keeps at least the size it had (a call for one kernel leaves the other's room)
    frameBytes = Math.max(frameBytes, l.frame);
    pixels = Math.max(pixels, l.pixels);
    gridFloats = Math.max(gridFloats, l.grid);
    coefFloats = Math.max(coefFloats, l.coef);
    const align = (n: number) => (n + 15) & ~15;
    const o = this.off;
    o.table = 65536; // the first page holds the module's own static data
    o.zy = align(o.table + 64 * 96); // up to 64 z nodes
    o.zm = o.zy + 1024;
    o.grid = o.zm + 1024;
    o.frame = align(o.grid + gridFloats * 4);
    o.mask = align(o.frame + frameBytes);
    o.tiles = align(o.mask + pixels);
    o.coef = align(o.tiles + Math.ceil(pixels / 64) + 4096);
    o.end = align(o.coef + coefFloats * 4 + 64);
    const need = o.end - this.ex.memory.buffer.byteLength;
    if (need > 0) this.ex.memory.grow(Math.ceil(need / 65536));
    this.refreshViews();
    this.layoutFor = { frame: frameBytes, pixels, grid: gridFloats, coef: coefFloats };
  }

  /** Writes footprint pairs into the scratch area at `off` (bytes); returns the next offset. */
  private putBounds(off: number, ...tables: Int32Array[]): number[] {
    const at: number[] = [];
    for (const t of tables) {
      new Int32Array(this.ex.memory.buffer, off, t.length).set(t);
      at.push(off);
      off += ((t.length * 4 + 15) & ~15) + 16;
    }
    at.push(off);
    return at;
  }

  /**
   * Downscaler.i420's kernel: the frame's footprint means into `out` (interleaved Y, U-128,
   * V-128, w x h). bx, by, cbx, cby: the luma and chroma footprints (lo, hi pairs).
   */
  i420(
    frame: I420Frame,
    w: number,
    h: number,
    bx: Int32Array,
    by: Int32Array,
    cbx: Int32Array,
    cby: Int32Array,
    out: Float32Array,
  ): void {
    const { width: W, height: H } = frame;
    const bytes = i420Size(W, H),
      CW = (W + 1) >> 1,
      CH = (H + 1) >> 1;
    const scratch = 4 * (bx.length + by.length + cbx.length + cby.length) + 4 * W + 12 * w * h + 256;
    this.layout(bytes, W * H, 0, Math.ceil(scratch / 4));
    const o = this.off;
    this.mem8.set(frame.data.subarray(0, bytes), o.frame);
    const [pbx, pby, pcbx, pcby, acc] = this.putBounds(o.coef, bx, by, cbx, cby);
    const res = acc + ((4 * W + 16 + 15) & ~15);
    const e = this.ex;
    e.downscale_plane(o.frame, W, pbx, pby, w, h, acc, res, 0);
    e.downscale_plane(o.frame + W * H, CW, pcbx, pcby, w, h, acc, res + 4, 128);
    e.downscale_plane(o.frame + W * H + CW * CH, CW, pcbx, pcby, w, h, acc, res + 8, 128);
    out.set(new Float32Array(e.memory.buffer, res, 3 * w * h));
  }

  /** Downscaler.mask's kernel: a W x H mask plane's footprint means (rounded) into `out` (w x h). */
  mask(
    plane: Uint8Array,
    W: number,
    H: number,
    w: number,
    h: number,
    bx: Int32Array,
    by: Int32Array,
    out: Uint8Array,
  ): void {
    const scratch = 4 * (bx.length + by.length) + 4 * W + w * h + 256;
    this.layout(0, W * H, 0, Math.ceil(scratch / 4));
    const o = this.off;
    this.mem8.set(plane.subarray(0, W * H), o.mask);
    const [pbx, pby, acc] = this.putBounds(o.coef, bx, by);
    const res = acc + ((4 * W + 16 + 15) & ~15);
    this.ex.downscale_mask(o.mask, W, pbx, pby, w, h, acc, res);
    out.set(this.mem8.subarray(res, res + w * h));
  }

  /**
   * The guided filter's full-resolution pass (GuidedUpsampler.apply's kernel): `out` (W x H)
   * = a * Y + b, with the coefficients (w x h) interpolated bilinearly per 2x2 block.
   */
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
  ): void {
    const BW = (W + 1) >> 1,
      pad4 = (n: number) => (n + 3) & ~3,
      n = pad4(w * h) + 4;
    // coefficient arrays (a, b with slack), the column table (3 arrays of BW), scratch rows
    const coefFloats = 2 * n + 3 * pad4(BW) + 2 * pad4(w) + 2 * pad4(BW);
    this.layout(Math.ceil((W * H * 3) / 2), W * H, 0, coefFloats);
    const o = this.off,
      buf = this.ex.memory.buffer;
    const aOff = o.coef,
      bOff = aOff + 4 * n,
      x0Off = bOff + 4 * n,
      x1Off = x0Off + 4 * pad4(BW),
      fxOff = x1Off + 4 * pad4(BW),
      rowOff = fxOff + 4 * pad4(BW);
    new Float32Array(buf, aOff, w * h).set(a.subarray(0, w * h));
    const bb = new Float32Array(buf, bOff, w * h);
    for (let i = 0; i < w * h; i++) bb[i] = b[i] + 0.5;
    new Int32Array(buf, x0Off, BW).set(cols.x0.subarray(0, BW));
    new Int32Array(buf, x1Off, BW).set(cols.x1.subarray(0, BW));
    new Float32Array(buf, fxOff, BW).set(cols.fx.subarray(0, BW));
    this.mem8.set(Y.subarray(0, W * H), o.frame);
    this.ex.guided_apply(o.frame, W, H, aOff, bOff, w, h, x0Off, x1Off, fxOff, rowOff, o.mask);
    out.set(this.mem8.subarray(o.mask, o.mask + W * H));
  }

  /** Scratch floats at the scratch area's start, grown to `floats`. */
  private scratch(floats: number): number {
    this.layout(0, 0, 0, floats);
    return this.off.coef;
  }

  /** Copies `src` into linear memory at `off` (bytes); returns the offset after it, 16-aligned. */
  private put(off: number, src: Float32Array | Uint8Array, n: number): number {
    if (src instanceof Float32Array) new Float32Array(this.ex.memory.buffer, off, n).set(src.subarray(0, n));
    else this.mem8.set(src.subarray(0, n), off);
    return (off + n * (src instanceof Float32Array ? 4 : 1) + 15) & ~15;
  }

  private get(off: number, dst: Float32Array, n: number): void {
    dst.set(new Float32Array(this.ex.memory.buffer, off, n));
  }

  /** MaskSmoother.update's kernel (after its first frame): folds `raw` into `kept`, updates `prev`. */
  smoothMask(
    raw: Uint8Array,
    luma: Float32Array,
    w: number,
    h: number,
    kept: Float32Array,
    prev: Float32Array,
    o: SmootherOptions,
  ): void {
    const n = w * h,
      base = this.scratch(3 * n + 4 * n + n / 4 + 64);
    const pRaw = base,
      pLuma = this.put(pRaw, raw, n),
      pKept = this.put(pLuma, luma, 3 * n),
      pPrev = this.put(pKept, kept, n),
      pD = this.put(pPrev, prev, n),
      pM = (pD + 4 * n + 15) & ~15;
    this.ex.smooth_mask(pRaw, pLuma, w, h, pKept, pPrev, pD, pM, o.kStill, o.stillBelow, o.movingAbove, o.radius);
    this.get(pKept, kept, n);
    this.get(pPrev, prev, n);
  }

  /** GuidedUpsampler.fit's kernel: a, b (w x h, the mask pooled q x q) from the mask (sw x sh) and its luma. */
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
  ): void {
    const n = sw * sh,
      m = w * h,
      base = this.scratch(4 * n + 7 * m + 2 * w + h + 64);
    const pMask = base,
      pLuma = this.put(pMask, mask, n),
      pA = (pLuma + 12 * n + 15) & ~15,
      pB = (pA + 4 * m + 15) & ~15,
      pS = (pB + 4 * m + 15) & ~15;
    this.put(pLuma, luma, 3 * n);
    this.ex.guided_fit(pMask, pLuma, sw, q, w, h, o.radius, o.eps, o.gain, pA, pB, pS);
    this.get(pA, a, m);
    this.get(pB, b, m);
  }

  /** Slices `grid` into `frame` in place. */
  slice(frame: I420Frame, grid: Float32Array, shape: GridShape, luts: GuideLuts, mask: MaskInput): void {
    const { width: W, height: H } = frame;
    const bytes = i420Size(W, H);
    this.layout(bytes, W * H, grid.length);
    const o = this.off,
      m8 = this.mem8;
    m8.set(frame.data.subarray(0, bytes), o.frame);
    new Float32Array(this.ex.memory.buffer, o.grid, grid.length).set(grid);
    new Int32Array(this.ex.memory.buffer, o.zy, 256).set(luts.zY);
    new Int32Array(this.ex.memory.buffer, o.zm, 256).set(luts.zM);
    let maskPtr = 0,
      tilePtr = 0;
    if (mask.plane) {
      m8.set(mask.plane.subarray(0, W * H), o.mask);
      maskPtr = o.mask;
    }
    if (mask.plane && mask.tileClass) {
      m8.set(mask.tileClass, o.tiles);
      tilePtr = o.tiles;
    }
    const cw = (W + 1) >> 1,
      ch = (H + 1) >> 1;
    this.ex.slice_i420(
      o.frame,
      o.frame + W * H,
      o.frame + W * H + cw * ch,
      W,
      H,
      o.grid,
      shape.nx,
      shape.ny,
      shape.nz,
      o.zy,
      o.zm,
      maskPtr,
      tilePtr,
      mask.constant ?? 255,
      o.table,
    );
    frame.data.set(m8.subarray(o.frame, o.frame + bytes));
  }
}
