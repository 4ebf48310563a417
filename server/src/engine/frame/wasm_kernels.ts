// Loads the WebAssembly kernels (built from ./kernels by `npm run build:wasm`) and manages
// their linear memory: one instance per thread, buffers laid out once and grown on demand,
// no allocation per frame.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../repo_root.js';
import type { GridShape } from '../image/grid.js';
import type { GuideLuts } from '../image/guide.js';
import { i420Size, type I420Frame } from '../image/i420.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  slice_i420(
    yPtr: number,
    uPtr: number,
    vPtr: number,
    W: number,
    H: number,
    gridPtr: number,
    NX: number,
    NY: number,
    NZ: number,
    zyPtr: number,
    zmPtr: number,
    maskPtr: number,
    tileClassPtr: number,
    mConst: number,
    tablePtr: number,
  ): void;
}

export function kernelsPath(): string {
  return join(repoRoot(), 'dist', 'wasm', 'kernels.wasm');
}

/** The kernels' module (a few kB: compiled by each slicer, once per thread). */
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

export class WasmSlicer {
  private readonly ex: KernelExports;
  private mem8!: Uint8Array;
  private layoutFor = { frame: -1, grid: -1 };
  private off = { table: 0, zy: 0, zm: 0, grid: 0, frame: 0, mask: 0, tiles: 0, end: 0 };

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

  private layout(frameBytes: number, pixels: number, gridFloats: number): void {
    if (this.layoutFor.frame >= frameBytes && this.layoutFor.grid >= gridFloats) return;
    const align = (n: number) => (n + 15) & ~15;
    const o = this.off;
    o.table = 65536; // the first page holds the module's own static data
    o.zy = align(o.table + 64 * 96); // up to 64 z nodes
    o.zm = o.zy + 1024;
    o.grid = o.zm + 1024;
    o.frame = align(o.grid + gridFloats * 4);
    o.mask = align(o.frame + frameBytes);
    o.tiles = align(o.mask + pixels);
    o.end = align(o.tiles + Math.ceil(pixels / 64) + 4096);
    const need = o.end - this.ex.memory.buffer.byteLength;
    if (need > 0) this.ex.memory.grow(Math.ceil(need / 65536));
    this.refreshViews();
    this.layoutFor = { frame: frameBytes, grid: gridFloats };
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
