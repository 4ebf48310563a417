import { beforeAll, describe, expect, it } from 'vitest';
import { rgbToYuv } from '../../server/src/engine/image/color.js';
import { cloneFrame } from '../../server/src/engine/image/frame_convert.js';
import { COEFFS, createGrid, fillAffine, IDENTITY_AFFINE, type GridShape } from '../../server/src/engine/image/grid.js';
import { buildGuideLuts, guideZ } from '../../server/src/engine/image/guide.js';
import { GridFitter } from '../../server/src/engine/lowres/grid_fit.js';
import { invSym4 } from '../../server/src/engine/image/linalg3.js';
import { i420Planes, type I420Frame } from '../../server/src/engine/image/i420.js';
import { sliceReference } from '../../server/src/engine/image/slice_reference.js';
import { loadRgb, sharedPath } from '../support/media.js';

import {
  applyGlobal,
  expectAffineClose,
  H,
  loadTestFrames,
  lumaLuts,
  luts,
  maxNodeError,
  meanAbs,
  opts,
  psnr,
  shape,
  slice,
  TRUE_AFFINE,
  W,
  w,
  h,
} from '../support/grid_fit_cases.js';

let frame: I420Frame;
let content: Float32Array;

beforeAll(async () => {
  ({ frame, content } = await loadTestFrames());
});

describe('invSym4', () => {
  it('inverts SPD 4x4 matrices and refuses singular ones', () => {
    // A = B B^T + 0.1 I for a fixed B
    const B = [3, 1, -2, 0.5, 0.2, 4, 1, -1, 1, 0, 2, 0.3, -0.5, 2, 0.1, 1.5];
    const A = new Float64Array(16);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        let s = i === j ? 0.1 : 0;
        for (let k = 0; k < 4; k++) s += B[4 * i + k] * B[4 * j + k];
        A[4 * i + j] = s;
      }
    const up = [A[0], A[1], A[2], A[3], A[5], A[6], A[7], A[10], A[11], A[15]];
    const inv = new Float64Array(12);
    expect(invSym4(up, 0, inv, 2)).toBe(true);
    const U = [
      [0, 1, 2, 3],
      [1, 4, 5, 6],
      [2, 5, 7, 8],
      [3, 6, 8, 9],
    ]; // (i, j) -> upper-triangle index
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += A[4 * i + k] * inv[2 + U[k][j]];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    // rank 1 (a single colour's Gram) is not invertible
    const p = [0.3, 0.1, -0.2, 1];
    const r1 = [
      p[0] * p[0],
      p[0] * p[1],
      p[0] * p[2],
      p[0] * p[3],
      p[1] * p[1],
      p[1] * p[2],
      p[1] * p[3],
      p[2] * p[2],
      p[2] * p[3],
      p[3] * p[3],
    ];
    expect(invSym4(r1, 0, inv, 0)).toBe(false);
  });
});

describe('GridFitter', () => {
  it('solves exactly the documented energy (dense reference on a tiny grid)', async () => {
    // Small content from a real photo, a non-affine target, varying weights and mask.
    const s: GridShape = { nx: 3, ny: 3, nz: 4 };
    const l = buildGuideLuts({ nz: s.nz, splitByMask: true });
    const ww = 13,
      hh = 9,
      np = ww * hh;
    const { rgb } = await loadRgb(sharedPath('media/photos/skimage_astronaut.jpg'), ww, hh);
    const c = new Float32Array(np * 3),
      t = new Float32Array(np * 3),
      wt = new Float32Array(np),
      mk = new Uint8Array(np);
    for (let i = 0; i < np; i++) {
      rgbToYuv(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], c, 3 * i);
      const y = c[3 * i];
      t[3 * i] = y + 0.5 * Math.max(0, 120 - y) + 3 * Math.sin(i);
      t[3 * i + 1] = 0.8 * c[3 * i + 1] + 5 * Math.cos(i * 0.7);
      t[3 * i + 2] = c[3 * i + 2] + 0.1 * y - 10;
      wt[i] = i % 7 === 0 ? 0 : 0.25 + (0.75 * ((i * 37) % 11)) / 10;
      mk[i] = (i * 53) % 256;
    }
    const lambda = 0.02,
      lambdaZ = 0.3,
      mu = 0.003;
    const prior = [0.9, 0.01, 0, 5, 0, 1.1, 0.02, -3, 0.01, 0, 0.95, 2];
    const fitter = new GridFitter(s);
    const grid = createGrid(s);
    const st = fitter.fit(
      { width: ww, height: hh, content: c, target: t, weights: wt, mask: mk },
      { luts: l, lambda, lambdaZ, prior: mu, priorAffine: prior, iterations: 5000, tolerance: 1e-12 },
      grid,
    );
    expect(st.converged).toBe(true);

    // Dense normal equations of E in grid coefficients (gains weighted by S^2 = 255^2 in the
    // smoothness and prior terms), one 4N x 4N system shared by the 3 output rows.
    const N = s.nx * s.ny * s.nz,
      M = 4 * N,
      S2 = 255 * 255;
    const A = new Float64Array(M * M),
      rhs = new Float64Array(M * 3);
    const kappa = ((s.nx - 1) * (s.ny - 1)) / np;
    const sx = (s.nx - 1) / (ww - 1),
      sy = (s.ny - 1) / (hh - 1);
    const node = (i: number, j: number, k: number) => (j * s.nx + i) * s.nz + k;
    for (let y = 0; y < hh; y++)
      for (let x = 0; x < ww; x++) {
        const pi = y * ww + x;
        if (!(wt[pi] > 0)) continue;
        const Y = c[3 * pi];
        const z = guideZ(l, s.nz, Math.max(0, Math.min(255, Math.round(Y))), mk[pi]);
        const gx = x * sx,
          gy = y * sy;
        const ix = Math.min(s.nx - 2, Math.floor(gx)),
          iy = Math.min(s.ny - 2, Math.floor(gy)),
          iz = Math.min(s.nz - 2, Math.floor(z));
        const fx = gx - ix,
          fy = gy - iy,
          fz = z - iz;
        const p = [Y, c[3 * pi + 1], c[3 * pi + 2], 1];
        for (let dy = 0; dy < 2; dy++)
          for (let dx = 0; dx < 2; dx++)
            for (let dz = 0; dz < 2; dz++) {
              const tau = (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy) * (dz ? fz : 1 - fz);
              const n = node(ix + dx, iy + dy, iz + dz),
                f = wt[pi] * kappa * tau;
              for (let a = 0; a < 4; a++) {
                for (let b = 0; b < 4; b++) A[(4 * n + a) * M + 4 * n + b] += f * p[a] * p[b];
                for (let r = 0; r < 3; r++) rhs[(4 * n + a) * 3 + r] += f * p[a] * t[3 * pi + r];
              }
            }
      }
    const D = [S2, S2, S2, 1];
    for (let j = 0; j < s.ny; j++)
      for (let i = 0; i < s.nx; i++)
        for (let k = 0; k < s.nz; k++) {
          const n = node(i, j, k);
          for (let a = 0; a < 4; a++) {
            A[(4 * n + a) * M + 4 * n + a] += mu * D[a];
            for (let r = 0; r < 3; r++) rhs[(4 * n + a) * 3 + r] += mu * D[a] * prior[4 * r + a];
          }
          const nbrs: [number, number][] = [];
          if (i + 1 < s.nx) nbrs.push([node(i + 1, j, k), lambda]);
          if (j + 1 < s.ny) nbrs.push([node(i, j + 1, k), lambda]);
          if (k + 1 < s.nz) nbrs.push([node(i, j, k + 1), lambda * lambdaZ]);
          for (const [m, cw] of nbrs)
            for (let a = 0; a < 4; a++) {
              const e = cw * D[a],
                pa = 4 * n + a,
                qa = 4 * m + a;
              A[pa * M + pa] += e;
              A[qa * M + qa] += e;
              A[pa * M + qa] -= e;
              A[qa * M + pa] -= e;
            }
        }
    // Gaussian elimination with partial pivoting
    for (let col = 0; col < M; col++) {
      let piv = col;
      for (let r = col + 1; r < M; r++) if (Math.abs(A[r * M + col]) > Math.abs(A[piv * M + col])) piv = r;
      if (piv !== col) {
        for (let k = 0; k < M; k++) {
          const tmp = A[col * M + k];
          A[col * M + k] = A[piv * M + k];
          A[piv * M + k] = tmp;
        }
        for (let r = 0; r < 3; r++) {
          const tmp = rhs[col * 3 + r];
          rhs[col * 3 + r] = rhs[piv * 3 + r];
          rhs[piv * 3 + r] = tmp;
        }
      }
      for (let r = col + 1; r < M; r++) {
        const f = A[r * M + col] / A[col * M + col];
        if (f === 0) continue;
        for (let k = col; k < M; k++) A[r * M + k] -= f * A[col * M + k];
        for (let q = 0; q < 3; q++) rhs[r * 3 + q] -= f * rhs[col * 3 + q];
      }
    }
    const sol = new Float64Array(M * 3);
    for (let r = M - 1; r >= 0; r--)
      for (let q = 0; q < 3; q++) {
        let v = rhs[r * 3 + q];
        for (let k = r + 1; k < M; k++) v -= A[r * M + k] * sol[k * 3 + q];
        sol[r * 3 + q] = v / A[r * M + r];
      }
    let maxGain = 0,
      maxOff = 0;
    for (let n = 0; n < N; n++)
      for (let r = 0; r < 3; r++)
        for (let a = 0; a < 4; a++) {
          const d = Math.abs(grid[n * COEFFS + 4 * r + a] - sol[(4 * n + a) * 3 + r]);
          if (a === 3) maxOff = Math.max(maxOff, d);
          else maxGain = Math.max(maxGain, d);
        }
    expect(maxGain).toBeLessThan(1e-5);
    expect(maxOff).toBeLessThan(1e-3);
  });

  it('reproduces the content when target = content (identity)', () => {
    const fitter = new GridFitter(shape);
    const grid = createGrid(shape);
    const st = fitter.fit({ width: w, height: h, content, target: content }, opts(), grid);
    const out = slice(grid, content);
    console.log(`identity: ${st.iterations} it, ${st.ms.toFixed(1)} ms, PSNR Y ${psnr(out, content, 0).toFixed(1)} dB`);
    expect(meanAbs(out, content, 0)).toBeLessThan(0.5);
    expect(psnr(out, content, 0)).toBeGreaterThanOrEqual(40);
    expect(psnr(out, content)).toBeGreaterThanOrEqual(40);
    // also against a wrong prior: the data must win over the pull toward it
    const dark = [0.7, 0, 0, -10, 0, 0.9, 0, 3, 0, 0, 0.9, -3];
    fitter.fit({ width: w, height: h, content, target: content }, opts({ priorAffine: dark }), grid);
    const out2 = slice(grid, content);
    console.log(
      `identity vs a wrong prior: PSNR Y ${psnr(out2, content, 0).toFixed(1)} dB, all ${psnr(out2, content).toFixed(1)} dB`,
    );
    expect(meanAbs(out2, content, 0)).toBeLessThan(0.5);
    expect(psnr(out2, content, 0)).toBeGreaterThanOrEqual(40);
  });

  it('recovers a global affine colour transform (nodes, low-res and full-res slicing)', () => {
    const target = applyGlobal(content, TRUE_AFFINE);
    const fitter = new GridFitter(shape);
    const grid = createGrid(shape);
    // default prior = global least squares: must be the true matrix
    fitter.fit({ width: w, height: h, content, target }, opts(), grid);
    expectAffineClose(fitter.priorUsed, TRUE_AFFINE);
    expect(psnr(applyGlobal(content, fitter.priorUsed), target)).toBeGreaterThanOrEqual(50);
    // with the identity as prior the data alone has to carry every node with data
    const st = fitter.fit({ width: w, height: h, content, target }, opts({ priorAffine: IDENTITY_AFFINE }), grid);
    const out = slice(grid, content);
    const e = maxNodeError(fitter, grid, TRUE_AFFINE, 0.05);
    console.log(
      `global affine: ${st.iterations} it, PSNR Y ${psnr(out, target, 0).toFixed(1)} all ${psnr(out, target).toFixed(1)} dB; ` +
        `${e.nodes} nodes with mass >= 0.05: max |gain err| ${e.gain.toFixed(4)}, max |offset err| ${e.offset.toFixed(2)}`,
    );
    expect(psnr(out, target, 0)).toBeGreaterThanOrEqual(40);
    expect(psnr(out, target)).toBeGreaterThanOrEqual(40);
    // node coefficients themselves are not identifiable where a node's support spans a narrow
    // colour range (gain and offset trade off); what is sliced must be right
    expect(e.nodes).toBeGreaterThan(200);
    // full resolution through the reference slicer (8-bit I420) against the same matrix
    const sliced = cloneFrame(frame);
    sliceReference(sliced, grid, shape, luts, 255);
    const truth = cloneFrame(frame);
    sliceReference(truth, fillAffine(createGrid(shape), TRUE_AFFINE), shape, luts, 255);
    const pf = psnr(i420Planes(sliced).y, i420Planes(truth).y);
    console.log(`global affine at ${W}x${H}: PSNR Y ${pf.toFixed(1)} dB`);
    expect(pf).toBeGreaterThanOrEqual(40);
  });

  it('fits a spatially varying transform (warm left, cool right, smooth ramp)', () => {
    const target = new Float32Array(content.length);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = 3 * (y * w + x);
        const u = Math.min(1, Math.max(0, (x / (w - 1) - 0.3) / 0.4)),
          k = 1 - 2 * u * u * (3 - 2 * u); // +1 left, -1 right
        target[i] = content[i] * (1 + 0.05 * k) + 3 * k;
        target[i + 1] = content[i + 1] - 12 * k;
        target[i + 2] = content[i + 2] + 12 * k;
      }
    const fitter = new GridFitter(shape);
    const grid = createGrid(shape);
    const st = fitter.fit({ width: w, height: h, content, target }, opts(), grid);
    const out = slice(grid, content);
    const global = applyGlobal(content, fitter.priorUsed);
    console.log(
      `ramp: ${st.iterations} it, PSNR all ${psnr(out, target).toFixed(1)} Y ${psnr(out, target, 0).toFixed(1)} dB ` +
        `(best global affine ${psnr(global, target).toFixed(1)} dB)`,
    );
    expect(psnr(out, target)).toBeGreaterThanOrEqual(30);
    expect(psnr(out, target, 0)).toBeGreaterThanOrEqual(30);
    expect(psnr(out, target) - psnr(global, target)).toBeGreaterThan(10);
  });

  it('honours per-pixel weights: pixels with weight 0 do not pull the fit', () => {
    // right half: an absurd target with weight 0; left half: the true matrix
    const target = applyGlobal(content, TRUE_AFFINE);
    const weights = new Float32Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (x < w / 2) weights[i] = 1;
        else {
          target[3 * i] = 255 - content[3 * i];
          target[3 * i + 1] = 40;
        }
      }
    const fitter = new GridFitter(shape);
    const grid = createGrid(shape);
    const st = fitter.fit({ width: w, height: h, content, target, weights }, opts(), grid);
    const out = slice(grid, content);
    const left = (i: number) => i % w < w / 2;
    console.log(`weights: ${st.pixels} weighted pixels, left-half PSNR ${psnr(out, target, -1, left).toFixed(1)} dB`);
    expect(st.pixels).toBe((w / 2) * h);
    expect(psnr(out, target, -1, left)).toBeGreaterThanOrEqual(40);
    expectAffineClose(fitter.priorUsed, TRUE_AFFINE);
  });

  it('is edge-aware: a tone curve that lifts only the shadows is reproduced (the z axis)', () => {
    const T = 110;
    const target = new Float32Array(content);
    for (let i = 0; i < target.length; i += 3) target[i] = content[i] + 0.6 * Math.max(0, T - content[i]);
    let dark = 0;
    for (let i = 0; i < content.length; i += 3) if (content[i] < T - 20) dark++;
    expect(dark).toBeGreaterThan(w * h * 0.15); // the photo has shadows to lift
    const fitter = new GridFitter(shape);
    const grid = createGrid(shape);
    const st = fitter.fit({ width: w, height: h, content, target }, opts(), grid);
    const out = slice(grid, content);
    const global = applyGlobal(content, fitter.priorUsed);
    const bright = (i: number) => content[3 * i] > T + 30;
    let brightErr = 0,
      nb = 0;
    for (let i = 0; i < w * h; i++)
      if (bright(i)) {
        brightErr += Math.abs(out[3 * i] - content[3 * i]);
        nb++;
      }
    brightErr /= nb;
    console.log(
      `tone curve: ${st.iterations} it, PSNR Y ${psnr(out, target, 0).toFixed(1)} dB (best global affine ` +
        `${psnr(global, target, 0).toFixed(1)} dB); highlights moved by ${brightErr.toFixed(2)} levels on average`,
    );
    expect(psnr(out, target, 0)).toBeGreaterThanOrEqual(30);
    expect(psnr(out, target, 0) - psnr(global, target, 0)).toBeGreaterThan(8);
    expect(brightErr).toBeLessThan(1);
  });

  it('separates regions through the mask axis of the guide (splitByMask)', () => {
    // speaker = an ellipse (mask 255) keeps its colours, the background is darkened and
    // tinted; the boundary is hard, which only the mask half of the z axis can follow
    const mask = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const dx = (x - w / 2) / (w * 0.22),
          dy = (y - h / 2) / (h * 0.45);
        mask[y * w + x] = dx * dx + dy * dy < 1 ? 255 : 0;
      }
    const bg = [0.6, 0, 0, 5, 0, 0.8, 0, 10, 0, 0, 0.8, -6];
    const tBg = applyGlobal(content, bg);
    const target = new Float32Array(content);
    for (let i = 0; i < w * h; i++) if (!mask[i]) target.set(tBg.subarray(3 * i, 3 * i + 3), 3 * i);
    const fitter = new GridFitter(shape);
    const grid = createGrid(shape);
    fitter.fit({ width: w, height: h, content, target, mask }, opts(), grid);
    const withMask = psnr(slice(grid, content, w, h, shape, luts, mask), target);
    fitter.fit({ width: w, height: h, content, target }, opts({ luts: lumaLuts }), grid);
    const lumaOnly = psnr(slice(grid, content, w, h, shape, lumaLuts, 255), target);
    console.log(
      `mask split: PSNR ${withMask.toFixed(1)} dB with the mask in z, ${lumaOnly.toFixed(1)} dB with luma only`,
    );
    expect(withMask).toBeGreaterThanOrEqual(35);
    expect(withMask - lumaOnly).toBeGreaterThan(5);
  });
});
