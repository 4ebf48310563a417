// Segmentation inside the engine threads, as the server runs it: each session gets its own
// speaker-mask state on its engine thread, the looks built on the mask do what they say, and
// the state goes with the session.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneFrame } from '../../server/src/engine/image/frame_convert.js';
import { EnginePool, type EngineHandle } from '../../server/src/engine/pool/engine_pool.js';
import { i420Planes, i420Size, type I420Frame } from '../../server/src/engine/image/i420.js';
import { DROP_WARMUP, DROP_WINDOW } from '../../server/src/engine/frame/tier_policy.js';
import { StyleLibrary } from '../../server/src/styles/style_library.js';
import { loadI420, ROOT, sharedPath } from '../support/media.js';

let pool: EnginePool;
let frame: I420Frame;

/** Mean |a - b| of the luma over a box given in fractions of the frame. */
function lumaDiff(a: I420Frame, b: I420Frame, x0: number, y0: number, x1: number, y1: number): number {
  const pa = i420Planes(a).y,
    pb = i420Planes(b).y,
    W = a.width;
  let s = 0,
    n = 0;
  for (let y = Math.floor(y0 * a.height); y < Math.floor(y1 * a.height); y++) {
    for (let x = Math.floor(x0 * W); x < Math.floor(x1 * W); x++) {
      s += Math.abs(pa[y * W + x] - pb[y * W + x]);
      n++;
    }
  }
  return s / n;
}

/** Mean absolute horizontal luma gradient over a box (sharpness). */
function sharpness(f: I420Frame, x0: number, y0: number, x1: number, y1: number): number {
  const p = i420Planes(f).y,
    W = f.width;
  let s = 0,
    n = 0;
  for (let y = Math.floor(y0 * f.height); y < Math.floor(y1 * f.height); y++) {
    for (let x = Math.floor(x0 * W); x < Math.floor(x1 * W) - 1; x++) {
      s += Math.abs(p[y * W + x + 1] - p[y * W + x]);
      n++;
    }
  }
  return s / n;
}

async function run(
  h: EngineHandle,
  frames = 6,
): Promise<{ out: I420Frame; mask: string; stages: Record<string, number>; peak: Record<string, number> }> {
  let last = null;
  /** each stage's largest time over the frames (a model run shows on the frame it finished on) */
  const peak: Record<string, number> = {};
  for (let i = 0; i < frames; i++) {
    last = await h.process(cloneFrame(frame));
    for (const [k, v] of Object.entries(last.report.stages)) peak[k] = Math.max(peak[k] ?? 0, v);
  }
  return {
    out: { width: last!.width, height: last!.height, data: last!.data.slice() },
    mask: last!.report.mask,
    stages: last!.report.stages,
    peak,
  };
}

// the speaker of iot_asl_again_f30 (640x480) stands in the middle; the wall corners are background
const SPEAKER = [0.4, 0.35, 0.6, 0.7] as const;
const WALL = [0.02, 0.05, 0.2, 0.4] as const;

describe('segmentation in the engine threads', () => {
  beforeAll(async () => {
    pool = new EnginePool({
      threads: 1,
      allowFaults: false,
      engine: { onnx: { provider: 'cpu', threads: 1 }, tierMode: 'global', segmentation: 'selfie' },
    });
    const lib = new StyleLibrary({ maxBytes: 8 << 20, maxPixels: 40e6, maxSide: 12000 }, 10, 5);
    await lib.loadBuiltIns(join(ROOT, 'server', 'assets', 'styles'));
    await pool.ready();
    pool.putStyles(lib.images());
    frame = await loadI420(sharedPath('media', 'photos', 'iot_asl_again_f30.jpg'), 640, 480);
  }, 60_000);
  afterAll(async () => {
    await pool?.close();
  });

  it('keeps the speaker natural (background-only), restyles only the speaker (speaker-only), blurs the background', async () => {
    const h = await pool.open('seg-looks', 'darkest-hour', 'evening-glow');
    try {
      const styled = await run(h);
      expect(['live', 'reused']).toContain(styled.mask);
      // the full-resolution enhancement runs on every frame, the model on some of them; a
      // 640x480 stage takes well under a second on any machine this runs on
      expect(styled.stages.enhance, 'enhance ms, last frame').toBeGreaterThan(0);
      for (const k of ['segment', 'smooth', 'enhance']) {
        expect(styled.peak[k], `${k} ms: some frame ran it`).toBeGreaterThan(0);
        expect(styled.peak[k], `${k} ms`).toBeLessThan(1000);
      }

      await h.setOptions({ maskMode: 'background-only' }, 0);
      const bgOnly = await run(h);
      await h.setOptions({ maskMode: 'speaker-only' }, 0);
      const fgOnly = await run(h);
      await h.setOptions({ maskMode: 'blur-background' }, 0);
      const blurred = await run(h);
      const d = {
        styled: [lumaDiff(styled.out, frame, ...SPEAKER), lumaDiff(styled.out, frame, ...WALL)],
        bgOnly: [lumaDiff(bgOnly.out, frame, ...SPEAKER), lumaDiff(bgOnly.out, frame, ...WALL)],
        fgOnly: [lumaDiff(fgOnly.out, frame, ...SPEAKER), lumaDiff(fgOnly.out, frame, ...WALL)],
      };
      const sharp = {
        input: sharpness(frame, ...WALL),
        styled: sharpness(styled.out, ...WALL),
        blurred: sharpness(blurred.out, ...WALL),
        speaker: [sharpness(styled.out, ...SPEAKER), sharpness(blurred.out, ...SPEAKER)],
      };
      console.log('mean |dY| vs input [speaker, wall]:', JSON.stringify(d), 'wall sharpness', JSON.stringify(sharp));
      // the changed region changes, the natural region keeps its pixels
      expect(d.styled[0]).toBeGreaterThan(8);
      expect(d.styled[1]).toBeGreaterThan(8);
      expect(d.bgOnly[0]).toBeLessThan(3);
      expect(d.bgOnly[1]).toBeGreaterThan(8);
      expect(d.fgOnly[0]).toBeGreaterThan(8);
      expect(d.fgOnly[1]).toBeLessThan(3);
      // blur: the wall (plain, with some texture and sensor noise) loses its detail, the speaker keeps it
      expect(sharp.blurred).toBeLessThan(0.7 * sharp.styled);
      expect(sharp.speaker[1]).toBeGreaterThan(0.8 * sharp.speaker[0]);
    } finally {
      await h.close();
    }
  }, 120_000);

  it('sheds resolution last: a session that keeps dropping frames at the global tier is stylized at half size', async () => {
    const h = await pool.open('seg-half', 'evening-glow', 'darkest-hour');
    try {
      const first = await h.process(cloneFrame(frame), true, 0);
      expect([first.width, first.height, first.report.degradation]).toEqual([640, 480, 3]);
      let last = first;
      // one camera frame dropped per processed frame: half the camera's frames are lost
      for (let i = 0; i < DROP_WARMUP + 2 * DROP_WINDOW + 2; i++) last = await h.process(cloneFrame(frame), true, 1);
      expect([last.width, last.height, last.report.degradation]).toEqual([320, 240, 4]);
      expect(last.data.buffer.byteLength).toBe(i420Size(320, 240)); // what wrtc's encoder takes
      expect(last.mask!.length).toBe(320 * 240);
      // still stylized, and the speaker mask still splits the frame
      const half = await loadI420(sharedPath('media', 'photos', 'iot_asl_again_f30.jpg'), 320, 240);
      expect(lumaDiff({ width: 320, height: 240, data: last.data }, half, ...WALL)).toBeGreaterThan(8);
      const m = last.mask!,
        at = (fx: number, fy: number) => m[Math.floor(fy * 240) * 320 + Math.floor(fx * 320)];
      expect(at(0.5, 0.5)).toBeGreaterThan(200);
      expect(at(0.05, 0.2)).toBeLessThan(50);
    } finally {
      await h.close();
    }
  }, 120_000);

  it("frees a session's segmentation state with the session", async () => {
    const a = await pool.open('seg-a', 'natural', 'darkest-hour');
    const b = await pool.open('seg-b', 'natural', 'darkest-hour');
    await run(a, 3);
    await run(b, 3);
    const during = await pool.census();
    expect(during.masks.sort()).toEqual(['seg-a', 'seg-b']);
    await a.close();
    const after = await pool.census();
    expect(after.sessions).toEqual(['seg-b']);
    expect(after.masks).toEqual(['seg-b']);
    // the other session is untouched
    expect((await run(b, 1)).mask).toMatch(/live|reused/);
    await b.close();
    expect(await pool.census()).toEqual({ sessions: [], masks: [] });
  }, 120_000);
});
