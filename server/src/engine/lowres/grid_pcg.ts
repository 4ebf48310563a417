// The grid fit's linear solver: preconditioned conjugate gradient on K x = b, where K is the
// grid fit's normal matrix (block-diagonal data + Laplacian couplings between 6-neighbours,
// grid_fit.ts), with the exact 4x4 block-diagonal (block Jacobi) preconditioner and one CG
// recursion per output row (the three rows share the matrix), in float64. It stops when
// sqrt(r^T M^-1 r / b^T M^-1 b) <= tolerance or after `maxIt` iterations. The caller fills
// dinv, dfull, b and the initial x; x holds the solution afterwards.
import { COEFFS, type GridShape } from '../image/grid.js';

export class BlockPcg {
  /** [node][10] inverse of the diagonal block D_n = G_n + (mu + sum_m c_nm) I (upper triangle) */
  readonly dinv: Float64Array;
  /** [node][10] G_n + (mu + 4 lambda + 2 lambda lambdaZ) I (see applyK) */
  readonly dfull: Float64Array;
  /** the unknowns (initial guess in, solution out) and the right-hand side, [node][12] */
  readonly x: Float64Array;
  readonly b: Float64Array;
  private readonly r: Float64Array;
  private readonly z: Float64Array;
  private readonly p: Float64Array;
  private readonly q: Float64Array;
  /** per-channel CG scalars */
  private readonly ch = new Float64Array(12);
  private readonly nodes: number;

  constructor(private readonly shape: GridShape) {
    this.nodes = shape.nx * shape.ny * shape.nz;
    const n12 = this.nodes * COEFFS;
    this.dinv = new Float64Array(this.nodes * 10);
    this.dfull = new Float64Array(this.nodes * 10);
    this.x = new Float64Array(n12);
    this.b = new Float64Array(n12);
    this.r = new Float64Array(n12);
    this.z = new Float64Array(n12);
    this.p = new Float64Array(n12);
    this.q = new Float64Array(n12);
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
          // out-of-range neighbours point at the node itself; dfull compensates (see GridFitter.fit)
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
  solve(lambda: number, cz: number, maxIt: number, tol: number): { iterations: number; residual: number } {
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
      return { iterations: 0, residual: 0 };
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
    return { iterations: it, residual: Math.sqrt(Math.max(0, rz) / bb) };
  }
}
