// The WebAssembly kernels against their JavaScript references, on real photos at the camera
// sizes and at odd ones (a tail of fewer than 8 or 16 pixels per row, an odd last row), with
// the slicer using the same memory before and after: the speaker mask's full-resolution
// guided-filter pass (WasmKernels.guidedApply against GuidedUpsampler.apply without a kernel)
// the area-averaging downscales (against Downscaler without a kernel), and the mask's
// temporal smoothing and guided fit (against MaskSmoother and GuidedUpsampler.fit).
import { describe, expect, it } from 'vitest';
import { WasmKernels } from '../../server/src/engine/frame/wasm_kernels.js';
import { Downscaler, type LowRes } from '../../server/src/engine/image/downscale.js';
import { createGrid, DEFAULT_GRID, fillAffine, IDENTITY_AFFINE } from '../../server/src/engine/image/grid.js';
import { engineLuts } from '../../server/src/engine/image/guide.js';
import { i420Planes } from '../../server/src/engine/image/i420.js';
import { GuidedUpsampler } from '../../server/src/engine/segmentation/guided_upsample.js';
import { MaskSmoother } from '../../server/src/engine/segmentation/mask_smoother.js';
import { letterbox } from '../../server/src/engine/segmentation/segmenter.js';
import { webcamFrames } from '../support/clips.js';
import { loadI420, sharedPath } from '../support/media.js';

describe('WasmKernels.guidedApply', () => {
  it('writes the same mask as the JavaScript pass (within one code value)', async () => {
    const kernels = new WasmKernels();
    for (const [W, H] of [
      [1280, 720],
      [640, 480],
      [641, 361],
      [1920, 1080],
      [37, 23],
    ]) {
      const frame = await loadI420(sharedPath('media', 'photos', 'iot_headpose_male_f20.jpg'), W, H);
      const box = letterbox(W, H);
      const low = new Downscaler().i420(frame, box.w, box.h);
      // a soft mask: an ellipse around the middle of the frame
      const mask = new Float32Array(box.w * box.h);
      for (let y = 0; y < box.h; y++)
        for (let x = 0; x < box.w; x++) {
          const d = Math.hypot((x - box.w / 2) / (box.w / 4), (y - box.h * 0.6) / (box.h / 2.5));
          mask[y * box.w + x] = Math.min(1, Math.max(0, (1.2 - d) * 2));
        }
      const g = new GuidedUpsampler();
      g.fit(mask, low.yuv, 3, box.w, box.h);
      const Y = i420Planes(frame).y;
      const ref = new Uint8Array(W * H),
        out = new Uint8Array(W * H).fill(77);
      g.apply(Y, W, H, ref);
      // the slicer first (its layout), then the pass, then the slicer again
      const shape = DEFAULT_GRID,
        grid = fillAffine(createGrid(shape), IDENTITY_AFFINE);
      kernels.slice({ width: W, height: H, data: frame.data.slice() }, grid, shape, engineLuts(), { constant: 255 });
      g.apply(Y, W, H, out, kernels);
      let maxDiff = 0,
        differ = 0,
        speaker = 0;
      for (let i = 0; i < W * H; i++) {
        const d = Math.abs(out[i] - ref[i]);
        maxDiff = Math.max(maxDiff, d);
        differ += +(d > 0);
        speaker += +(ref[i] >= 128);
      }
      console.log(`${W}x${H}: max diff ${maxDiff}, ${differ} of ${W * H} px differ, ${speaker} px speaker`);
      expect(speaker).toBeGreaterThan(0.05 * W * H);
      expect(speaker).toBeLessThan(0.9 * W * H);
      expect(maxDiff, `${W}x${H}`).toBeLessThanOrEqual(1);
      expect(differ, `${W}x${H}`).toBeLessThan(0.01 * W * H);
      const sliced = { width: W, height: H, data: frame.data.slice() };
      kernels.slice(sliced, grid, shape, engineLuts(), { plane: out });
      // the identity grid leaves the frame as it was (the slicer's memory is intact)
      let sliceDiff = 0;
      for (let i = 0; i < W * H; i++) sliceDiff = Math.max(sliceDiff, Math.abs(sliced.data[i] - frame.data[i]));
      expect(sliceDiff).toBe(0);
    }
  }, 60_000);
});

describe('WasmKernels downscales', () => {
  it('give the JavaScript Downscaler results exactly (frames and mask planes, any size pair)', async () => {
    const kernels = new WasmKernels();
    const js = new Downscaler(),
      wasm = new Downscaler(kernels);
    for (const [W, H, w, h] of [
      [1280, 720, 256, 144],
      [1280, 720, 160, 90],
      [640, 480, 256, 192],
      [641, 361, 256, 144],
      [480, 270, 256, 144],
      [1920, 1080, 160, 90],
      [2, 2, 4, 4],
      [37, 23, 16, 16],
    ]) {
      const frame = await loadI420(sharedPath('media', 'photos', 'iot_asl_again_f30.jpg'), W, H);
      const a = js.i420(frame, w, h),
        b = wasm.i420(frame, w, h);
      const plane = i420Planes(frame).y.map((v) => (v > 120 ? 255 : v >> 1));
      const [ma, mb] = [js.mask(plane, W, H, w, h), wasm.mask(plane, W, H, w, h)];
      let differ = 0;
      for (let i = 0; i < a.yuv.length; i++) differ += +(a.yuv[i] !== b.yuv[i]);
      for (let i = 0; i < ma.length; i++) differ += +(ma[i] !== mb[i]);
      expect([b.yuv.length, mb.length]).toEqual([a.yuv.length, ma.length]);
      expect(differ, `${W}x${H} -> ${w}x${h}`).toBe(0);
    }
    // the slicer still slices correctly after the downscales used the memory
    const frame = await loadI420(sharedPath('media', 'photos', 'iot_asl_again_f30.jpg'), 1280, 720);
    const out = { width: 1280, height: 720, data: frame.data.slice() };
    kernels.slice(out, fillAffine(createGrid(DEFAULT_GRID), IDENTITY_AFFINE), DEFAULT_GRID, engineLuts(), {
      constant: 255,
    });
    expect(out.data.every((v, i) => v === frame.data[i])).toBe(true);
  }, 60_000);
});

describe('WasmKernels mask smoothing and guided fit', () => {
  it('give the JavaScript MaskSmoother and GuidedUpsampler.fit the same bits over a moving clip', async () => {
    const kernels = new WasmKernels();
    const frames = webcamFrames(640, 480, 10, 3);
    const box = letterbox(640, 480);
    const ds = new Downscaler();
    const [jsSm, wSm] = [new MaskSmoother(), new MaskSmoother({}, kernels)];
    const [jsG, wG] = [new GuidedUpsampler(), new GuidedUpsampler()];
    const raw = new Uint8Array(box.w * box.h);
    let low: LowRes | undefined;
    for (const [t, frame] of frames.entries()) {
      low = ds.i420(frame, box.w, box.h, low);
      // a soft blob that moves frame to frame (a model's mask, roughly)
      for (let y = 0; y < box.h; y++)
        for (let x = 0; x < box.w; x++) {
          const d = Math.hypot((x - box.w / 2 - 6 * t) / 50, (y - box.h * 0.6) / 70);
          raw[y * box.w + x] = Math.round(255 * Math.min(1, Math.max(0, (1.1 - d) * 3)));
        }
      const a = jsSm.update(raw, low.yuv, 3, box.w, box.h);
      const b = wSm.update(raw, low.yuv, 3, box.w, box.h);
      let differ = 0;
      for (let i = 0; i < a.length; i++) differ += +(a[i] !== b[i]);
      expect(differ, `smoothed mask, frame ${t}`).toBe(0);
      jsG.fit(a, low.yuv, 3, box.w, box.h);
      wG.fit(b, low.yuv, 3, box.w, box.h, kernels);
      const Y = i420Planes(frame).y,
        mj = new Uint8Array(640 * 480),
        mw = new Uint8Array(640 * 480);
      jsG.apply(Y, 640, 480, mj);
      wG.apply(Y, 640, 480, mw);
      let maskDiffer = 0;
      for (let i = 0; i < mj.length; i++) maskDiffer += +(mj[i] !== mw[i]);
      // the same coefficients: the JS pass gives the same full-resolution mask from both
      expect(maskDiffer, `guided fit, frame ${t}`).toBe(0);
    }
  }, 60_000);

  it('smooth the same bits at any size and dilation radius (odd widths, windows wider than the mask)', () => {
    const kernels = new WasmKernels();
    for (const [w, h, radius] of [
      [37, 23, 2],
      [5, 3, 4],
      [64, 9, 3],
      [6, 6, 0],
    ]) {
      const [js, wasm] = [new MaskSmoother({ radius }), new MaskSmoother({ radius }, kernels)];
      const raw = new Uint8Array(w * h),
        luma = new Float32Array(3 * w * h);
      for (let t = 0; t < 4; t++) {
        for (let i = 0; i < w * h; i++) {
          raw[i] = (i * 37 + t * 91) % 256;
          luma[3 * i] = 100 + (Math.imul(i + 7919 * t, 2654435761) >>> 28) * 0.8; // changes of 0-12: around the still and moving levels
        }
        const a = js.update(raw, luma, 3, w, h),
          b = wasm.update(raw, luma, 3, w, h);
        expect(
          a.every((v, i) => v === b[i]),
          `${w}x${h} r ${radius}, frame ${t}`,
        ).toBe(true);
      }
    }
  });
});
