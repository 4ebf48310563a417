// The evaluation metrics on cases with known answers.
import { describe, expect, it } from 'vitest';
import { rgbToI420 } from '../../server/src/engine/image/frame_convert.js';
import { i420Planes, type I420Frame } from '../../server/src/engine/image/i420.js';
import { constantFlow, estimateFlow, inFrame } from './flow.js';
import {
  boundaryDistance,
  gradSsim,
  haloPx,
  labStats,
  mean,
  ssim,
  styleDistance,
  tcc,
  warpingErrors,
  type LabStats,
} from './metrics.js';

const W = 96,
  H = 64;

/** A smooth random texture (sum of sinusoids), RGB, sampled with an offset. */
function texture(ox: number, oy: number, w = W, h = H): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const X = x + ox,
        Y = y + oy;
      const v =
        128 + 50 * Math.sin(X * 0.31 + Y * 0.07) + 40 * Math.cos(Y * 0.23 - X * 0.11) + 20 * Math.sin((X + Y) * 0.53);
      rgb.set(
        [v, 0.8 * v + 20, 255 - v].map((c) => Math.max(0, Math.min(255, Math.round(c)))),
        3 * (y * w + x),
      );
    }
  return rgb;
}

const frame = (ox: number, oy = 0): I420Frame => rgbToI420(texture(ox, oy), W, H);

function brighten(f: I420Frame, d: number): I420Frame {
  const out = { ...f, data: f.data.slice() };
  const y = i420Planes(out).y;
  for (let i = 0; i < y.length; i++) y[i] = Math.max(0, Math.min(255, y[i] + d));
  return out;
}

describe('temporal metrics', () => {
  it('identical frames: warping error 0 and TCC 1', () => {
    const f = frame(0),
      clip = [f, f, f, f];
    const flows = clip.map(() => constantFlow(W, H, 0, 0));
    const valid = flows.map((fl) => inFrame(fl));
    expect(mean(warpingErrors(clip, flows, valid))).toBe(0);
    expect(tcc(clip, clip)).toBeCloseTo(1, 10);
  });

  it('a global shift warped with its exact flow has warping error ≈ 0; the zero flow does not', () => {
    // frame t shows the texture moved 4 px left per frame: pixel x of t is x + 4 of t−1
    // (an even shift: I420 chroma is 2×2-subsampled, an odd one would resample it)
    const clip = [0, 4, 8, 12].map((o) => frame(o));
    const exact = clip.map(() => constantFlow(W, H, 4, 0)),
      zero = clip.map(() => constantFlow(W, H, 0, 0));
    const e = mean(
      warpingErrors(
        clip,
        exact,
        exact.map((f) => inFrame(f)),
      ),
    );
    const z = mean(
      warpingErrors(
        clip,
        zero,
        zero.map((f) => inFrame(f)),
      ),
    );
    expect(e).toBeLessThan(1e-4);
    expect(z).toBeGreaterThan(100 * Math.max(e, 1e-6));
  });

  it('a flickering sequence scores worse than a steady one (warping error and TCC)', () => {
    const base = [0, 2, 4, 6, 8, 10].map((o) => frame(o));
    const steady = base.map((f) => brighten(f, 10));
    const flicker = base.map((f, t) => brighten(f, t % 2 ? 25 : -5));
    const flows = base.map(() => constantFlow(W, H, 2, 0)),
      valid = flows.map((f) => inFrame(f));
    const wSteady = mean(warpingErrors(steady, flows, valid)),
      wFlicker = mean(warpingErrors(flicker, flows, valid));
    expect(wFlicker).toBeGreaterThan(5 * wSteady);
    expect(tcc(flicker, base)).toBeLessThan(tcc(steady, base) - 0.05);
  });

  it('the Lucas–Kanade estimate recovers a known shift and its warping error is ≈ 0', () => {
    const W2 = 160,
      H2 = 120;
    const a = rgbToI420(texture(0, 0, W2, H2), W2, H2),
      b = rgbToI420(texture(4, 2, W2, H2), W2, H2);
    const { flow, valid } = estimateFlow(i420Planes(a).y, i420Planes(b).y, W2, H2);
    const us: number[] = [],
      vs: number[] = [];
    for (let y = 16; y < H2 - 16; y++)
      for (let x = 16; x < W2 - 16; x++) {
        us.push(flow.u[y * W2 + x]);
        vs.push(flow.v[y * W2 + x]);
      }
    expect(Math.abs(mean(us) - 4)).toBeLessThan(0.15);
    expect(Math.abs(mean(vs) - 2)).toBeLessThan(0.15);
    expect(mean([...valid])).toBeGreaterThan(0.8);
    expect(mean(warpingErrors([a, b], [flow, flow], [valid, valid]))).toBeLessThan(2e-4);
  });
});

describe('photorealism and style metrics', () => {
  it('gradient SSIM is 1 for the input itself and lower for a blurred copy', () => {
    // a sharp random-noise image (blurring it changes its gradients a lot)
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const f = rgbToI420(
      Uint8Array.from({ length: W * H * 3 }, () => Math.round(255 * rnd())),
      W,
      H,
    );
    const blurred = { ...f, data: f.data.slice() };
    const y = i420Planes(blurred).y,
      src = i420Planes(f).y;
    for (let j = 1; j < H - 1; j++)
      for (let i = 1; i < W - 1; i++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += src[(j + dy) * W + i + dx];
        y[j * W + i] = Math.round(s / 9);
      }
    expect(gradSsim([f], [f], [0])).toBeCloseTo(1, 10);
    expect(gradSsim([blurred], [f], [0])).toBeLessThan(0.95);
  });

  it('SSIM of an image with itself is 1', () => {
    const a = Float32Array.from({ length: 64 * 64 }, (_, i) => (i * 37) % 255);
    expect(ssim(a, a, 64, 64)).toBeCloseTo(1, 10);
  });

  it('style distance: 0 for the same statistics, the mean offset for a pure shift', () => {
    const a: LabStats = { mean: [50, 10, -5], cov: [40, 5, 2, 5, 30, 1, 2, 1, 20], weight: 1 };
    expect(styleDistance(a, a)).toBeLessThan(1e-6);
    expect(styleDistance({ ...a, mean: [53, 14, -5] }, a)).toBeCloseTo(5, 6);
    // isotropic Gaussians: d = sqrt(3) * |σ1 − σ2|
    const s1: LabStats = { mean: [0, 0, 0], cov: [4, 0, 0, 0, 4, 0, 0, 0, 4], weight: 1 };
    const s2: LabStats = { mean: [0, 0, 0], cov: [9, 0, 0, 0, 9, 0, 0, 0, 9], weight: 1 };
    expect(styleDistance(s1, s2)).toBeCloseTo(Math.sqrt(3), 6);
    // Lab of pure white: L = 100, a = b = 0
    const white = labStats(new Uint8Array([255, 255, 255]));
    expect(white.mean[0]).toBeCloseTo(100, 1);
    expect(Math.abs(white.mean[1]) + Math.abs(white.mean[2])).toBeLessThan(0.1);
  });
});

describe('boundary halo', () => {
  it('measures the width of a band of wrong colour along an arbitrary mask edge', () => {
    const w = 128,
      h = 96;
    const mask = new Uint8Array(w * h);
    // an L-shaped speaker region
    for (let y = 20; y < 80; y++) for (let x = 30; x < 60; x++) mask[y * w + x] = 255;
    for (let y = 60; y < 80; y++) for (let x = 30; x < 100; x++) mask[y * w + x] = 255;
    const dist = boundaryDistance(mask, w, h);
    expect(dist[40 * w + 30]).toBe(0.5); // inside, on the edge: band 0
    expect(dist[40 * w + 29]).toBe(0.5); // outside, on the edge: band 0
    expect(dist[40 * w + 35]).toBeCloseTo(5.5, 5);
    const ideal = rgbToI420(new Uint8Array(w * h * 3).fill(120), w, h);
    expect(haloPx(ideal, ideal, dist).width).toBe(0);
    // the output is wrong by 40 levels of Y within 5 px of the edge (on both sides)
    const out = { ...ideal, data: ideal.data.slice() };
    const y = i420Planes(out).y;
    for (let i = 0; i < w * h; i++) if (dist[i] < 5) y[i] += 40;
    expect(haloPx(out, ideal, dist).width).toBe(5);
  });
});
