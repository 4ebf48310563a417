// Motion-gated smoothing: on a still picture a flickering mask is damped; where the
// picture moves, the new mask is taken at once (no lag).
import { describe, expect, it } from 'vitest';
import { MaskSmoother } from './mask_smoother.js';

const W = 32,
  H = 16,
  N = W * H;

/** A deterministic noise source (LCG), so the test cannot pass or fail by chance. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('MaskSmoother', () => {
  it('damps flicker where the picture is still, passes motion through at once', () => {
    const sm = new MaskSmoother();
    const rand = rng(7);
    const luma = new Float32Array(N),
      raw = new Uint8Array(N);
    let flips = 0,
      lastBin: number[] = [];
    for (let f = 0; f < 40; f++) {
      // still picture with +-1 level of noise; the mask's edge column flickers 0.39 <-> 0.71
      for (let i = 0; i < N; i++) luma[i] = 100 + (rand() * 2 - 1);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) raw[y * W + x] = x < 15 ? 255 : x === 15 ? (f % 2 ? 180 : 100) : 0;
      const out = sm.update(raw, luma, 1, W, H);
      const bin = Array.from(out, (v) => (v >= 0.5 ? 1 : 0));
      if (f > 5) flips += bin.reduce<number>((n, b, i) => n + (b !== lastBin[i] ? 1 : 0), 0);
      lastBin = bin;
    }
    // the raw mask flips one 16-pixel column across 0.5 every frame; smoothed, it settles
    expect(flips).toBe(0);

    // now the picture changes (something moved) and the mask jumps: taken in one frame
    for (let i = 0; i < N; i++) luma[i] = i % W < 8 ? 200 : 100;
    for (let i = 0; i < N; i++) raw[i] = i % W < 8 ? 255 : 0;
    const out = sm.update(raw, luma, 1, W, H);
    for (let y = 0; y < H; y++) for (const x of [2, 5]) expect(out[y * W + x]).toBeCloseTo(1, 5);
    // where it moved (x 8..15: luma unchanged but within the dilated motion band), taken too
    expect(out[4 * W + 9]).toBeCloseTo(0, 5);
  });

  it('starts from the first mask and restarts on a size change', () => {
    const sm = new MaskSmoother();
    const raw = new Uint8Array(N).fill(255),
      luma = new Float32Array(N).fill(50);
    expect(sm.update(raw, luma, 1, W, H)[0]).toBe(1);
    const small = new Uint8Array(8 * 8),
      l2 = new Float32Array(64).fill(50);
    expect(sm.update(small, l2, 1, 8, 8)[0]).toBe(0);
  });
});
