// Fitting an affine bilateral grid to a (content, target) pair of low-resolution images:
// bilateral guided upsampling (Chen et al. 2016) with the Laplacian smoothness term of
// Xia et al. 2021 (eq. 11). Slicing the fitted grid into the content reproduces the target
// as closely as an edge-aware, locally affine colour transform can; that is what turns a
// soft, haloed low-res stylization into a photorealistic transform.
//
// Energy, over the affine A_n (4x3) of every node n (grid conventions of grid.ts):
//
//   E = sum_p w_p kappa sum_n tau_pn |A_n^T p~_p - t_p|^2            data (block diagonal)
//     + sum_{n~m} c_nm |A_n - A_m|^2                                 Laplacian (6-neighbourhood)
//     + mu sum_n |A_n - A_prior|^2                                   prior
//
// - tau_pn: the trilinear weight of node n at pixel p (the weight the slicer reads it with),
//   at grid position (x (nx-1)/(w-1), y (ny-1)/(h-1), guideZ(luts, nz, round(Y), m)).
//   This is the local-affine ("splatted") form of the BGU data term: each node fits the
//   pixels of its 2x2x2-cell support, weighted by the tent; it makes the data term block
//   diagonal (one 4x4 Gram per node, shared by the three output rows). It is exact for any
//   transform that is affine over a node's support (identity, global colour matrices).
// - kappa = (nx-1)(ny-1) / (w h): a fully weighted image puts a data mass of ~1 on every
//   xy column of nodes whatever the low-res size, so lambda and mu do not depend on it.
// - Coefficients are compared in "levels at full scale": the gains (multiplying Y, U-128,
//   V-128) are scaled by S = 255 inside the solver (the solver's unknowns are
//   (255 a_Y, 255 a_U, 255 a_V, b) per output row), so a unit of |A_n - A_m| is one output
//   level for a full-scale input, for a gain and an offset alike. Same for the prior.
// - c_nm = lambda for x and y neighbours, lambda * lambdaZ for z neighbours (grid units,
//   Neumann boundary: border nodes simply have fewer neighbours).
// - mu = max(prior, 1e-8): the system is always SPD, also with no data at all.
//
// Solver: preconditioned conjugate gradient (grid_pcg.ts). The default cold start is the
// prior; a warm start (e.g. the previous fit) is accepted.
import { COEFFS, IDENTITY_AFFINE, type GridShape } from '../image/grid.js';
import type { GuideLuts } from '../image/guide.js';
import { INV_S, MOM, S, splatMoments, type FitInput, type SplatBuffers, type SplatTotals } from './grid_fit_splat.js';
import { invSym4 } from '../image/linalg3.js';
import { BlockPcg } from './grid_pcg.js';

export type { FitInput } from './grid_fit_splat.js';

export interface FitOptions {
  luts: GuideLuts;
  /** Laplacian smoothness weight between x and y neighbour nodes */
  lambda: number;
  /** z neighbours get lambda * lambdaZ (default 1) */
  lambdaZ?: number;
  /** pull of every node toward the prior affine (keeps empty cells sane); >= 0 */
  prior: number;
  /**
   * 12 grid coefficients. Default: the global weighted least-squares affine of the data
   * (a ridge of 0.1 level^2 of variance toward the identity); the identity without data.
   */
  priorAffine?: ArrayLike<number>;
  /** maximum solver (PCG) iterations */
  iterations: number;
  /** relative preconditioned residual at which the solver stops (default 1e-3) */
  tolerance?: number;
}

export interface FitStats {
  /** PCG iterations done */
  iterations: number;
  /** final relative preconditioned residual sqrt(r'M^-1 r / b'M^-1 b) */
  residual: number;
  /** residual <= tolerance */
  converged: boolean;
  /** RMS (levels, over Y U V) of the local affine fits in the data term at the solution */
  dataRms: number;
  /** pixels with a positive weight, and their total weight */
  pixels: number;
  weight: number;
  /** pixels skipped for a non-finite value */
  skipped: number;
  warm: boolean;
  ms: number;
  splatMs: number;
  solveMs: number;
}

/** Recommended settings for the 16x16x16 grid on a ~256x144 low-res frame (see the tests). */
export const DEFAULT_FIT = { lambda: 3e-3, lambdaZ: 0.5, prior: 1e-4, iterations: 30, tolerance: 1e-3 } as const;

const RIDGE_VAR = 0.1; // global prior: variance (levels^2) added toward the identity (~8-bit quantization noise)
const MIN_MU = 1e-8;

/**
 * Fits grids of one shape. Owns its scratch (a few MB for 16^3), reused across calls;
 * fit() allocates nothing once the low-res width has been seen.
 */
export class GridFitter {
  readonly shape: GridShape;
  /** the prior used by the last fit (12 grid coefficients) */
  readonly priorUsed = new Float64Array(COEFFS);
  private readonly nodes: number;
  private readonly mom: Float64Array; // [node][22] Gram (upper triangle) then cross terms
  private readonly pcg: BlockPcg;
  private readonly pri = new Float64Array(COEFFS); // prior in solver units
  private readonly g4 = new Float64Array(10);
  private readonly i4 = new Float64Array(10);
  private readonly bt = new Float64Array(COEFFS); // the prior's right-hand side
  private readonly buf: SplatBuffers;
  private totals: SplatTotals = { pixels: 0, weight: 0, skipped: 0, sumT2: 0 };

  constructor(shape: GridShape) {
    const { nx, ny, nz } = shape;
    if (!(nx >= 2 && ny >= 2 && nz >= 2) || !Number.isInteger(nx) || !Number.isInteger(ny) || !Number.isInteger(nz)) {
      throw new RangeError(`grid shape must be integers >= 2, got ${nx}x${ny}x${nz}`);
    }
    this.shape = { nx, ny, nz };
    this.nodes = nx * ny * nz;
    this.mom = new Float64Array(this.nodes * MOM);
    this.pcg = new BlockPcg(this.shape);
    this.buf = {
      mom: this.mom,
      row: new Float64Array(nx * nz * MOM),
      ixTab: new Int32Array(0),
      fxTab: new Float64Array(0),
    };
  }

  /** Data mass (sum of kappa w tau) on node n in the last fit; 0 for nodes no pixel reads. */
  nodeMass(n: number): number {
    return this.mom[n * MOM + 9];
  }

  /**
   * Fits the grid and writes it to `out` (gridLength(shape)); `warmStart` (may be `out`)
   * is the initial guess, otherwise the prior. Only the returned stats object is allocated.
   */
  fit(input: FitInput, opt: FitOptions, out: Float32Array, warmStart?: Float32Array): FitStats {
    const t0 = performance.now();
    const { nx, ny, nz } = this.shape;
    const N = this.nodes,
      n12 = N * COEFFS;
    const { width: w, height: h } = input;
    if (!(w >= 1 && h >= 1)) throw new RangeError(`bad size ${w}x${h}`);
    if (input.content.length < w * h * 3 || input.target.length < w * h * 3)
      throw new RangeError('content/target too small');
    if (input.weights && input.weights.length < w * h) throw new RangeError('weights too small');
    if (input.mask && input.mask.length < w * h) throw new RangeError('mask too small');
    if (out.length !== n12) throw new RangeError(`out must hold ${n12} coefficients`);
    if (warmStart && warmStart.length !== n12) throw new RangeError(`warmStart must hold ${n12} coefficients`);
    if (opt.luts.zY.length < 256 || opt.luts.zM.length < 256) throw new RangeError('bad guide luts');
    const lambda = Math.max(0, opt.lambda || 0);
    const cz = lambda * Math.max(0, opt.lambdaZ ?? 1);
    const mu = Math.max(MIN_MU, opt.prior || 0);
    const maxIt = Math.max(0, Math.floor(opt.iterations || 0));
    const tol = Math.max(0, opt.tolerance ?? 1e-3);

    // 1. data term
    this.totals = splatMoments(this.shape, input, opt.luts, this.buf);
    const sumT2 = this.totals.sumT2;
    const t1 = performance.now();

    // 2. prior (solver units)
    this.computePrior(opt.priorAffine);
    const pri = this.pri;

    // 3. diagonal blocks D_n = G_n + (mu + sum c) I, their inverses, and b = B + mu prior
    const mom = this.mom,
      dinv = this.pcg.dinv,
      dfull = this.pcg.dfull,
      b = this.pcg.b,
      g4 = this.g4;
    const dAll = mu + 4 * lambda + 2 * cz;
    for (let j = 0, n = 0; j < ny; j++)
      for (let i = 0; i < nx; i++)
        for (let k = 0; k < nz; k++, n++) {
          const deg =
            lambda * ((i > 0 ? 1 : 0) + (i < nx - 1 ? 1 : 0) + (j > 0 ? 1 : 0) + (j < ny - 1 ? 1 : 0)) +
            cz * ((k > 0 ? 1 : 0) + (k < nz - 1 ? 1 : 0));
          const d = mu + deg,
            mo = n * MOM,
            io = n * 10;
          for (let t = 0; t < 10; t++) {
            const v = mom[mo + t];
            g4[t] = v;
            dfull[io + t] = v;
          }
          g4[0] += d;
          g4[4] += d;
          g4[7] += d;
          g4[9] += d;
          dfull[io] += dAll;
          dfull[io + 4] += dAll;
          dfull[io + 7] += dAll;
          dfull[io + 9] += dAll;
          if (!invSym4(g4, 0, dinv, io)) {
            // cannot happen for finite input (D >= mu I); stay safe anyway
            for (let t = 0; t < 10; t++) dinv[io + t] = 0;
            dinv[io] = 1 / g4[0];
            dinv[io + 4] = 1 / g4[4];
            dinv[io + 7] = 1 / g4[7];
            dinv[io + 9] = 1 / g4[9];
          }
          const o = n * COEFFS;
          for (let c = 0; c < COEFFS; c++) b[o + c] = mom[mo + 10 + c] + mu * pri[c];
        }

    // 4. initial guess
    const x = this.pcg.x;
    let warm = false;
    if (warmStart) {
      warm = true;
      for (let o = 0; o < n12; o += COEFFS) {
        for (let c = 0; c < COEFFS; c++) {
          const v = warmStart[o + c] * ((c & 3) === 3 ? 1 : S);
          if (!(v - v === 0)) {
            warm = false;
            break;
          }
          x[o + c] = v;
        }
        if (!warm) break;
      }
    }
    if (!warm) for (let o = 0; o < n12; o += COEFFS) for (let c = 0; c < COEFFS; c++) x[o + c] = pri[c];

    // 5. PCG
    const { iterations: it, residual } = this.pcg.solve(lambda, cz, maxIt, tol);

    // 6. output and stats
    for (let o = 0; o < n12; o += COEFFS) {
      for (let c = 0; c < COEFFS; c++) out[o + c] = (c & 3) === 3 ? x[o + c] : x[o + c] * INV_S;
    }
    const t2 = performance.now();
    return {
      iterations: it,
      residual,
      converged: residual <= tol,
      dataRms: this.dataRms(sumT2),
      pixels: this.totals.pixels,
      weight: this.totals.weight,
      skipped: this.totals.skipped,
      warm,
      ms: performance.now() - t0,
      splatMs: t1 - t0,
      solveMs: t2 - t1,
    };
  }

  /** The prior in solver units (this.pri) and grid units (this.priorUsed). */
  private computePrior(given: ArrayLike<number> | undefined): void {
    const pri = this.pri,
      used = this.priorUsed;
    let ok = false;
    if (given) {
      if (given.length < COEFFS) throw new RangeError('priorAffine needs 12 coefficients');
      ok = true;
      for (let c = 0; c < COEFFS; c++) {
        used[c] = given[c];
        if (!Number.isFinite(given[c])) ok = false;
      }
      if (!ok) throw new RangeError('priorAffine must be finite');
    } else {
      // global weighted least squares: sum_n G_n = sum_p kappa w p p^T (sum_n tau_pn = 1)
      const mom = this.mom,
        g = this.g4,
        gi = this.i4,
        bt = this.bt;
      g.fill(0);
      bt.fill(0);
      for (let n = 0, mo = 0; n < this.nodes; n++, mo += MOM) {
        for (let t = 0; t < 10; t++) g[t] += mom[mo + t];
        for (let c = 0; c < COEFFS; c++) bt[c] += mom[mo + 10 + c];
      }
      const mass = g[9];
      if (mass > 0) {
        const e = mass * RIDGE_VAR * INV_S * INV_S; // ridge on the (scaled) gains only
        g[0] += e;
        g[4] += e;
        g[7] += e;
        for (let r = 0; r < 3; r++) bt[4 * r + r] += e * S; // toward the identity gain S
        ok = invSym4(g, 0, gi, 0);
        if (ok) {
          for (let r = 0; r < 3; r++) {
            const o = 4 * r,
              b0 = bt[o],
              b1 = bt[o + 1],
              b2 = bt[o + 2],
              b3 = bt[o + 3];
            const a0 = gi[0] * b0 + gi[1] * b1 + gi[2] * b2 + gi[3] * b3;
            const a1 = gi[1] * b0 + gi[4] * b1 + gi[5] * b2 + gi[6] * b3;
            const a2 = gi[2] * b0 + gi[5] * b1 + gi[7] * b2 + gi[8] * b3;
            const a3 = gi[3] * b0 + gi[6] * b1 + gi[8] * b2 + gi[9] * b3;
            used[o] = a0 * INV_S;
            used[o + 1] = a1 * INV_S;
            used[o + 2] = a2 * INV_S;
            used[o + 3] = a3;
          }
          for (let c = 0; c < COEFFS; c++) if (!Number.isFinite(used[c])) ok = false;
        }
      }
      if (!ok) for (let c = 0; c < COEFFS; c++) used[c] = IDENTITY_AFFINE[c];
    }
    for (let c = 0; c < COEFFS; c++) pri[c] = (c & 3) === 3 ? used[c] : used[c] * S;
  }

  /** sqrt(data energy / data mass) at the current solution, in levels per channel. */
  private dataRms(sumT2: number): number {
    const mom = this.mom,
      x = this.pcg.x;
    let e = sumT2,
      mass = 0;
    for (let n = 0, mo = 0, o = 0; n < this.nodes; n++, mo += MOM, o += COEFFS) {
      const m9 = mom[mo + 9];
      if (m9 <= 0) continue;
      mass += m9;
      const g0 = mom[mo],
        g1 = mom[mo + 1],
        g2 = mom[mo + 2],
        g3 = mom[mo + 3],
        g4 = mom[mo + 4];
      const g5 = mom[mo + 5],
        g6 = mom[mo + 6],
        g7 = mom[mo + 7],
        g8 = mom[mo + 8];
      for (let c = 0; c < 3; c++) {
        const rr = o + 4 * c,
          bo = mo + 10 + 4 * c;
        const a0 = x[rr],
          a1 = x[rr + 1],
          a2 = x[rr + 2],
          a3 = x[rr + 3];
        const quad =
          a0 * (g0 * a0 + g1 * a1 + g2 * a2 + g3 * a3) +
          a1 * (g1 * a0 + g4 * a1 + g5 * a2 + g6 * a3) +
          a2 * (g2 * a0 + g5 * a1 + g7 * a2 + g8 * a3) +
          a3 * (g3 * a0 + g6 * a1 + g8 * a2 + m9 * a3);
        e += quad - 2 * (a0 * mom[bo] + a1 * mom[bo + 1] + a2 * mom[bo + 2] + a3 * mom[bo + 3]);
      }
    }
    return mass > 0 ? Math.sqrt(Math.max(0, e) / (3 * mass)) : 0;
  }
}
