// Shared cases and checks of the grid-fit tests (grid_fit.test.ts, grid_fit_solver.test.ts):
// the grid shape and guides, image comparisons, slicing with the reference slicer, and the
// test photo's 1280x720 frame and its 256x144 low-res copy.
import { expect } from 'vitest';
import { downscaleI420 } from '../../server/src/engine/image/downscale.js';
import { COEFFS, DEFAULT_GRID, type GridShape } from '../../server/src/engine/image/grid.js';
import { buildGuideLuts, type GuideLuts } from '../../server/src/engine/image/guide.js';
import { DEFAULT_FIT, GridFitter, type FitOptions } from '../../server/src/engine/lowres/grid_fit.js';
import { sliceInterleaved } from '../../server/src/engine/image/slice_reference.js';
import { type I420Frame } from '../../server/src/engine/image/i420.js';
import { loadI420, sharedPath } from './media.js';

export const shape = DEFAULT_GRID;
export const luts = buildGuideLuts({ nz: shape.nz, splitByMask: true });
export const lumaLuts = buildGuideLuts({ nz: shape.nz, splitByMask: false });
export const W = 1280,
  H = 720,
  w = 256,
  h = 144;

export const opts = (o: Partial<FitOptions> = {}): FitOptions => ({ luts, ...DEFAULT_FIT, ...o });

/** PSNR (dB, peak 255) over interleaved images; ch = 0, 1, 2 for one channel, -1 for all. */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, ch = -1, sel?: (i: number) => boolean): number {
  let s = 0,
    n = 0;
  for (let i = 0; i < a.length; i++) {
    if (ch >= 0 && i % 3 !== ch) continue;
    if (sel && !sel(Math.floor(i / 3))) continue;
    const d = a[i] - b[i];
    s += d * d;
    n++;
  }
  return s === 0 ? Infinity : 10 * Math.log10((255 * 255) / (s / n));
}

export function meanAbs(a: ArrayLike<number>, b: ArrayLike<number>, ch: number): number {
  let s = 0,
    n = 0;
  for (let i = ch; i < a.length; i += 3) {
    s += Math.abs(a[i] - b[i]);
    n++;
  }
  return s / n;
}

export function allFinite(g: ArrayLike<number>): boolean {
  for (let i = 0; i < g.length; i++) if (!Number.isFinite(g[i])) return false;
  return true;
}

/** Applies a 12-coefficient affine (grid layout) to every pixel. */
export function applyGlobal(src: Float32Array, m: ArrayLike<number>): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    const y = src[i],
      u = src[i + 1],
      v = src[i + 2];
    for (let r = 0; r < 3; r++) out[i + r] = m[4 * r] * y + m[4 * r + 1] * u + m[4 * r + 2] * v + m[4 * r + 3];
  }
  return out;
}

export function slice(
  grid: Float32Array,
  content: Float32Array,
  ww = w,
  hh = h,
  s: GridShape = shape,
  l: GuideLuts = luts,
  mask: Uint8Array | number = 255,
): Float32Array {
  return sliceInterleaved(grid, s, l, content, ww, hh, mask, new Float32Array(content.length));
}

/** Largest |coefficient difference| to `m` over nodes with data mass above `minMass` (gains, offsets). */
export function maxNodeError(
  fitter: GridFitter,
  grid: Float32Array,
  m: ArrayLike<number>,
  minMass: number,
): { gain: number; offset: number; nodes: number } {
  let gain = 0,
    offset = 0,
    nodes = 0;
  for (let n = 0; n < grid.length / COEFFS; n++) {
    if (fitter.nodeMass(n) < minMass) continue;
    nodes++;
    for (let c = 0; c < COEFFS; c++) {
      const d = Math.abs(grid[n * COEFFS + c] - m[c]);
      if ((c & 3) === 3) offset = Math.max(offset, d);
      else gain = Math.max(gain, d);
    }
  }
  return { gain, offset, nodes };
}

/** The global prior carries a ridge of 0.1 level^2 toward the identity: a small bias where a colour direction barely varies. */
export function expectAffineClose(a: ArrayLike<number>, b: ArrayLike<number>): void {
  for (let c = 0; c < COEFFS; c++) expect(Math.abs(a[c] - b[c])).toBeLessThan((c & 3) === 3 ? 0.5 : 0.01);
}

// a warm, slightly contrasty colour matrix (Y' from Y and V; U', V' mixed), rows Y', U', V'
export const TRUE_AFFINE = [1.12, 0.05, 0.1, -9, 0.02, 0.85, -0.1, 4, -0.03, 0.08, 1.15, 7];

/** The test photo as a 1280x720 frame and its 256x144 low-res copy (interleaved YUV). */
export async function loadTestFrames(): Promise<{ frame: I420Frame; content: Float32Array }> {
  const frame = await loadI420(sharedPath('media/photos/dps_in11.jpg'), W, H);
  return { frame, content: new Float32Array(downscaleI420(frame, w, h).yuv) };
}
