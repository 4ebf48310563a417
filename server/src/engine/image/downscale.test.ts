import { describe, expect, it } from 'vitest';
import { downscaleI420, downscaleMask, halveI420InPlace } from './downscale.js';
import { i420Planes, i420Size } from './i420.js';

describe('downscaleI420', () => {
  it('averages footprints, and stays finite when the target is larger than the chroma planes', () => {
    for (const [W, H, w, h] of [
      [640, 480, 160, 120],
      [480, 270, 256, 144],
      [320, 240, 256, 192],
      [2, 2, 4, 4],
    ]) {
      const data = new Uint8Array(W * H + 2 * ((W + 1) >> 1) * ((H + 1) >> 1));
      for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
      const low = downscaleI420({ width: W, height: H, data }, w, h);
      expect(low.yuv.every(Number.isFinite)).toBe(true);
      expect(low.yuv.every((v, i) => (i % 3 ? v >= -128 && v <= 127 : v >= 0 && v <= 255))).toBe(true);
    }
    // a constant frame stays constant
    const flat = new Uint8Array(640 * 480 * 1.5).fill(100);
    const low = downscaleI420({ width: 640, height: 480, data: flat }, 256, 192);
    expect(low.yuv.reduce((m, v, i) => Math.max(m, Math.abs(v - (i % 3 ? -28 : 100))), 0)).toBeLessThan(1e-4);
  });

  it('downscales a mask plane by area', () => {
    const m = new Uint8Array(8 * 4);
    for (let y = 0; y < 4; y++) for (let x = 4; x < 8; x++) m[y * 8 + x] = 255;
    expect([...downscaleMask(m, 8, 4, 2, 1)]).toEqual([0, 255]);
    expect([...downscaleMask(m, 8, 4, 16, 8)].every((v) => v === 0 || v === 255)).toBe(true);
  });
});

describe('halveI420InPlace', () => {
  it('matches an out-of-place 2x2 box filter, for even and odd sizes', () => {
    for (const [W, H] of [
      [640, 480],
      [7, 5],
      [2, 2],
    ]) {
      const data = new Uint8Array(i420Size(W, H));
      for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 5)) % 256;
      const src = i420Planes({ width: W, height: H, data: data.slice() });
      const half = halveI420InPlace({ width: W, height: H, data });
      const w = W >> 1,
        h = H >> 1;
      expect([half.width, half.height]).toEqual([w, h]);
      expect(half.data.buffer).toBe(data.buffer);
      const out = i420Planes(half);
      const box = (p: Uint8Array, PW: number, PH: number, x: number, y: number) => {
        const xs = [Math.min(2 * x, PW - 1), Math.min(2 * x + 1, PW - 1)],
          ys = [Math.min(2 * y, PH - 1), Math.min(2 * y + 1, PH - 1)];
        return (p[ys[0] * PW + xs[0]] + p[ys[0] * PW + xs[1]] + p[ys[1] * PW + xs[0]] + p[ys[1] * PW + xs[1]] + 2) >> 2;
      };
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(out.y[y * w + x]).toBe(box(src.y, W, H, x, y));
      for (let y = 0; y < out.chromaHeight; y++)
        for (let x = 0; x < out.chromaWidth; x++) {
          expect(out.u[y * out.chromaWidth + x]).toBe(box(src.u, src.chromaWidth, src.chromaHeight, x, y));
          expect(out.v[y * out.chromaWidth + x]).toBe(box(src.v, src.chromaWidth, src.chromaHeight, x, y));
        }
    }
  });
});
