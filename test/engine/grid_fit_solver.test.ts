// The grid fit under hostile input (no weights, NaN, extreme looks) and its solver (warm
// starts, convergence, iteration budget). The fit's accuracy cases are in grid_fit.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { cloneFrame } from '../../server/src/engine/image/frame_convert.js';
import { COEFFS, createGrid, IDENTITY_AFFINE } from '../../server/src/engine/image/grid.js';
import { guideZ } from '../../server/src/engine/image/guide.js';
import { DEFAULT_FIT, GridFitter, type FitInput, type FitStats } from '../../server/src/engine/lowres/grid_fit.js';
import { type I420Frame } from '../../server/src/engine/image/i420.js';
import { sliceReference } from '../../server/src/engine/image/slice_reference.js';

import {
  allFinite,
  applyGlobal,
  H,
  loadTestFrames,
  luts,
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

describe('GridFitter', () => {
  describe('robustness', () => {
    const fitter = new GridFitter(shape);
    const grid = createGrid(shape);

    it('all-zero weights: the grid is the prior', () => {
      const target = applyGlobal(content, TRUE_AFFINE);
      const weights = new Float32Array(w * h);
      const st = fitter.fit({ width: w, height: h, content, target, weights }, opts(), grid);
      expect(st.pixels).toBe(0);
      expect(allFinite(grid)).toBe(true);
      for (let n = 0; n < grid.length; n += COEFFS)
        for (let c = 0; c < COEFFS; c++) expect(grid[n + c]).toBeCloseTo(IDENTITY_AFFINE[c], 5);
      const pr = [0.9, 0, 0, 4, 0, 1, 0, 2, 0, 0, 1, -2];
      fitter.fit({ width: w, height: h, content, target, weights }, opts({ priorAffine: pr }), grid);
      for (let n = 0; n < grid.length; n += COEFFS)
        for (let c = 0; c < COEFFS; c++) expect(grid[n + c]).toBeCloseTo(pr[c], 5);
    });

    it('a constant-colour image: exact on its colour, the prior elsewhere', () => {
      const c0 = [70, 12, -6],
        t0 = [95, 0, 10];
      const cc = new Float32Array(w * h * 3),
        tt = new Float32Array(w * h * 3);
      for (let i = 0; i < w * h; i++) {
        cc.set(c0, 3 * i);
        tt.set(t0, 3 * i);
      }
      const st = fitter.fit({ width: w, height: h, content: cc, target: tt }, opts(), grid);
      expect(allFinite(grid)).toBe(true);
      expect(allFinite(fitter.priorUsed)).toBe(true);
      // the (rank-1) global prior maps the colour onto the target...
      for (let r = 0; r < 3; r++) {
        const p = fitter.priorUsed;
        expect(p[4 * r] * c0[0] + p[4 * r + 1] * c0[1] + p[4 * r + 2] * c0[2] + p[4 * r + 3]).toBeCloseTo(t0[r], 1);
      }
      // ...and the sliced image is the target
      const out = slice(grid, cc);
      for (let r = 0; r < 3; r++) expect(meanAbs(out, tt, r)).toBeLessThan(0.1);
      // nodes far from the colour's z (no data) stay at the prior
      const zc = guideZ(luts, shape.nz, c0[0], 255);
      let far = 0;
      for (let n = 0; n < grid.length / COEFFS; n++) {
        if (Math.abs((n % shape.nz) - zc) < 4) continue;
        far++;
        for (let c = 0; c < COEFFS; c++)
          expect(Math.abs(grid[n * COEFFS + c] - fitter.priorUsed[c])).toBeLessThan((c & 3) === 3 ? 0.5 : 0.005);
      }
      expect(far).toBeGreaterThan(1000);
      expect(st.dataRms).toBeLessThan(0.1);
    });

    it('one-pixel-wide and one-pixel-tall images, and a single pixel', () => {
      for (const [ww, hh] of [
        [1, h],
        [w, 1],
        [1, 1],
      ]) {
        const c = new Float32Array(ww * hh * 3);
        for (let y = 0; y < hh; y++)
          for (let x = 0; x < ww; x++) c.set(content.subarray(3 * (y * w + x), 3 * (y * w + x) + 3), 3 * (y * ww + x));
        const t = applyGlobal(c, TRUE_AFFINE);
        const st = fitter.fit({ width: ww, height: hh, content: c, target: t }, opts(), grid);
        expect(allFinite(grid)).toBe(true);
        expect(st.pixels).toBe(ww * hh);
        const out = slice(grid, c, ww, hh);
        expect(psnr(out, t)).toBeGreaterThanOrEqual(40);
      }
    });

    it('a one-pixel-wide weighted column: far nodes stay at the prior', () => {
      const target = applyGlobal(content, TRUE_AFFINE);
      const weights = new Float32Array(w * h);
      const col = 100;
      for (let y = 0; y < h; y++) weights[y * w + col] = 1;
      const pr = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0];
      fitter.fit({ width: w, height: h, content, target, weights }, opts({ priorAffine: pr }), grid);
      expect(allFinite(grid)).toBe(true);
      const colOut = slice(grid, content);
      expect(psnr(colOut, target, -1, (i) => i % w === col)).toBeGreaterThanOrEqual(35);
      const gc = (col * (shape.nx - 1)) / (w - 1);
      let far = 0;
      for (let j = 0; j < shape.ny; j++)
        for (let i = 0; i < shape.nx; i++) {
          if (Math.abs(i - gc) < 6) continue;
          for (let k = 0; k < shape.nz; k++) {
            const o = ((j * shape.nx + i) * shape.nz + k) * COEFFS;
            far++;
            for (let c = 0; c < COEFFS; c++)
              expect(Math.abs(grid[o + c] - pr[c])).toBeLessThan((c & 3) === 3 ? 3 : 0.03);
          }
        }
      expect(far).toBeGreaterThan(1000);
    });

    it('skips non-finite pixels and ignores a non-finite warm start; no smoothing or prior is still finite', () => {
      const c = new Float32Array(content),
        t = applyGlobal(content, TRUE_AFFINE);
      c[3 * 10] = NaN;
      c[3 * 20 + 1] = Infinity;
      t[3 * 30 + 2] = -Infinity;
      const weights = new Float32Array(w * h).fill(1);
      weights[40] = NaN;
      weights[50] = -1;
      const bad = createGrid(shape).fill(NaN);
      const st = fitter.fit({ width: w, height: h, content: c, target: t, weights }, opts(), grid, bad);
      expect(st.skipped).toBe(3);
      expect(st.pixels).toBe(w * h - 5);
      expect(st.warm).toBe(false);
      expect(allFinite(grid)).toBe(true);
      expect(psnr(slice(grid, content), applyGlobal(content, TRUE_AFFINE))).toBeGreaterThanOrEqual(40);
      const st2 = fitter.fit({ width: w, height: h, content, target: t }, opts({ lambda: 0, prior: 0 }), grid);
      expect(allFinite(grid)).toBe(true);
      expect(Number.isFinite(st2.residual)).toBe(true);
    });

    it('rejects bad shapes and buffers', () => {
      expect(() => new GridFitter({ nx: 1, ny: 16, nz: 16 })).toThrow(RangeError);
      expect(() => fitter.fit({ width: w, height: h, content, target: content }, opts(), new Float32Array(12))).toThrow(
        RangeError,
      );
      expect(() => fitter.fit({ width: w, height: h + 1, content, target: content }, opts(), grid)).toThrow(RangeError);
    });
  });

  describe('solver', () => {
    /** The ramp + shadow-lift look with a little noise, on `c` (w x h). */
    function styled(c: Float32Array, seed: number): Float32Array {
      let s = seed;
      const rnd = () => {
        s = (s * 16807) % 2147483647;
        return s / 2147483647 - 0.5;
      };
      const t = new Float32Array(c.length);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const i = 3 * (y * w + x),
            k = 1 - (2 * x) / (w - 1),
            Y = c[i];
          t[i] = Y + 0.5 * Math.max(0, 110 - Y) + 4 * k + 6 * rnd();
          t[i + 1] = 0.9 * c[i + 1] - 8 * k;
          t[i + 2] = 1.1 * c[i + 2] + 8 * k;
        }
      return t;
    }
    /** The content moved one low-res pixel right and down (a 5-pixel motion at full resolution). */
    function shifted(c: Float32Array): Float32Array {
      const o = new Float32Array(c.length);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const sy = Math.max(0, y - 1),
            sx = Math.max(0, x - 1);
          o.set(c.subarray(3 * (sy * w + sx), 3 * (sy * w + sx) + 3), 3 * (y * w + x));
        }
      return o;
    }

    it('the default tolerance is close to the converged solution, at low and full resolution', () => {
      const target = styled(content, 7);
      const fitter = new GridFitter(shape);
      const exact = createGrid(shape),
        fast = createGrid(shape);
      const se = fitter.fit(
        { width: w, height: h, content, target },
        opts({ iterations: 3000, tolerance: 1e-9 }),
        exact,
      );
      expect(se.converged).toBe(true);
      const sf = fitter.fit({ width: w, height: h, content, target }, opts(), fast);
      const lo = psnr(slice(fast, content), slice(exact, content));
      const fe = cloneFrame(frame),
        ff = cloneFrame(frame);
      sliceReference(fe, exact, shape, luts, 255);
      sliceReference(ff, fast, shape, luts, 255);
      const hi = psnr(ff.data, fe.data);
      console.log(
        `tolerance ${DEFAULT_FIT.tolerance}: ${sf.iterations} it (converged to 1e-9 in ${se.iterations}); ` +
          `vs converged: ${lo.toFixed(1)} dB low-res, ${hi.toFixed(1)} dB at ${W}x${H}`,
      );
      expect(sf.converged).toBe(true);
      expect(lo).toBeGreaterThanOrEqual(50);
      expect(hi).toBeGreaterThanOrEqual(50);
    });

    it('a warm start from the previous solution cuts the iterations', () => {
      const target = styled(content, 11);
      const fitter = new GridFitter(shape);
      const g = createGrid(shape);
      const tol = 1e-5;
      const inp: FitInput = { width: w, height: h, content, target };
      const cold = fitter.fit(inp, opts({ iterations: 1000, tolerance: tol }), g);
      // 1. the same input again, from its own solution
      const again = fitter.fit(inp, opts({ iterations: 1000, tolerance: tol }), g, g);
      // 2. the next "frame": content moved, new noise; cold vs warm from the previous grid
      const c2 = shifted(content),
        t2 = styled(c2, 12);
      const inp2: FitInput = { width: w, height: h, content: c2, target: t2 };
      const g2c = createGrid(shape),
        g2w = new Float32Array(g);
      const tols = [1e-3, 1e-4, 1e-5];
      const nextCold = tols.map((tl) => fitter.fit(inp2, opts({ iterations: 1000, tolerance: tl }), g2c));
      const nextWarm = tols.map((tl) => fitter.fit(inp2, opts({ iterations: 1000, tolerance: tl }), g2w, g));
      console.log(
        `warm start: same input ${again.iterations} it vs ${cold.iterations} cold (tol ${tol}); next frame: ` +
          tols
            .map((tl, i) => `tol ${tl}: cold ${nextCold[i].iterations} it, warm ${nextWarm[i].iterations} it`)
            .join('; '),
      );
      expect(cold.converged && again.converged).toBe(true);
      expect(again.iterations).toBeLessThanOrEqual(cold.iterations / 3);
      expect(again.residual).toBeLessThanOrEqual(tol);
      for (let i = 0; i < tols.length; i++) {
        expect(nextWarm[i].converged && nextCold[i].converged).toBe(true);
        expect(nextWarm[i].iterations).toBeLessThan(nextCold[i].iterations);
      }
      // both reach the same grid
      expect(psnr(slice(g2w, c2), slice(g2c, c2))).toBeGreaterThanOrEqual(70);
    });

    it(`timing at ${w}x${h}, ${shape.nx}x${shape.ny}x${shape.nz} (printed, not asserted)`, () => {
      const fitter = new GridFitter(shape);
      const g = createGrid(shape),
        prev = createGrid(shape);
      const frames = [content, shifted(content), shifted(shifted(content))];
      const targets = frames.map((c, i) => styled(c, 20 + i));
      const cold: FitStats[] = [],
        warm: FitStats[] = [];
      fitter.fit({ width: w, height: h, content, target: targets[0] }, opts(), prev);
      for (let r = 0; r < 30; r++) {
        const f = r % 3,
          inp: FitInput = { width: w, height: h, content: frames[f], target: targets[f] };
        cold.push(fitter.fit(inp, opts(), g));
        warm.push(fitter.fit(inp, opts(), prev, prev));
      }
      const med = (a: FitStats[], k: 'ms' | 'splatMs' | 'iterations') =>
        a.map((s) => s[k]).sort((x, y) => x - y)[a.length >> 1];
      const max = (a: FitStats[], k: 'ms' | 'iterations') => Math.max(...a.map((s) => s[k]));
      console.log(
        `fit timing (λ ${DEFAULT_FIT.lambda}, μ ${DEFAULT_FIT.prior}, tol ${DEFAULT_FIT.tolerance}): ` +
          `cold median ${med(cold, 'ms').toFixed(1)} ms (max ${max(cold, 'ms').toFixed(1)}), ${med(cold, 'iterations')} it; ` +
          `warm median ${med(warm, 'ms').toFixed(1)} ms (max ${max(warm, 'ms').toFixed(1)}), ${med(warm, 'iterations')} it ` +
          `(max ${max(warm, 'iterations')}); splat ${med(cold, 'splatMs').toFixed(1)} ms`,
      );
      expect(cold.every((s) => s.converged)).toBe(true);
    });
  });
});
