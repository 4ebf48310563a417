// Affine bilateral grids: Float32Array [ny][nx][nz][12]. Node (i, j, k) sits at pixel
// x = i*(W-1)/(nx-1), y = j*(H-1)/(ny-1) and guide value z = k (grid units, 0..nz-1).
// Coefficients 0..3 give Y', 4..7 give U'-128, 8..11 give V'-128, each as a dot product
// with (Y, U-128, V-128, 1).

export const COEFFS = 12;

export interface GridShape {
  nx: number;
  ny: number;
  nz: number;
}

export const DEFAULT_GRID: GridShape = { nx: 16, ny: 16, nz: 16 };

export function gridLength(s: GridShape): number {
  return s.nx * s.ny * s.nz * COEFFS;
}

export function createGrid(s: GridShape): Float32Array {
  return new Float32Array(gridLength(s));
}

/** The identity transform (output = input). */
export const IDENTITY_AFFINE: readonly number[] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0];

/** Sets every node to the same affine transform (12 coefficients). */
export function fillAffine(grid: Float32Array, affine: ArrayLike<number>): Float32Array {
  for (let o = 0; o < grid.length; o += COEFFS) {
    for (let c = 0; c < COEFFS; c++) grid[o + c] = affine[c];
  }
  return grid;
}

/** out = a + t (b - a). */
export function lerpGrid(out: Float32Array, a: Float32Array, b: Float32Array, t: number): Float32Array {
  if (t <= 0) {
    if (out !== a) out.set(a);
    return out;
  }
  if (t >= 1) {
    if (out !== b) out.set(b);
    return out;
  }
  for (let i = 0; i < out.length; i++) out[i] = a[i] + t * (b[i] - a[i]);
  return out;
}

/**
 * Grid-space blending (Xia et al. eq. 7): out = M * gf + (1 - M) * gb, with one mask value
 * per grid node (the soft grid mask, see soft_grid_mask.ts).
 */
export function blendGrids(out: Float32Array, gf: Float32Array, gb: Float32Array, mgrid: Float32Array): Float32Array {
  const nodes = mgrid.length;
  for (let n = 0; n < nodes; n++) {
    const m = mgrid[n],
      o = n * COEFFS;
    for (let c = 0; c < COEFFS; c++) out[o + c] = gb[o + c] + m * (gf[o + c] - gb[o + c]);
  }
  return out;
}

/** Applies one node's affine transform to a (Y, U-128, V-128) colour. */
export function applyAffine(
  g: ArrayLike<number>,
  o: number,
  y: number,
  u: number,
  v: number,
  out: number[] | Float32Array,
): void {
  out[0] = g[o] * y + g[o + 1] * u + g[o + 2] * v + g[o + 3];
  out[1] = g[o + 4] * y + g[o + 5] * u + g[o + 6] * v + g[o + 7];
  out[2] = g[o + 8] * y + g[o + 9] * u + g[o + 10] * v + g[o + 11];
}
