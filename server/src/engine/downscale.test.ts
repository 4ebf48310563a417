import { describe, expect, it } from 'vitest';
import { downscaleI420, downscaleMask } from './downscale.js';

describe('downscaleI420', () => {
  it('averages footprints, and stays finite when the target is larger than the chroma planes', () => {
    for (const [W, H, w, h] of [[640, 480, 160, 120], [480, 270, 256, 144], [320, 240, 256, 192], [2, 2, 4, 4]]) {
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
