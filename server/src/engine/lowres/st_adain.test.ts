import { describe, expect, it } from 'vitest';
import { adain, blendChannelStats, channelStats, maskedStats } from './st_adain.js';

describe('ST-AdaIN', () => {
  it('masked statistics ignore the other region', () => {
    // channel 0: left half 10, right half 100; mask selects the left half
    const hw = 8,
      f = new Float32Array([10, 10, 10, 10, 100, 100, 100, 100]);
    const m = new Float32Array([1, 1, 1, 1, 0, 0, 0, 0]);
    const s = channelStats(1);
    expect(maskedStats(f, 1, hw, m, s)).toBe(4);
    expect(s.mean[0]).toBeCloseTo(10, 5);
    expect(s.std[0]).toBeLessThan(0.01);
    maskedStats(f, 1, hw, null, s);
    expect(s.mean[0]).toBeCloseTo(55, 5);
  });

  it('AdaIN gives the target statistics; TC blends with the previous ones', () => {
    const hw = 1000,
      f = new Float32Array(hw);
    for (let i = 0; i < hw; i++) f[i] = Math.sin(i) * 3 + 7;
    const c = channelStats(1),
      st = { mean: Float32Array.of(-2), std: Float32Array.of(0.5) };
    maskedStats(f, 1, hw, null, c);
    const out = new Float32Array(hw);
    adain(f, 1, hw, c, st, out);
    const r = channelStats(1);
    maskedStats(out, 1, hw, null, r);
    expect(r.mean[0]).toBeCloseTo(-2, 3);
    expect(r.std[0]).toBeCloseTo(0.5, 2);
    const prev = { mean: Float32Array.of(0), std: Float32Array.of(1) },
      b = channelStats(1);
    blendChannelStats(st, prev, 0.25, b);
    expect(b.mean[0]).toBeCloseTo(-1.5, 5);
    expect(b.std[0]).toBeCloseTo(0.625, 5);
    blendChannelStats(st, prev, 0, b);
    expect(b.mean[0]).toBeCloseTo(-2, 5);
  });
});
