// The WebAssembly slicer's own algorithm (server/src/engine/frame/kernels/slice.ts) in plain
// TypeScript, in f32 arithmetic operation for operation (Math.fround after every step), so a
// test can ask the kernel for the same bytes, not only for bytes near the exact trilinear
// reference: the grid interpolated bilinearly at each 8x8 tile's centre, linearly in z per
// pixel, each 2x2 quad's chroma from its mean z and mean input luma.
import { COEFFS, type GridShape } from '../../server/src/engine/image/grid.js';
import { guideZ, type GuideLuts } from '../../server/src/engine/image/guide.js';
import { i420Planes, type I420Frame } from '../../server/src/engine/image/i420.js';

const T = 8;
const f = Math.fround;

const clampByte = (r: number): number => {
  const v = Math.trunc(f(r + 0.5));
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

/** The tile's table: per z node, the 12 coefficients at (gx, gy) and the deltas to the next node. */
function tileTable(
  grid: Float32Array,
  s: GridShape,
  gx: number,
  gy: number,
): { node: Float32Array; delta: Float32Array } {
  const ix = Math.max(0, Math.min(s.nx - 2, Math.trunc(gx))),
    iy = Math.max(0, Math.min(s.ny - 2, Math.trunc(gy)));
  const wx = f(gx - ix),
    wy = f(gy - iy);
  const w00 = f(f(1 - wx) * f(1 - wy)),
    w10 = f(wx * f(1 - wy)),
    w01 = f(f(1 - wx) * wy),
    w11 = f(wx * wy);
  const node = new Float32Array(s.nz * COEFFS),
    delta = new Float32Array(s.nz * COEFFS);
  const at = (j: number, i: number, k: number, c: number) => grid[((j * s.nx + i) * s.nz + k) * COEFFS + c];
  for (let k = 0; k < s.nz; k++)
    for (let c = 0; c < COEFFS; c++)
      node[k * COEFFS + c] = f(
        f(f(at(iy, ix, k, c) * w00) + f(at(iy, ix + 1, k, c) * w10)) +
          f(f(at(iy + 1, ix, k, c) * w01) + f(at(iy + 1, ix + 1, k, c) * w11)),
      );
  for (let k = 0; k < s.nz - 1; k++)
    for (let c = 0; c < COEFFS; c++) delta[k * COEFFS + c] = f(node[(k + 1) * COEFFS + c] - node[k * COEFFS + c]);
  return { node, delta };
}

/** Row `c0` (0: Y', 4: U'-128, 8: V'-128) of the affine at z, applied to (yf, u, v). */
function affine(
  t: { node: Float32Array; delta: Float32Array },
  z: number,
  c0: number,
  yf: number,
  u: number,
  v: number,
): number {
  const o = (z >> 8) * COEFFS + c0,
    w = f((z & 255) * 0.00390625);
  const k = (i: number) => f(t.node[o + i] + f(t.delta[o + i] * w));
  return f(f(f(f(k(0) * yf) + f(k(1) * u)) + f(k(2) * v)) + k(3));
}

/** Slices `grid` into `frame` in place, as the kernel does; `mask`: a full-resolution plane or a constant. */
export function sliceTiled(
  frame: I420Frame,
  grid: Float32Array,
  s: GridShape,
  luts: GuideLuts,
  mask: Uint8Array | number,
): void {
  const p = i420Planes(frame);
  const { width: W, height: H, chromaWidth: CW } = p;
  const sx = W > 1 ? f(f(s.nx - 1) / f(W - 1)) : 0,
    sy = H > 1 ? f(f(s.ny - 1) / f(H - 1)) : 0;
  // the kernel's fixed-point z (guideZ is it divided by 256, exactly)
  const zAt = (i: number) => guideZ(luts, s.nz, p.y[i], typeof mask === 'number' ? mask : mask[i]) * 256;
  for (let y0 = 0; y0 < H; y0 += T) {
    const y1 = Math.min(y0 + T, H),
      gy = f(f((y0 + y1 - 1) * 0.5) * sy);
    for (let x0 = 0; x0 < W; x0 += T) {
      const x1 = Math.min(x0 + T, W),
        gx = f(f((x0 + x1 - 1) * 0.5) * sx);
      const t = tileTable(grid, s, gx, gy);
      for (let y = y0; y < y1; y += 2)
        for (let x = x0; x < x1; x += 2) {
          const ci = (y >> 1) * CW + (x >> 1);
          const u = p.u[ci] - 128,
            v = p.v[ci] - 128;
          let zSum = 0,
            ySum = 0,
            n = 0;
          for (let dy = 0; dy < 2 && y + dy < y1; dy++)
            for (let dx = 0; dx < 2 && x + dx < x1; dx++) {
              const i = (y + dy) * W + x + dx;
              const z = zAt(i),
                yy = p.y[i];
              zSum += z;
              ySum += yy;
              n++;
              p.y[i] = clampByte(affine(t, z, 0, yy, u, v));
            }
          const zq = Math.trunc(zSum / n),
            yq = n === 4 ? f(ySum * 0.25) : f(ySum / n);
          p.u[ci] = clampByte(f(affine(t, zq, 4, yq, u, v) + 128));
          p.v[ci] = clampByte(f(affine(t, zq, 8, yq, u, v) + 128));
        }
    }
  }
}
