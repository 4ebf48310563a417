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
// Solver: preconditioned conjugate gradient with the exact 4x4 block-diagonal (block Jacobi)
// preconditioner, one CG recursion per output row (the three rows share the matrix), in
// float64. It stops when sqrt(r^T M^-1 r / b^T M^-1 b) <= tolerance or after `iterations`.
// The default cold start is the prior; a warm start (e.g. the previous fit) is accepted.
import { COEFFS, IDENTITY_AFFINE, type GridShape } from '../image/grid.js';
import type { GuideLuts } from '../image/guide.js';
import { INV_S, MOM, S, splatMoments, type FitInput, type SplatBuffers, type SplatTotals } from './grid_fit_splat.js';
import { invSym4 } from '../image/linalg3.js';

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
  private readonly dinv: Float64Array; // [node][10] inverse of the diagonal block D_n = G_n + (mu + sum_m c_nm) I
  private readonly dfull: Float64Array; // [node][10] G_n + (mu + 4 lambda + 2 lambda lambdaZ) I (see applyK)
  private readonly x: Float64Array;
  private readonly b: Float64Array;
  private readonly r: Float64Array;
  private readonly z: Float64Array;
  private readonly p: Float64Array;
  private readonly q: Float64Array;
  private readonly pri = new Float64Array(COEFFS); // prior in solver units
  private readonly g4 = new Float64Array(10);
  private readonly i4 = new Float64Array(10);
  private readonly ch = new Float64Array(12); // per-channel CG scalars
  private readonly buf: SplatBuffers;
  private totals: SplatTotals = { pixels: 0, weight: 0, skipped: 0, sumT2: 0 };
  // set by solve()
  private residual = 0;

  constructor(shape: GridShape) {
    const { nx, ny, nz } = shape;
    if (!(nx >= 2 && ny >= 2 && nz >= 2) || !Number.isInteger(nx) || !Number.isInteger(ny) || !Number.isInteger(nz)) {
      throw new RangeError(`grid shape must be integers >= 2, got ${nx}x${ny}x${nz}`);
    }
    this.shape = { nx, ny, nz };
    this.nodes = nx * ny * nz;
    const n12 = this.nodes * COEFFS;
    this.mom = new Float64Array(this.nodes * MOM);
    this.dinv = new Float64Array(this.nodes * 10);
    this.dfull = new Float64Array(this.nodes * 10);
    this.x = new Float64Array(n12);
    this.b = new Float64Array(n12);
    this.r = new Float64Array(n12);
    this.z = new Float64Array(n12);
    this.p = new Float64Array(n12);
    this.q = new Float64Array(n12);
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
      dinv = this.dinv,
      dfull = this.dfull,
      b = this.b,
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
    const x = this.x;
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
    const it = this.solve(lambda, cz, maxIt, tol);

    // 6. output and stats
    for (let o = 0; o < n12; o += COEFFS) {
      for (let c = 0; c < COEFFS; c++) out[o + c] = (c & 3) === 3 ? x[o + c] : x[o + c] * INV_S;
    }
    const t2 = performance.now();
    return {
      iterations: it,
      residual: this.residual,
      converged: this.residual <= tol,
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
        bt = this.ch;
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

  /**
   * q = K p (K = D - couplings), one gather pass over the nodes; also returns p'q per
   * output channel in ch[6..8].
   */
  private applyK(p: Float64Array, q: Float64Array, lambda: number, cz: number): void {
    const { nx, ny, nz } = this.shape;
    const dm = this.dfull,
      ch = this.ch;
    const sX = nz * COEFFS,
      sY = nx * nz * COEFFS;
    ch[6] = 0;
    ch[7] = 0;
    ch[8] = 0;
    for (let n = 0, j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        for (let k = 0; k < nz; k++, n++) {
          const o = n * COEFFS,
            io = n * 10;
          // out-of-range neighbours point at the node itself; dfull compensates (see fit)
          const ozm = k > 0 ? o - COEFFS : o,
            ozp = k < nz - 1 ? o + COEFFS : o;
          const oxm = i > 0 ? o - sX : o,
            oxp = i < nx - 1 ? o + sX : o;
          const oym = j > 0 ? o - sY : o,
            oyp = j < ny - 1 ? o + sY : o;
          const g0 = dm[io],
            g1 = dm[io + 1],
            g2 = dm[io + 2],
            g3 = dm[io + 3],
            g4 = dm[io + 4];
          const g5 = dm[io + 5],
            g6 = dm[io + 6],
            g7 = dm[io + 7],
            g8 = dm[io + 8],
            g9 = dm[io + 9];
          // the three output rows share the matrix: q = K p per row, and its p'q
          for (let c = 0; c < 3; c++) {
            const r = o + 4 * c,
              rzm = ozm + 4 * c,
              rzp = ozp + 4 * c;
            const rxm = oxm + 4 * c,
              rxp = oxp + 4 * c,
              rym = oym + 4 * c,
              ryp = oyp + 4 * c;
            const a0 = p[r],
              a1 = p[r + 1],
              a2 = p[r + 2],
              a3 = p[r + 3];
            const q0 =
              g0 * a0 +
              g1 * a1 +
              g2 * a2 +
              g3 * a3 -
              cz * (p[rzm] + p[rzp]) -
              lambda * (p[rxm] + p[rxp] + p[rym] + p[ryp]);
            const q1 =
              g1 * a0 +
              g4 * a1 +
              g5 * a2 +
              g6 * a3 -
              cz * (p[rzm + 1] + p[rzp + 1]) -
              lambda * (p[rxm + 1] + p[rxp + 1] + p[rym + 1] + p[ryp + 1]);
            const q2 =
              g2 * a0 +
              g5 * a1 +
              g7 * a2 +
              g8 * a3 -
              cz * (p[rzm + 2] + p[rzp + 2]) -
              lambda * (p[rxm + 2] + p[rxp + 2] + p[rym + 2] + p[ryp + 2]);
            const q3 =
              g3 * a0 +
              g6 * a1 +
              g8 * a2 +
              g9 * a3 -
              cz * (p[rzm + 3] + p[rzp + 3]) -
              lambda * (p[rxm + 3] + p[rxp + 3] + p[rym + 3] + p[ryp + 3]);
            q[r] = q0;
            q[r + 1] = q1;
            q[r + 2] = q2;
            q[r + 3] = q3;
            ch[6 + c] += a0 * q0 + a1 * q1 + a2 * q2 + a3 * q3;
          }
        }
      }
    }
  }

  /**
   * x += alpha p, r -= alpha q (alphas per output channel; skipped when all are 0), then
   * z = M^-1 r; writes r'z per output channel to ch[a..a+2].
   */
  private updatePrecond(al0: number, al1: number, al2: number, a: number): void {
    const dinv = this.dinv,
      x = this.x,
      r = this.r,
      z = this.z,
      p = this.p,
      q = this.q;
    const n12 = this.nodes * COEFFS;
    if (al0 !== 0 || al1 !== 0 || al2 !== 0) {
      for (let t = 0; t < n12; t += COEFFS) {
        x[t] += al0 * p[t];
        x[t + 1] += al0 * p[t + 1];
        x[t + 2] += al0 * p[t + 2];
        x[t + 3] += al0 * p[t + 3];
        x[t + 4] += al1 * p[t + 4];
        x[t + 5] += al1 * p[t + 5];
        x[t + 6] += al1 * p[t + 6];
        x[t + 7] += al1 * p[t + 7];
        x[t + 8] += al2 * p[t + 8];
        x[t + 9] += al2 * p[t + 9];
        x[t + 10] += al2 * p[t + 10];
        x[t + 11] += al2 * p[t + 11];
        r[t] -= al0 * q[t];
        r[t + 1] -= al0 * q[t + 1];
        r[t + 2] -= al0 * q[t + 2];
        r[t + 3] -= al0 * q[t + 3];
        r[t + 4] -= al1 * q[t + 4];
        r[t + 5] -= al1 * q[t + 5];
        r[t + 6] -= al1 * q[t + 6];
        r[t + 7] -= al1 * q[t + 7];
        r[t + 8] -= al2 * q[t + 8];
        r[t + 9] -= al2 * q[t + 9];
        r[t + 10] -= al2 * q[t + 10];
        r[t + 11] -= al2 * q[t + 11];
      }
    }
    let s0 = 0,
      s1 = 0,
      s2 = 0;
    for (let io = 0, t = 0; t < n12; io += 10, t += COEFFS) {
      const g0 = dinv[io],
        g1 = dinv[io + 1],
        g2 = dinv[io + 2],
        g3 = dinv[io + 3],
        g4 = dinv[io + 4];
      const g5 = dinv[io + 5],
        g6 = dinv[io + 6],
        g7 = dinv[io + 7],
        g8 = dinv[io + 8],
        g9 = dinv[io + 9];
      let r0 = r[t],
        r1 = r[t + 1],
        r2 = r[t + 2],
        r3 = r[t + 3];
      let z0 = g0 * r0 + g1 * r1 + g2 * r2 + g3 * r3,
        z1 = g1 * r0 + g4 * r1 + g5 * r2 + g6 * r3;
      let z2 = g2 * r0 + g5 * r1 + g7 * r2 + g8 * r3,
        z3 = g3 * r0 + g6 * r1 + g8 * r2 + g9 * r3;
      z[t] = z0;
      z[t + 1] = z1;
      z[t + 2] = z2;
      z[t + 3] = z3;
      s0 += r0 * z0 + r1 * z1 + r2 * z2 + r3 * z3;
      r0 = r[t + 4];
      r1 = r[t + 5];
      r2 = r[t + 6];
      r3 = r[t + 7];
      z0 = g0 * r0 + g1 * r1 + g2 * r2 + g3 * r3;
      z1 = g1 * r0 + g4 * r1 + g5 * r2 + g6 * r3;
      z2 = g2 * r0 + g5 * r1 + g7 * r2 + g8 * r3;
      z3 = g3 * r0 + g6 * r1 + g8 * r2 + g9 * r3;
      z[t + 4] = z0;
      z[t + 5] = z1;
      z[t + 6] = z2;
      z[t + 7] = z3;
      s1 += r0 * z0 + r1 * z1 + r2 * z2 + r3 * z3;
      r0 = r[t + 8];
      r1 = r[t + 9];
      r2 = r[t + 10];
      r3 = r[t + 11];
      z0 = g0 * r0 + g1 * r1 + g2 * r2 + g3 * r3;
      z1 = g1 * r0 + g4 * r1 + g5 * r2 + g6 * r3;
      z2 = g2 * r0 + g5 * r1 + g7 * r2 + g8 * r3;
      z3 = g3 * r0 + g6 * r1 + g8 * r2 + g9 * r3;
      z[t + 8] = z0;
      z[t + 9] = z1;
      z[t + 10] = z2;
      z[t + 11] = z3;
      s2 += r0 * z0 + r1 * z1 + r2 * z2 + r3 * z3;
    }
    const ch = this.ch;
    ch[a] = s0;
    ch[a + 1] = s1;
    ch[a + 2] = s2;
  }

  /** PCG on K x = b from the current x; one recursion per output channel. Returns iterations. */
  private solve(lambda: number, cz: number, maxIt: number, tol: number): number {
    const n12 = this.nodes * COEFFS;
    const x = this.x,
      b = this.b,
      r = this.r,
      z = this.z,
      p = this.p,
      q = this.q,
      ch = this.ch;
    // ch[0..2]: b'M^-1 b, ch[3..5]: r'z, ch[6..8]: p'q, ch[9..11]: the new r'z
    r.set(b);
    this.updatePrecond(0, 0, 0, 0);
    const bb = ch[0] + ch[1] + ch[2];
    if (!(bb > 0)) {
      x.fill(0);
      this.residual = 0;
      return 0;
    } // b = 0: the solution is 0
    this.applyK(x, q, lambda, cz);
    for (let t = 0; t < n12; t++) r[t] = b[t] - q[t];
    this.updatePrecond(0, 0, 0, 3);
    p.set(z);
    let rz = ch[3] + ch[4] + ch[5];
    const thresh = tol * tol * bb;
    let it = 0;
    while (it < maxIt && rz > thresh) {
      this.applyK(p, q, lambda, cz);
      // a channel whose recursion has converged (or broken down) is frozen: alpha = 0
      const al0 = ch[6] > 0 && ch[3] > 0 ? ch[3] / ch[6] : 0;
      const al1 = ch[7] > 0 && ch[4] > 0 ? ch[4] / ch[7] : 0;
      const al2 = ch[8] > 0 && ch[5] > 0 ? ch[5] / ch[8] : 0;
      this.updatePrecond(al0, al1, al2, 9);
      it++;
      const be0 = ch[3] > 0 ? Math.max(0, ch[9] / ch[3]) : 0;
      const be1 = ch[4] > 0 ? Math.max(0, ch[10] / ch[4]) : 0;
      const be2 = ch[5] > 0 ? Math.max(0, ch[11] / ch[5]) : 0;
      ch[3] = ch[9];
      ch[4] = ch[10];
      ch[5] = ch[11];
      rz = ch[3] + ch[4] + ch[5];
      if (!(rz > thresh)) break;
      for (let t = 0; t < n12; t += COEFFS) {
        p[t] = z[t] + be0 * p[t];
        p[t + 1] = z[t + 1] + be0 * p[t + 1];
        p[t + 2] = z[t + 2] + be0 * p[t + 2];
        p[t + 3] = z[t + 3] + be0 * p[t + 3];
        p[t + 4] = z[t + 4] + be1 * p[t + 4];
        p[t + 5] = z[t + 5] + be1 * p[t + 5];
        p[t + 6] = z[t + 6] + be1 * p[t + 6];
        p[t + 7] = z[t + 7] + be1 * p[t + 7];
        p[t + 8] = z[t + 8] + be2 * p[t + 8];
        p[t + 9] = z[t + 9] + be2 * p[t + 9];
        p[t + 10] = z[t + 10] + be2 * p[t + 10];
        p[t + 11] = z[t + 11] + be2 * p[t + 11];
      }
    }
    this.residual = Math.sqrt(Math.max(0, rz) / bb);
    return it;
  }

  /** sqrt(data energy / data mass) at the current solution, in levels per channel. */
  private dataRms(sumT2: number): number {
    const mom = this.mom,
      x = this.x;
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
