// Speed at 480p / 720p / 1080p: a few frames per engine tier (r = 1 and default r, no mask,
// not paced: every frame as soon as the last is done, the low-res results let in between
// frames) and per baseline. A small sample; `npm run bench` is the full engine benchmark.
import { cloneFrame } from '../../server/src/engine/image/frame_convert.js';
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import type { Tier } from '../../server/src/engine/pool/thread_messages.js';
import { settle, type Harness } from '../support/engine_harness.js';
import { LutBaseline, NetBaseline } from './baselines.js';
import { decodeClip } from './clips.js';
import type { StyleEntry } from '../../server/src/engine/runtime/style_store.js';

export const RESOLUTIONS = { '480p': [640, 480], '720p': [1280, 720], '1080p': [1920, 1080] } as const;
export type Res = keyof typeof RESOLUTIONS;

export interface SpeedRecord {
  system: string;
  resolution: Res;
  frames: number;
  /** mean ms per frame on the frame path */
  ms_per_frame: number;
  p50_ms: number;
  /** frames / wall time (r = 1: including the wait for each low-res update) */
  fps: number;
  /** mean r the policy chose (default r) */
  r?: number;
  stages_ms: Record<string, number>;
}

const r3 = (x: number) => Number(x.toPrecision(3));
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function engineSpeed(
  h: Harness,
  tier: Tier,
  r1: boolean,
  frames: I420Frame[],
  fg: string,
  bg: string,
): Promise<Omit<SpeedRecord, 'resolution'>> {
  const s = h.open(fg, bg, r1 ? { fixedR: 1 } : {});
  for (let k = 0; k < 2; k++) {
    s.processFrame(cloneFrame(frames[0]), k * 33);
    await settle(s);
  }
  const ms: number[] = [],
    acc: Record<string, number> = {};
  let rSum = 0;
  const t0 = performance.now();
  for (let t = 0; t < frames.length; t++) {
    const rep = s.processFrame(cloneFrame(frames[t]), (t + 2) * 33);
    ms.push(rep.totalMs);
    rSum += rep.r;
    for (const [k, v] of Object.entries(rep.stages)) if (k !== 'lowres') acc[k] = (acc[k] ?? 0) + v / frames.length;
    for (const [k, v] of Object.entries(rep.lowres)) acc[`lowres.${k}`] = (acc[`lowres.${k}`] ?? 0) + v / frames.length;
    if (r1) await settle(s);
    else await new Promise((r) => setImmediate(r));
  }
  const wall = performance.now() - t0;
  await settle(s);
  s.close();
  return {
    system: `${tier} r=${r1 ? 1 : 'auto'}`,
    frames: frames.length,
    ms_per_frame: r3(ms.reduce((a, b) => a + b, 0) / ms.length),
    p50_ms: r3(p50(ms)),
    fps: r3((1000 * frames.length) / wall),
    ...(r1 ? {} : { r: r3(rSum / frames.length) }),
    stages_ms: Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, r3(v)])),
  };
}

async function timed(frames: I420Frame[], f: (fr: I420Frame) => Promise<unknown> | unknown): Promise<number[]> {
  const ms: number[] = [];
  for (const fr of frames) {
    const t0 = performance.now();
    await f(fr);
    ms.push(performance.now() - t0);
  }
  return ms;
}

export interface SpeedPlan {
  resolutions: Res[];
  frames: number;
  netFrames: number;
}

export async function measureSpeed(
  clipPath: string,
  harness: Partial<Record<Tier, Harness>>,
  fg: string,
  bg: string,
  net: NetBaseline,
  styles: { fgStyle: StyleEntry; bgStyle: StyleEntry },
  plan: SpeedPlan,
  log: (s: string) => void,
): Promise<SpeedRecord[]> {
  const out: SpeedRecord[] = [];
  for (const res of plan.resolutions) {
    const [w, h] = RESOLUTIONS[res];
    const frames = decodeClip(clipPath, w, h, plan.frames);
    const runs: [Tier, boolean][] = [
      ['learned', true],
      ['learned', false],
      ['neural', true],
      ['neural', false],
      ['fast', true],
      ['fast', false],
      ['global', true],
    ];
    for (const [tier, r1] of runs) {
      if (!harness[tier]) continue; // the learned tier without its network in models/
      const rec = { ...(await engineSpeed(harness[tier], tier, r1, frames, fg, bg)), resolution: res };
      if (tier === 'global') rec.system = 'global';
      out.push(rec);
      log(`speed ${res} ${rec.system}: ${rec.ms_per_frame} ms/frame, ${rec.fps} fps`);
    }
    const lut = LutBaseline.fit(frames[0], null, styles.fgStyle, styles.bgStyle);
    const lutMs = await timed(frames.slice(0, Math.min(frames.length, 6)), (f) => lut.stylize(f, null));
    const netMs = (await timed(frames.slice(0, plan.netFrames + 1), (f) => net.stylize(f, null))).slice(1); // first: warm-up
    for (const [system, ms] of [
      ['baseline: 3D LUT 33³ (JS)', lutMs],
      ['baseline: per-frame enc→AdaIN→dec', netMs],
    ] as const) {
      const m = ms.reduce((a, b) => a + b, 0) / ms.length;
      out.push({
        system,
        resolution: res,
        frames: ms.length,
        ms_per_frame: r3(m),
        p50_ms: r3(p50(ms)),
        fps: r3(1000 / m),
        stages_ms: {},
      });
      log(`speed ${res} ${system}: ${r3(m)} ms/frame`);
    }
  }
  return out;
}
