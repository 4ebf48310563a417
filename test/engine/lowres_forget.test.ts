// A session that ends leaves nothing on its engine thread's low-res worker (its warm-start grids
// and TC-AdaIN statistics, ~0.4 MiB): the 2-hour soak saw each low-res worker's array buffers
// step up with every session replaced. The worker says how many sessions it holds state for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneFrame, rgbToI420 } from '../../server/src/engine/image/frame_convert.js';
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import type { LowResRequest } from '../../server/src/engine/pool/thread_messages.js';
import { engineHarness, settle, type Harness } from '../support/engine_harness.js';
import { loadRgb, sharedPath } from '../support/media.js';

const W = 320,
  H = 240,
  LW = 128,
  LH = 96;
let h: Harness;
let frame: I420Frame;

beforeAll(async () => {
  h = await engineHarness('neural');
  frame = rgbToI420((await loadRgb(sharedPath('media', 'photos', 'iot_asl_again_f30.jpg'), W, H)).rgb, W, H);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/** A low-res request of session `sid` (a grey ramp, the speaker in the left half). */
function request(sid: string): LowResRequest {
  const n = LW * LH,
    yuv = new Float32Array(3 * n),
    mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    yuv[3 * i] = 40 + (160 * (i % LW)) / LW;
    mask[i] = i % LW < LW / 2 ? 255 : 0;
  }
  return {
    sid,
    width: LW,
    height: LH,
    yuv,
    mask,
    fg: 'evening-glow',
    bg: 'darkest-hour',
    tier: 'neural',
    tcAdainAlpha: 0.5,
    learnedVariant: 'main',
    maskEnhancement: false,
  };
}

describe('low-res worker session state', () => {
  it('is forgotten when a session ends, also while its updates wait their turn', async () => {
    const lowres = h.ctx.lowres!;
    // sessions that run, update and close, as the server's do
    for (let k = 0; k < 4; k++) {
      const s = h.open('evening-glow', 'darkest-hour', { fixedR: 1 });
      for (let f = 0; f < 3; f++) {
        s.processFrame(cloneFrame(frame), f * 33);
        await settle(s);
      }
      s.close();
    }
    expect((await lowres.update(request('probe'))).sessions).toBe(1);
    // a session that ends while its update waits behind another session's
    const busy = lowres.update(request('busy'));
    const queued = lowres.update(request('gone'));
    lowres.forgetSession('gone');
    lowres.forgetSession('probe');
    await Promise.all([busy, queued]);
    const after = await lowres.update(request('probe'));
    expect(after.sessions).toBe(2); // busy and probe, not gone
  }, 120_000);
});
