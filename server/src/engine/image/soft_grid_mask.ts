// Soft grid mask (Xia et al. 2021, Algorithm 1): for every grid node, the share of the
// speaker among the low-resolution pixels that fall into it (splatted with the same
// trilinear weights slicing uses), so grid-space blending (eq. 7) follows the pixels that
// actually read each node. Nodes no pixel reaches fall back to the guide's split (upper z
// half = speaker), which is what a pixel reaching them would be.
import type { GridShape } from './grid.js';
import { type GuideLuts } from './guide.js';

/** The grid mask of the split guide alone: speaker nodes are the upper half of z. */
export function splitGridMask(s: GridShape): Float32Array {
  const m = new Float32Array(s.nx * s.ny * s.nz);
  for (let n = 0; n < m.length; n++) m[n] = n % s.nz >= s.nz / 2 ? 1 : 0;
  return m;
}

export class SoftGridMask {
  private readonly num: Float32Array;
  private readonly den: Float32Array;
  readonly mask: Float32Array;
  private readonly split: Float32Array;

  constructor(private readonly shape: GridShape) {
    const n = shape.nx * shape.ny * shape.nz;
    this.num = new Float32Array(n);
    this.den = new Float32Array(n);
    this.mask = new Float32Array(n);
    this.split = splitGridMask(shape);
  }

  /**
   * luma: low-res Y (0..255) per pixel (any stride via `lumaStride`, e.g. 3 for interleaved YUV);
   * mask: low-res mask 0..255. `prior` pulls sparse nodes toward the split default.
   */
  compute(
    width: number,
    height: number,
    luma: Float32Array,
    lumaStride: number,
    mask: Uint8Array,
    luts: GuideLuts,
    prior = 0.5,
  ): Float32Array {
    const s = this.shape,
      num = this.num,
      den = this.den;
    num.fill(0);
    den.fill(0);
    const sx = width > 1 ? (s.nx - 1) / (width - 1) : 0,
      sy = height > 1 ? (s.ny - 1) / (height - 1) : 0;
    const zMax = (s.nz - 1) * 256 - 1,
      nz = s.nz,
      nxz = s.nx * nz;
    for (let y = 0; y < height; y++) {
      const gy = y * sy;
      let iy = gy | 0;
      if (iy > s.ny - 2) iy = s.ny - 2;
      const wy = gy - iy;
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        let yq = Math.round(luma[i * lumaStride]);
        yq = yq < 0 ? 0 : yq > 255 ? 255 : yq;
        const m = mask[i];
        let zf = luts.zY[yq] + luts.zM[m];
        zf = zf < 0 ? 0 : zf > zMax ? zMax : zf;
        const iz = zf >> 8,
          wz = (zf & 255) / 256;
        const gx = x * sx;
        let ix = gx | 0;
        if (ix > s.nx - 2) ix = s.nx - 2;
        const wx = gx - ix;
        const fg = m / 255;
        const base = iy * nxz + ix * nz + iz;
        for (let d = 0; d < 8; d++) {
          const dx = d & 1,
            dy = (d >> 1) & 1,
            dz = d >> 2;
          const w = (dx ? wx : 1 - wx) * (dy ? wy : 1 - wy) * (dz ? wz : 1 - wz);
          const n = base + dy * nxz + dx * nz + dz;
          num[n] += w * fg;
          den[n] += w;
        }
      }
    }
    const out = this.mask;
    const split = this.split;
    for (let n = 0; n < out.length; n++) out[n] = (num[n] + prior * split[n]) / (den[n] + prior);
    return out;
  }
}
