// The learned tier (models/gridnet*.onnx, trained by models/gridnet/): the exported networks
// against the torch outputs the export wrote (models/fixtures/gridnet, checked by
// models/gridnet/check_onnx.mjs in onnxruntime-node), and the tier in the engine on a real
// portrait: `auto` starts there, each region moves toward its own style, the picture keeps its
// structure and the mask edge has no halo; the first grid and a look change cross-fade, and a
// scene cut drops the old scene's statistics at once.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_GRID_FADE_MS } from '../../server/src/engine/frame/session_engine.js';
import { rgbToI420 } from '../../server/src/engine/image/frame_convert.js';
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import {
  engineHarness,
  localizedLook,
  lookTransition,
  runFrames,
  SETTLED_FRAMES,
  type Harness,
} from '../support/engine_harness.js';
import { discMask, meanYuv } from '../support/image_metrics.js';
import { loadRgb, ROOT, sharedPath } from '../support/media.js';

let auto: Harness;
const W = 1280,
  H = 720;
let portrait: I420Frame, landscape: I420Frame;

beforeAll(async () => {
  auto = await engineHarness('auto');
  portrait = rgbToI420((await loadRgb(sharedPath('media', 'photos', 'iot_asl_again_f30.jpg'), W, H)).rgb, W, H);
  landscape = rgbToI420((await loadRgb(sharedPath('media', 'photos', 'kde_bythewater.jpg'), W, H)).rgb, W, H);
}, 120_000);

afterAll(async () => {
  await auto?.close();
});

describe('learned tier', () => {
  it('runs the exported networks in onnxruntime-node as torch did (fixtures)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'models', 'gridnet', 'check_onnx.mjs'), '--no-timing'], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    console.log(r.stdout.trim().split('\n').at(-1));
    expect(r.stderr.trim()).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/OK: every output within the manifest tolerances/);
  }, 60_000);

  it('is where auto starts; moves each region toward its style, keeps structure, no halo at the mask edge', async () => {
    expect(auto.ctx.learnedAvailable).toBe(true);
    const { mask, dist } = discMask(W, H, 640, 380, 260);
    const look = await localizedLook(auto, portrait, mask, dist);
    console.log(look.text);
    expect(look.tier).toBe('learned');
    for (const r of look.regions) expect(r.after).toBeLessThanOrEqual(0.5 * r.before);
    expect(look.ssim).toBeGreaterThanOrEqual(0.9);
    expect(look.halo).toBeLessThanOrEqual(4);
  }, 240_000);

  it('cross-fades a look change smoothly from a learned grid (no jump larger than the transition step)', async () => {
    const t = await lookTransition(auto, portrait);
    console.log(t.text);
    expect(t.total).toBeGreaterThan(10);
    expect(t.early).toBeGreaterThan(0.05 * t.step);
    expect(t.maxJump).toBeLessThanOrEqual(2 * t.step);
  }, 240_000);

  it('fades its first grid in from the global look: no frame-to-frame jump larger than the fade step', async () => {
    // a cold session shows the global look (one colour transfer per region) until its first
    // low-res update lands; that grid then fades in over FIRST_GRID_FADE_MS like a look change
    const d = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    const s = auto.open('blue-hour', 'evening-glow', { fixedR: 1 });
    const m = (await runFrames(s, portrait, SETTLED_FRAMES + 4)).map(meanYuv);
    s.close();
    const total = d(m[0], m.at(-1)!),
      step = total / (FIRST_GRID_FADE_MS / (1000 / 30));
    const jumps = m.slice(1).map((x, i) => d(x, m[i]));
    const maxJump = Math.max(...jumps);
    console.log(
      `start-up: global -> learned look ${total.toFixed(2)}, uniform fade step ${step.toFixed(2)}, max frame-to-frame ${maxJump.toFixed(2)}`,
    );
    expect(total).toBeGreaterThan(3);
    expect(maxJump).toBeLessThanOrEqual(2 * step);
  }, 240_000);

  it('drops the old scene at a cut: the first update after it gives the new scene its own look at once', async () => {
    // the ST-AdaIN state carries each region's statistics to the next update (TC-AdaIN); a cut
    // from an office portrait to a landscape must not blend the office's statistics into the
    // landscape's look. Reference: a fresh session's look on the landscape.
    const d = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    const s = auto.open('blue-hour', 'evening-glow', { fixedR: 1 });
    const n = SETTLED_FRAMES; // the portrait's look settled (first grid faded in)
    const outs = await runFrames(s, [...Array<I420Frame>(n).fill(portrait), landscape, landscape], n + 2);
    s.close();
    const fresh = auto.open('blue-hour', 'evening-glow', { fixedR: 1 });
    const own = (await runFrames(fresh, landscape, SETTLED_FRAMES)).at(-1)!;
    fresh.close();
    // outs[n]: the landscape under the portrait's grids (its update is still out); outs[n + 1]: after it
    const [before, after, ref] = [outs[n], outs[n + 1], own].map(meanYuv);
    const text = `cut: landscape under the portrait's look ${d(before, ref).toFixed(2)} from its own look, after the first update ${d(after, ref).toFixed(2)}`;
    console.log(text);
    expect(d(before, ref)).toBeGreaterThan(2);
    expect(d(after, ref)).toBeLessThanOrEqual(0.15 * d(before, ref));
  }, 240_000);
});
