import { describe, expect, it } from 'vitest';
import { laplacian, reconstruct } from './pyramid.js';

describe('Laplacian pyramid', () => {
  it('reconstructs its input exactly', () => {
    const w = 37,
      h = 22,
      data = new Float32Array(w * h);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 50 + (i % w) * 2;
    const p = laplacian({ width: w, height: h, data }, 3);
    expect(p.bands.map((b) => [b.width, b.height])).toEqual([
      [37, 22],
      [19, 11],
      [10, 6],
    ]);
    const r = reconstruct(p);
    let max = 0;
    for (let i = 0; i < data.length; i++) max = Math.max(max, Math.abs(r.data[i] - data[i]));
    expect(max).toBeLessThan(1e-3);
  });
});
