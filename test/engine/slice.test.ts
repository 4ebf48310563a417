import { describe, expect, it } from 'vitest';
import { cloneFrame } from '../../server/src/engine/image/frame_convert.js';
import { i420Size } from '../../server/src/engine/image/i420.js';
import { COEFFS, createGrid, fillAffine, IDENTITY_AFFINE, type GridShape } from '../../server/src/engine/image/grid.js';
import { buildGuideLuts } from '../../server/src/engine/image/guide.js';
import { sliceReference } from '../../server/src/engine/image/slice_reference.js';
import { WasmKernels } from '../../server/src/engine/frame/wasm_kernels.js';
import { loadI420, sharedPath } from '../support/media.js';
import { sliceTiled } from '../support/tiled_slice.js';

const shape: GridShape = { nx: 16, ny: 16, nz: 16 };
const luts = buildGuideLuts({ nz: shape.nz, splitByMask: true });

function maxAbsDiff(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  let max = 0,
    sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: sum / a.length };
}

/** A smooth, spatially varying grid: a warm shift growing to the right, contrast varying in z. */
function smoothGrid(): Float32Array {
  const g = createGrid(shape);
  for (let j = 0; j < shape.ny; j++)
    for (let i = 0; i < shape.nx; i++)
      for (let k = 0; k < shape.nz; k++) {
        const o = ((j * shape.nx + i) * shape.nz + k) * COEFFS;
        const tx = i / (shape.nx - 1),
          ty = j / (shape.ny - 1),
          tz = k / (shape.nz - 1);
        g.set(
          [
            0.9 + 0.2 * tz,
            0.05 * tx,
            0,
            10 * ty - 5,
            0,
            0.9 + 0.1 * ty,
            0.05,
            -8 * tx,
            0.01,
            0,
            1.1 - 0.1 * tz,
            6 * tx,
          ],
          o,
        );
      }
  return g;
}

/** A grid with random coefficients (identity plus noise of `spread`, offsets x40): every z cell differs. */
function randomGrid(seed: number, spread: number): Float32Array {
  let st = seed >>> 0;
  const rnd = () => (st = (Math.imul(st, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5;
  const g = fillAffine(createGrid(shape), IDENTITY_AFFINE);
  for (let i = 0; i < g.length; i++) g[i] += spread * rnd() * (i % 4 === 3 ? 40 : 1);
  return g;
}

describe('WasmKernels', () => {
  it('gives the bytes of its own tiled algorithm (TypeScript port), in full and partial tiles', async () => {
    const photo = await loadI420(sharedPath('media/photos/skimage_astronaut.jpg'), 646, 486);
    const lumaOnly = buildGuideLuts({ nz: shape.nz, splitByMask: false });
    const kernels = new WasmKernels();
    let st = 9;
    const noise = () => (st = (Math.imul(st, 1664525) + 1013904223) >>> 0) % 256;
    for (const [W, H] of [
      [646, 486],
      [37, 21],
    ]) {
      const frame =
        W === photo.width ? photo : { width: W, height: H, data: Uint8Array.from({ length: i420Size(W, H) }, noise) };
      // a soft disc of speaker with noisy values (tiles whose z spans many cells)
      const mask = new Uint8Array(W * H);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const r = Math.hypot((x - W / 2) / (0.3 * W), (y - H / 2) / (0.4 * H));
          mask[y * W + x] = Math.max(0, Math.min(255, Math.round((1.1 - r) * 1275) + (noise() % 41) - 20));
        }
      for (const [grid, guide, m] of [
        [smoothGrid(), luts, mask],
        [randomGrid(1, 0.3), luts, mask],
        [randomGrid(2, 3), lumaOnly, 255],
        [randomGrid(3, 1), lumaOnly, mask],
      ] as const) {
        const a = cloneFrame(frame),
          b = cloneFrame(frame);
        kernels.slice(a, grid, shape, guide, typeof m === 'number' ? { constant: m } : { plane: m });
        sliceTiled(b, grid, shape, guide, m);
        expect(maxAbsDiff(a.data, b.data).max).toBe(0);
        expect(maxAbsDiff(a.data, frame.data).mean).toBeGreaterThan(1);
      }
    }
  });

  it('leaves the frame unchanged with the identity grid', async () => {
    const frame = await loadI420(sharedPath('media/photos/skimage_astronaut.jpg'), 640, 480);
    const out = cloneFrame(frame);
    new WasmKernels().slice(out, fillAffine(createGrid(shape), IDENTITY_AFFINE), shape, luts, { constant: 255 });
    expect(maxAbsDiff(out.data, frame.data).max).toBe(0);
  });

  it('matches exact trilinear slicing within 2 levels on a real photo', async () => {
    const frame = await loadI420(sharedPath('media/photos/dps_in11.jpg'), 1280, 720);
    const grid = smoothGrid();
    const ref = cloneFrame(frame),
      fast = cloneFrame(frame);
    sliceReference(ref, grid, shape, luts, 255);
    new WasmKernels().slice(fast, grid, shape, luts, { constant: 255 });
    const d = maxAbsDiff(ref.data, fast.data);
    expect(d.max).toBeLessThanOrEqual(2);
    expect(d.mean).toBeLessThan(0.3);
    // and the grid really changed the picture
    expect(maxAbsDiff(ref.data, frame.data).mean).toBeGreaterThan(2);
  });

  it('uses the mask plane, and tile classes agree with reading the mask', async () => {
    const W = 320,
      H = 240;
    const frame = await loadI420(sharedPath('media/photos/skimage_astronaut.jpg'), W, H);
    // speaker = left half; background grid darkens (upper z half = speaker keeps identity)
    const grid = createGrid(shape);
    for (let n = 0; n < shape.nx * shape.ny * shape.nz; n++) {
      const k = n % shape.nz;
      grid.set(k >= shape.nz / 2 ? IDENTITY_AFFINE : [0.5, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], n * COEFFS);
    }
    const mask = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) mask.fill(255, y * W, y * W + W / 2);
    const tiles = new Uint8Array((W / 8) * (H / 8));
    for (let ty = 0; ty < H / 8; ty++)
      for (let tx = 0; tx < W / 8; tx++) tiles[ty * (W / 8) + tx] = tx < W / 16 ? 1 : 0;
    const a = cloneFrame(frame),
      b = cloneFrame(frame),
      ref = cloneFrame(frame);
    const s = new WasmKernels();
    s.slice(a, grid, shape, luts, { plane: mask });
    s.slice(b, grid, shape, luts, { plane: mask, tileClass: tiles });
    sliceReference(ref, grid, shape, luts, mask);
    expect(maxAbsDiff(a.data, b.data).max).toBe(0);
    expect(maxAbsDiff(a.data, ref.data).max).toBeLessThanOrEqual(1);
    // left half (speaker) unchanged, right half darker
    let left = 0,
      right = 0;
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const d = frame.data[y * W + x] - a.data[y * W + x];
        if (x < W / 2) left = Math.max(left, Math.abs(d));
        else right += d;
      }
    expect(left).toBe(0);
    expect(right / ((W * H) / 2)).toBeGreaterThan(10);
  });
});
