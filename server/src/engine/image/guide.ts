// The guide map z(Y, m): which grid depth a pixel reads. It sees the luma (edges in the
// image) and the speaker mask (Xia et al. feed the mask to their learned guide for the same
// reason): background pixels live in the lower part of the z axis, the speaker in the upper
// part, so grid-space blending can separate the two regions at the mask edge while each
// region stays edge-aware in luma.
import { DEFAULT_GRID } from './grid.js';

export interface GuideParams {
  nz: number;
  /**
   * true: background pixels use z nodes 0..nz/2-1 and speaker pixels nz/2..nz-1 (no cell
   * is shared by pure background and pure speaker pixels; soft mask values fall between);
   * false: z from luma only, over all nodes.
   */
  splitByMask: boolean;
}

export interface GuideLuts {
  /** z contribution of luma, grid units x256 (fixed point) */
  zY: Int32Array;
  /** z contribution of the mask value 0..255, grid units x256 */
  zM: Int32Array;
}

/** Limited-range luma (16..235) spread over 0..1. */
export function lumaCurve(y: number): number {
  const t = (y - 16) / 219;
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

export function buildGuideLuts(p: GuideParams): GuideLuts {
  if (p.splitByMask && (p.nz < 4 || p.nz % 2)) throw new RangeError('splitByMask needs an even nz >= 4');
  const half = p.nz / 2;
  const ySpan = (p.splitByMask ? half - 1 : p.nz - 1) * 256;
  const mSpan = p.splitByMask ? half * 256 : 0;
  const zY = new Int32Array(256),
    zM = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    zY[i] = Math.round(ySpan * lumaCurve(i));
    zM[i] = Math.round(mSpan * (i / 255));
  }
  return { zY, zM };
}

/** z in grid units for luma y and mask m (0..255), as the kernel computes it. */
export function guideZ(luts: GuideLuts, nz: number, y: number, m: number): number {
  const zMax = (nz - 1) * 256 - 1;
  const z = luts.zY[y] + luts.zM[m];
  return (z < 0 ? 0 : z > zMax ? zMax : z) / 256;
}

/** The guide every grid is built and sliced with: luma curve, speaker in the upper z half. */
export function engineLuts(): GuideLuts {
  return buildGuideLuts({ nz: DEFAULT_GRID.nz, splitByMask: true });
}

/** Lookup tables from a guide's two curves in grid units (a learned guide: models/gridnet_guide.json). */
export function guideLutsFromTables(zY: ArrayLike<number>, zM: ArrayLike<number>): GuideLuts {
  if (zY.length !== 256 || zM.length !== 256) throw new RangeError('a guide needs 256 values per table');
  const luts = { zY: new Int32Array(256), zM: new Int32Array(256) };
  for (let i = 0; i < 256; i++) {
    luts.zY[i] = Math.round(256 * zY[i]);
    luts.zM[i] = Math.round(256 * zM[i]);
  }
  return luts;
}
