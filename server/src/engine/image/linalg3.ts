// Small dense linear algebra on 3x3 symmetric matrices (row-major Float64Array(9)).

/** Jacobi eigen-decomposition of a symmetric 3x3 matrix: a = V diag(w) V^T. */
export function eigSym3(a: ArrayLike<number>, w: Float64Array, v: Float64Array): void {
  const m = Float64Array.from(a as ArrayLike<number>);
  v.fill(0);
  v[0] = v[4] = v[8] = 1;
  for (let sweep = 0; sweep < 30; sweep++) {
    const off = m[1] * m[1] + m[2] * m[2] + m[5] * m[5];
    if (off < 1e-22 * (m[0] * m[0] + m[4] * m[4] + m[8] * m[8] + 1e-300)) break;
    for (const [p, q] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      const apq = m[3 * p + q];
      if (Math.abs(apq) < 1e-300) continue;
      const app = m[4 * p],
        aqq = m[4 * q];
      const theta = (aqq - app) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1),
        s = t * c;
      for (let k = 0; k < 3; k++) {
        // rotate columns p, q
        const mkp = m[3 * k + p],
          mkq = m[3 * k + q];
        m[3 * k + p] = c * mkp - s * mkq;
        m[3 * k + q] = s * mkp + c * mkq;
      }
      for (let k = 0; k < 3; k++) {
        // rotate rows p, q
        const mpk = m[3 * p + k],
          mqk = m[3 * q + k];
        m[3 * p + k] = c * mpk - s * mqk;
        m[3 * q + k] = s * mpk + c * mqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[3 * k + p],
          vkq = v[3 * k + q];
        v[3 * k + p] = c * vkp - s * vkq;
        v[3 * k + q] = s * vkp + c * vkq;
      }
    }
  }
  w[0] = m[0];
  w[1] = m[4];
  w[2] = m[8];
}

/** out = V diag(f(w)) V^T for a symmetric matrix a. */
export function symFn3(a: ArrayLike<number>, f: (x: number) => number, out = new Float64Array(9)): Float64Array {
  const w = new Float64Array(3),
    v = new Float64Array(9);
  eigSym3(a, w, v);
  const fw = [f(w[0]), f(w[1]), f(w[2])];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += v[3 * i + k] * fw[k] * v[3 * j + k];
      out[3 * i + j] = s;
    }
  return out;
}

export function mul3(a: ArrayLike<number>, b: ArrayLike<number>, out = new Float64Array(9)): Float64Array {
  const r = new Float64Array(9);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      r[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
    }
  out.set(r);
  return out;
}

export function mulVec3(a: ArrayLike<number>, x: ArrayLike<number>, out = new Float64Array(3)): Float64Array {
  const r0 = a[0] * x[0] + a[1] * x[1] + a[2] * x[2];
  const r1 = a[3] * x[0] + a[4] * x[1] + a[5] * x[2];
  const r2 = a[6] * x[0] + a[7] * x[1] + a[8] * x[2];
  out[0] = r0;
  out[1] = r1;
  out[2] = r2;
  return out;
}

/** Solves the 4x4 system a x = b for several right-hand sides (Gaussian elimination, partial pivoting). */
export function solve4(a: Float64Array, b: Float64Array, nrhs: number): boolean {
  // a: 16 (row-major), b: 4*nrhs (row-major, rows = unknowns)
  for (let c = 0; c < 4; c++) {
    let p = c,
      best = Math.abs(a[4 * c + c]);
    for (let r = c + 1; r < 4; r++) {
      const v = Math.abs(a[4 * r + c]);
      if (v > best) {
        best = v;
        p = r;
      }
    }
    if (best < 1e-12) return false;
    if (p !== c) {
      for (let k = 0; k < 4; k++) {
        const t = a[4 * c + k];
        a[4 * c + k] = a[4 * p + k];
        a[4 * p + k] = t;
      }
      for (let k = 0; k < nrhs; k++) {
        const t = b[nrhs * c + k];
        b[nrhs * c + k] = b[nrhs * p + k];
        b[nrhs * p + k] = t;
      }
    }
    const inv = 1 / a[4 * c + c];
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = a[4 * r + c] * inv;
      if (f === 0) continue;
      for (let k = c; k < 4; k++) a[4 * r + k] -= f * a[4 * c + k];
      for (let k = 0; k < nrhs; k++) b[nrhs * r + k] -= f * b[nrhs * c + k];
    }
  }
  for (let r = 0; r < 4; r++) {
    const inv = 1 / a[4 * r + r];
    for (let k = 0; k < nrhs; k++) b[nrhs * r + k] *= inv;
  }
  return true;
}

/**
 * Inverse of a symmetric positive definite 4x4 matrix given by its upper triangle
 * (00 01 02 03 11 12 13 22 23 33) at a[ao..ao+10), into out[oo..oo+10), by Cholesky. False when it is not (numerically) PD.
 */
export function invSym4(a: ArrayLike<number>, ao: number, out: Float64Array, oo: number): boolean {
  const tiny = 1e-300;
  const d0 = a[ao];
  if (!(d0 > tiny)) return false;
  const l00 = Math.sqrt(d0);
  const l10 = a[ao + 1] / l00,
    l20 = a[ao + 2] / l00,
    l30 = a[ao + 3] / l00;
  const d1 = a[ao + 4] - l10 * l10;
  if (!(d1 > tiny * 1e2 && d1 > 1e-15 * a[ao + 4])) return false;
  const l11 = Math.sqrt(d1);
  const l21 = (a[ao + 5] - l20 * l10) / l11,
    l31 = (a[ao + 6] - l30 * l10) / l11;
  const d2 = a[ao + 7] - l20 * l20 - l21 * l21;
  if (!(d2 > tiny * 1e2 && d2 > 1e-15 * a[ao + 7])) return false;
  const l22 = Math.sqrt(d2);
  const l32 = (a[ao + 8] - l30 * l20 - l31 * l21) / l22;
  const d3 = a[ao + 9] - l30 * l30 - l31 * l31 - l32 * l32;
  if (!(d3 > tiny * 1e2 && d3 > 1e-15 * a[ao + 9])) return false;
  const l33 = Math.sqrt(d3);
  // M = L^-1 (lower triangular)
  const m00 = 1 / l00,
    m11 = 1 / l11,
    m22 = 1 / l22,
    m33 = 1 / l33;
  const m10 = -l10 * m00 * m11;
  const m21 = -l21 * m11 * m22;
  const m20 = -(l20 * m00 + l21 * m10) * m22;
  const m32 = -l32 * m22 * m33;
  const m31 = -(l31 * m11 + l32 * m21) * m33;
  const m30 = -(l30 * m00 + l31 * m10 + l32 * m20) * m33;
  // A^-1 = M^T M
  out[oo] = m00 * m00 + m10 * m10 + m20 * m20 + m30 * m30;
  out[oo + 1] = m10 * m11 + m20 * m21 + m30 * m31;
  out[oo + 2] = m20 * m22 + m30 * m32;
  out[oo + 3] = m30 * m33;
  out[oo + 4] = m11 * m11 + m21 * m21 + m31 * m31;
  out[oo + 5] = m21 * m22 + m31 * m32;
  out[oo + 6] = m31 * m33;
  out[oo + 7] = m22 * m22 + m32 * m32;
  out[oo + 8] = m32 * m33;
  out[oo + 9] = m33 * m33;
  return true;
}
