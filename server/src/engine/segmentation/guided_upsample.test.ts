// Mask enhancement: a mask computed at low resolution (blurred by the model's coarse
// grid) upsampled with the guided filter follows the full-resolution frame's own edge;
// plain bilinear upsampling keeps the low-resolution blur.
import { describe, expect, it } from 'vitest';
import { bilinearUpsample, boxFilter, GuidedUpsampler } from './guided_upsample.js';

describe('GuidedUpsampler', () => {
  it('snaps a blurry low-res mask to the full-resolution edge', () => {
    const W = 640,
      H = 480,
      f = 5,
      w = W / f,
      h = H / f,
      edge = 331; // not on a low-res cell border
    const Y = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) Y[y * W + x] = x < edge ? 190 : 60;
    // low res: area-averaged luma, and the true mask area-averaged then blurred (a soft model edge)
    const lowY = new Float32Array(w * h),
      lowM = new Float32Array(w * h),
      tmp = new Float32Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let sy = 0,
          sm = 0;
        for (let j = 0; j < f; j++)
          for (let i = 0; i < f; i++) {
            const X = x * f + i;
            sy += Y[(y * f + j) * W + X];
            sm += X < edge ? 1 : 0;
          }
        lowY[y * w + x] = sy / (f * f);
        lowM[y * w + x] = sm / (f * f);
      }
    boxFilter(lowM, tmp, w, h, 1);
    const g = new GuidedUpsampler();
    g.fit(lowM, lowY, 1, w, h);
    const guided = new Uint8Array(W * H),
      bilinear = new Uint8Array(W * H);
    g.apply(Y, W, H, guided);
    bilinearUpsample(lowM, w, h, W, H, bilinear);
    const wrong = (m: Uint8Array) => {
      let n = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (m[y * W + x] >= 128 !== x < edge) n++;
      return n / H;
    };
    /** width of the 10..90 % transition on one row, pixels */
    const ramp = (m: Uint8Array) => {
      let n = 0;
      for (let x = 0; x < W; x++) {
        const v = m[240 * W + x];
        if (v > 25 && v < 230) n++;
      }
      return n;
    };
    console.log(
      `edge: wrong px/row guided ${wrong(guided)} bilinear ${wrong(bilinear)}; ramp guided ${ramp(guided)} px, bilinear ${ramp(bilinear)} px`,
    );
    expect(wrong(guided)).toBe(0);
    expect(ramp(guided)).toBeLessThanOrEqual(1);
    expect(ramp(bilinear)).toBeGreaterThan(5);
  });

  it('leaves a flat region flat', () => {
    const g = new GuidedUpsampler();
    const w = 16,
      h = 12,
      lowY = new Float32Array(w * h).fill(120),
      lowM = new Float32Array(w * h).fill(1);
    g.fit(lowM, lowY, 1, w, h);
    const out = new Uint8Array(64 * 48);
    g.apply(new Uint8Array(64 * 48).fill(120), 64, 48, out);
    expect(Math.min(...out)).toBe(255);
  });
});
