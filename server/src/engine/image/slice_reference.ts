// Reference slicing in plain TypeScript: exact trilinear interpolation of the grid at every
// pixel. Slow (~10x the WebAssembly kernel); used by tests to check the kernel and by the
// evaluation harness for ablations.
import { COEFFS, type GridShape } from './grid.js';
import { guideZ, type GuideLuts } from './guide.js';
import { i420Planes, type I420Frame } from './i420.js';

/** Trilinear interpolation of the 12 coefficients at pixel-space (x, y) and guide z. */
export function sampleGrid(
  grid: Float32Array,
  s: GridShape,
  gx: number,
  gy: number,
  gz: number,
  out: Float64Array,
): void {
  const ix = Math.min(s.nx - 2, Math.max(0, Math.floor(gx))),
    wx = Math.min(1, Math.max(0, gx - ix));
  const iy = Math.min(s.ny - 2, Math.max(0, Math.floor(gy))),
    wy = Math.min(1, Math.max(0, gy - iy));
  const iz = Math.min(s.nz - 2, Math.max(0, Math.floor(gz))),
    wz = Math.min(1, Math.max(0, gz - iz));
  out.fill(0);
  for (let dy = 0; dy < 2; dy++)
    for (let dx = 0; dx < 2; dx++)
      for (let dz = 0; dz < 2; dz++) {
        const w = (dx ? wx : 1 - wx) * (dy ? wy : 1 - wy) * (dz ? wz : 1 - wz);
        if (w === 0) continue;
        const o = (((iy + dy) * s.nx + ix + dx) * s.nz + iz + dz) * COEFFS;
        for (let c = 0; c < COEFFS; c++) out[c] += w * grid[o + c];
      }
}

const clamp8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/**
 * Slices `grid` at every pixel of `frame` in place. `mask` is a full-resolution plane
 * (0..255) or a constant.
 */
export function sliceReference(
  frame: I420Frame,
  grid: Float32Array,
  s: GridShape,
  luts: GuideLuts,
  mask: Uint8Array | number,
): void {
  const p = i420Planes(frame);
  const { width: W, height: H, chromaWidth: CW } = p;
  const sx = W > 1 ? (s.nx - 1) / (W - 1) : 0,
    sy = H > 1 ? (s.ny - 1) / (H - 1) : 0;
  const a = new Float64Array(COEFFS);
  for (let y = 0; y < H; y += 2) {
    for (let x = 0; x < W; x += 2) {
      const ci = (y >> 1) * CW + (x >> 1);
      const u = p.u[ci] - 128,
        v = p.v[ci] - 128;
      let zSum = 0,
        ySum = 0,
        n = 0,
        xSum = 0,
        ySumPos = 0;
      for (let dy = 0; dy < 2 && y + dy < H; dy++)
        for (let dx = 0; dx < 2 && x + dx < W; dx++) {
          const i = (y + dy) * W + x + dx;
          const yy = p.y[i];
          const m = typeof mask === 'number' ? mask : mask[i];
          const z = guideZ(luts, s.nz, yy, m);
          sampleGrid(grid, s, (x + dx) * sx, (y + dy) * sy, z, a);
          p.y[i] = clamp8(a[0] * yy + a[1] * u + a[2] * v + a[3]);
          zSum += z;
          ySum += yy;
          xSum += x + dx;
          ySumPos += y + dy;
          n++;
        }
      sampleGrid(grid, s, (xSum / n) * sx, (ySumPos / n) * sy, zSum / n, a);
      const yq = ySum / n;
      p.u[ci] = clamp8(128 + a[4] * yq + a[5] * u + a[6] * v + a[7]);
      p.v[ci] = clamp8(128 + a[8] * yq + a[9] * u + a[10] * v + a[11]);
    }
  }
}

/**
 * Slices `grid` into an interleaved low-res (Y, U-128, V-128) float image, exactly as the
 * full-resolution reference does per pixel (trilinear at (x (nx-1)/(w-1), y (ny-1)/(h-1),
 * guideZ(round Y, m))), without rounding or clamping the result. For tests and evaluation;
 * `out` may be `src`.
 */
export function sliceInterleaved(
  grid: Float32Array,
  s: GridShape,
  luts: GuideLuts,
  src: Float32Array,
  width: number,
  height: number,
  mask: Uint8Array | number,
  out: Float32Array,
  scratch = new Float64Array(COEFFS),
): Float32Array {
  const sx = width > 1 ? (s.nx - 1) / (width - 1) : 0,
    sy = height > 1 ? (s.ny - 1) / (height - 1) : 0;
  const a = scratch;
  for (let y = 0, i = 0; y < height; y++)
    for (let x = 0; x < width; x++, i++) {
      const Y = src[3 * i],
        U = src[3 * i + 1],
        V = src[3 * i + 2];
      const yq = Y < 0 ? 0 : Y > 255 ? 255 : Math.round(Y);
      const m = typeof mask === 'number' ? mask : mask[i];
      sampleGrid(grid, s, x * sx, y * sy, guideZ(luts, s.nz, yq, m), a);
      out[3 * i] = a[0] * Y + a[1] * U + a[2] * V + a[3];
      out[3 * i + 1] = a[4] * Y + a[5] * U + a[6] * V + a[7];
      out[3 * i + 2] = a[8] * Y + a[9] * U + a[10] * V + a[11];
    }
  return out;
}
