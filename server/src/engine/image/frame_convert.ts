// Whole-frame conversions between interleaved RGB (u8) and I420 (BT.601 limited range).
// Used off the frame path: style images, tests, benchmarks and the evaluation harness.
import { rgbToYuv, yuvToRgb } from './color.js';
import { i420Planes, i420Size, type I420Frame } from './i420.js';

export function rgbToI420(rgb: Uint8Array, width: number, height: number, channels = 3): I420Frame {
  const frame: I420Frame = { width, height, data: new Uint8Array(i420Size(width, height)) };
  const p = i420Planes(frame);
  const t = new Float32Array(3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      rgbToYuv(rgb[i], rgb[i + 1], rgb[i + 2], t);
      p.y[y * width + x] = Math.max(0, Math.min(255, Math.round(t[0])));
    }
  for (let cy = 0; cy < p.chromaHeight; cy++)
    for (let cx = 0; cx < p.chromaWidth; cx++) {
      let su = 0,
        sv = 0,
        n = 0;
      for (let dy = 0; dy < 2; dy++)
        for (let dx = 0; dx < 2; dx++) {
          const x = 2 * cx + dx,
            y = 2 * cy + dy;
          if (x >= width || y >= height) continue;
          const i = (y * width + x) * channels;
          rgbToYuv(rgb[i], rgb[i + 1], rgb[i + 2], t);
          su += t[1];
          sv += t[2];
          n++;
        }
      p.u[cy * p.chromaWidth + cx] = Math.max(0, Math.min(255, Math.round(128 + su / n)));
      p.v[cy * p.chromaWidth + cx] = Math.max(0, Math.min(255, Math.round(128 + sv / n)));
    }
  return frame;
}

export function i420ToRgb(frame: I420Frame, out = new Uint8Array(frame.width * frame.height * 3)): Uint8Array {
  const p = i420Planes(frame);
  const t = new Float32Array(3);
  for (let y = 0; y < frame.height; y++)
    for (let x = 0; x < frame.width; x++) {
      const ci = (y >> 1) * p.chromaWidth + (x >> 1);
      yuvToRgb(p.y[y * frame.width + x], p.u[ci] - 128, p.v[ci] - 128, t);
      const o = (y * frame.width + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = t[c] < 0 ? 0 : t[c] > 255 ? 255 : Math.round(t[c]);
    }
  return out;
}

export function cloneFrame(f: I420Frame): I420Frame {
  return { width: f.width, height: f.height, data: f.data.slice() };
}
