// A session that ends leaves nothing on its engine thread's low-res worker (its warm-start grids
// and TC-AdaIN statistics, ~0.4 MiB): the 2-hour soak saw each low-res worker's array buffers
// step up with every session replaced. The worker says how many sessions it holds state for.
// An update whose result would be dropped (the session chose other looks, or ended) stops at its
// next step, or is skipped while it waits its turn: it would hold up the new looks' update and
// take the CPU their first frames need.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneFrame, rgbToI420 } from '../../server/src/engine/image/frame_convert.js';
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import { LowResCancelled } from '../../server/src/engine/pool/engine_error.js';
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
function request(sid: string, lw = LW, lh = LH): LowResRequest {
  const n = lw * lh,
    yuv = new Float32Array(3 * n),
    mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    yuv[3 * i] = 40 + (160 * (i % lw)) / lw;
    mask[i] = i % lw < lw / 2 ? 255 : 0;
  }
  return {
    sid,
    width: lw,
    height: lh,
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

/** How `p` ends: 'cancelled', 'done' or the error's message. */
function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'done',
    (e: unknown) => (e instanceof LowResCancelled ? 'cancelled' : String(e)),
  );
}

describe('low-res updates whose results would be dropped', () => {
  it('stop at their next step, or are skipped while they wait their turn', async () => {
    const lowres = h.ctx.lowres!;
    const full = async () => {
      const t = performance.now();
      await lowres.update(request('timing', 256, 192));
      return performance.now() - t;
    };
    await full();
    const fullMs = await full();
    // running: stopped after the encoder
    const running = new AbortController();
    let t = performance.now();
    const stopped = outcome(lowres.update(request('running', 256, 192), running.signal));
    setTimeout(() => running.abort(), 1);
    expect(await stopped).toBe('cancelled');
    const stoppedMs = performance.now() - t;
    // waiting behind another session's: skipped
    const waiting = new AbortController();
    t = performance.now();
    const busy = outcome(lowres.update(request('busy', 256, 192)));
    const skipped = outcome(lowres.update(request('waiting', 256, 192), waiting.signal));
    waiting.abort();
    expect(await busy).toBe('done');
    expect(await skipped).toBe('cancelled');
    const bothMs = performance.now() - t;
    console.log(
      `256x192 neural update: ${fullMs.toFixed(0)} ms whole, ${stoppedMs.toFixed(0)} ms when stopped while it ran, ` +
        `${bothMs.toFixed(0)} ms for one update and one skipped behind it`,
    );
    // an abort that comes after the result changes nothing
    const late = new AbortController();
    const done = lowres.update(request('late', 256, 192), late.signal);
    expect((await done).grid.length).toBeGreaterThan(0);
    late.abort();
    // the worker still serves
    expect(await outcome(lowres.update(request('after')))).toBe('done');
  }, 120_000);

  it('do not count as failures: a session changing looks while its updates run keeps its tier', async () => {
    const s = h.open('evening-glow', 'darkest-hour', { fixedR: 1 });
    const looks = ['blue-hour', 'evening-glow', 'darkest-hour'];
    for (let f = 0; f < 12; f++) {
      s.processFrame(cloneFrame(frame), f * 33);
      // a new pair while the update this frame started runs
      if (f % 3 === 0) s.setStyle(looks[(f / 3) % 3], 'natural', 0, f * 33);
      await new Promise((r) => setTimeout(r, 5));
    }
    await settle(s);
    expect(s.tier).toBe('neural');
    s.close();
  }, 120_000);
});
