// Acceptance tests of the localized stylizer on real photos, with the real networks and the
// real low-res worker (neural tier unless said otherwise): identity, colour transfer per
// region, kept structure, no halo at a mask boundary, TC-AdaIN stability on a pan, smooth
// style transitions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rgbToI420 } from '../../server/src/engine/image/frame_convert.js';
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import type { SessionEngineOptions } from '../../server/src/engine/frame/session_engine.js';
import {
  engineHarness,
  localizedLook,
  lookTransition,
  runFrames as run,
  type Harness,
} from '../support/engine_harness.js';
import { discMask, psnrI420, warpingError } from '../support/image_metrics.js';
import { loadRgb, sharedPath } from '../support/media.js';

let neural: Harness;
const W = 1280,
  H = 720;
let portrait: I420Frame;

beforeAll(async () => {
  neural = await engineHarness('neural');
  portrait = rgbToI420((await loadRgb(sharedPath('media', 'photos', 'iot_asl_again_f30.jpg'), W, H)).rgb, W, H);
}, 120_000);

afterAll(async () => {
  await neural?.close();
});

const FIXED: Partial<SessionEngineOptions> = { fixedR: 1 };

describe('localized stylizer (neural tier, 720p)', () => {
  it('with the content itself as the style, gives the input back (PSNR >= 35 dB)', async () => {
    const img = await loadRgb(sharedPath('media', 'photos', 'kde_bythewater.jpg'), W, H);
    const src = rgbToI420(img.rgb, W, H);
    neural.addStyle('self', img.rgb, W, H);
    const out = (await run(neural.open('self', 'self', FIXED), src, 6)).at(-1)!;
    const p = psnrI420(out, src);
    console.log(`identity: PSNR ${p.toFixed(1)} dB`);
    expect(p).toBeGreaterThanOrEqual(35);
  }, 120_000);

  it('moves each region at least halfway to its style, keeps structure, and leaves no halo at the mask edge', async () => {
    const { mask, dist } = discMask(W, H, 640, 380, 260);
    const look = await localizedLook(neural, portrait, mask, dist);
    console.log(look.text);
    for (const r of look.regions) expect(r.after).toBeLessThanOrEqual(0.5 * r.before);
    expect(look.ssim).toBeGreaterThanOrEqual(0.9);
    expect(look.halo).toBeLessThanOrEqual(4);
  }, 240_000);

  it('TC-AdaIN lowers the warping error on a pan of a photo', async () => {
    const big = await loadRgb(sharedPath('media', 'photos', 'kde_path.jpg'), 1280, 720);
    const fw = 640,
      fh = 360,
      shift = 12,
      frames = 16;
    const pan: I420Frame[] = [];
    for (let t = 0; t < frames; t++) {
      const rgb = new Uint8Array(fw * fh * 3);
      for (let y = 0; y < fh; y++)
        rgb.set(
          big.rgb.subarray(3 * ((y + 180) * 1280 + t * shift), 3 * ((y + 180) * 1280 + t * shift + fw)),
          3 * y * fw,
        );
      pan.push(rgbToI420(rgb, fw, fh));
    }
    const errs: number[] = [];
    for (const tcAdainAlpha of [0, 0.5]) {
      const outs = await run(neural.open('fauve', 'fauve', { fixedR: 1, tcAdainAlpha }), pan, frames);
      errs.push(warpingError(outs.slice(2), shift));
    }
    console.log(
      `warping error: without TC ${errs[0].toFixed(3)}, with TC (alpha 0.5) ${errs[1].toFixed(3)}; input ${warpingError(pan, shift).toFixed(3)}`,
    );
    expect(errs[1]).toBeLessThan(errs[0]);
  }, 240_000);

  it('switches looks within 2 frames and interpolates smoothly (no jump larger than the transition step)', async () => {
    const t = await lookTransition(neural, portrait);
    console.log(t.text);
    expect(t.total).toBeGreaterThan(10);
    expect(t.early).toBeGreaterThan(0.05 * t.step); // visible change within 2 frames of the request
    expect(t.maxJump).toBeLessThanOrEqual(2 * t.step); // smoothstep's steepest step is 1.5x the uniform one
  }, 240_000);
});
