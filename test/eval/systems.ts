// The systems the evaluation compares, each run over a whole clip (frame in -> frame out):
// our engine per tier at r = 1 and at the default (adaptive) r, its ablations, the two
// baselines (baselines.ts), and the input itself as a reference row.
import { existsSync } from 'node:fs';
import { cloneFrame } from '../../server/src/engine/image/frame_convert.js';
import { learnedGuideFile } from '../../server/src/engine/runtime/learned_guide.js';
import { modelPath } from '../../server/src/engine/runtime/onnx_session.js';
import { i420Planes, type I420Frame } from '../../server/src/engine/image/i420.js';
import { FIRST_GRID_FADE_MS, type SessionEngineOptions } from '../../server/src/engine/frame/session_engine.js';
import type { LearnedVariant, Tier } from '../../server/src/engine/pool/thread_messages.js';
import type { StyleEntry } from '../../server/src/engine/runtime/style_store.js';
import { settle, type Harness } from '../support/engine_harness.js';
import { LutBaseline, NetBaseline } from './baselines.js';
import type { EvalClip } from './clips.js';
import type { LabStats } from './metrics.js';

export interface SystemResult {
  outputs: I420Frame[];
  /** ms per frame on the frame path (engine: processFrame; baselines: the whole per-frame function) */
  msPerFrame: number[];
  /** mean ms per stage (engine: processFrame's stages; lowres.*: the asynchronous low-res update) */
  stages: Record<string, number>;
  /** the ideal for the halo metric at frame t: each region's own look, composited by the hard mask */
  idealParts?: Map<number, { fg: I420Frame; bg: I420Frame }>;
  note?: string;
  /** frames of the start-up (a cold session: before its first low-res update landed, plus that update's
   * fade-in); 0 for runs that start warm */
  startupFrames?: number;
  /** text files for the report folder (name -> content), e.g. the LUT baseline's .cube files */
  files?: Record<string, string>;
}

export interface SystemDef {
  id: string;
  family: 'input' | Tier | 'baseline';
  /** which halo reference to use: a tier's fg-only/bg-only r = 1 runs, or the system's own */
  haloRef: Tier | 'own' | null;
  /** only on clips with a mask */
  maskedOnly?: boolean;
  /** only on the clips this says yes to */
  only?: (clip: EvalClip) => boolean;
  run(clip: EvalClip, env: SystemEnv): Promise<SystemResult>;
}

export interface SystemEnv {
  /** one per tier; the learned tier's only when its network is in models/ */
  harness: Partial<Record<Tier, Harness>>;
  fg: string;
  bg: string;
  fgLab: LabStats;
  bgLab: LabStats;
  /** the looks as the engine holds them (the LUT baseline bakes the global tier's transform) */
  fgStyle: StyleEntry;
  bgStyle: StyleEntry;
  net: NetBaseline;
  /** frames at which systems with their own ideal produce it */
  haloFrames: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function meanStages(list: Record<string, number>[]): Record<string, number> {
  const acc: Record<string, number> = {};
  for (const s of list) for (const [k, v] of Object.entries(s)) acc[k] = (acc[k] ?? 0) + v / list.length;
  return acc;
}

export interface EngineRunOptions {
  r1: boolean;
  tcAdainAlpha?: number;
  /** keep the grids of the warm-up's update (the clip's first frame) for the whole clip */
  freeze?: boolean;
  /** the learned tier's mask-enhancement network (default on) */
  maskEnhancement?: boolean;
  fg?: string;
  bg?: string;
  masks?: Uint8Array[] | null;
  /** the learned tier's network variant (default: the shipped one) */
  variant?: LearnedVariant;
  /** no warm-up: the session opens on the clip's first frame (the start-up rows, startup.ts) */
  cold?: boolean;
}

/**
 * Runs the engine over a clip. Warm-up: the first frame twice, each waiting for its low-res
 * update, and once more when the first grid's fade-in has ended (a session that has been
 * running), outputs dropped. r = 1: every frame waits for its
 * update (settle). Default r: frames are paced in real time at the clip's frame rate (the
 * policy sees a live camera; the low-res results come in between frames).
 */
export async function runEngine(
  h: Harness,
  clip: EvalClip,
  env: SystemEnv,
  o: EngineRunOptions,
): Promise<SystemResult> {
  const opts: Partial<SessionEngineOptions> = o.r1 ? { fixedR: 1 } : {};
  if (o.tcAdainAlpha !== undefined) opts.tcAdainAlpha = o.tcAdainAlpha;
  if (o.freeze) opts.freezeGrid = true;
  if (o.maskEnhancement !== undefined) opts.maskEnhancement = o.maskEnhancement;
  if (o.variant) opts.learnedVariant = o.variant;
  const s = h.open(o.fg ?? env.fg, o.bg ?? env.bg, opts);
  const masks = o.masks === undefined ? clip.masks : o.masks;
  const dt = 1000 / clip.fps;
  // warm: two updates on the first frame, then a frame after the first grid's fade-in has ended
  const warm = o.cold ? [] : [0, dt, dt + FIRST_GRID_FADE_MS];
  for (const at of warm) {
    s.processFrame(cloneFrame(clip.frames[0]), at, masks?.[0]);
    await settle(s);
  }
  const t0ms = warm.length ? warm.at(-1)! + dt : 0;
  let startupFrames = o.cold ? clip.frames.length : 0;
  const outputs: I420Frame[] = [],
    ms: number[] = [],
    stages: Record<string, number>[] = [];
  const t0 = performance.now();
  for (let t = 0; t < clip.frames.length; t++) {
    const f = cloneFrame(clip.frames[t]);
    const rep = s.processFrame(f, t0ms + t * dt, masks?.[t]);
    outputs.push(f);
    // start-up ends with the first frame that shows the first landed update fully (its fade-in over)
    if (o.cold && rep.lowresTotalMs > 0 && rep.transition >= 1 && startupFrames === clip.frames.length)
      startupFrames = t;
    ms.push(rep.totalMs);
    const st: Record<string, number> = { ...rep.stages };
    delete st.lowres;
    for (const [k, v] of Object.entries(rep.lowres)) st[`lowres.${k}`] = v;
    stages.push(st);
    if (o.r1) await settle(s);
    else await sleep(Math.max(0, t0 + (t + 1) * dt - performance.now()));
  }
  await settle(s);
  const note = s.tier !== h.ctx.tierMode && h.ctx.tierMode !== 'auto' ? `ran as ${s.tier}` : undefined;
  s.close();
  return { outputs, msPerFrame: ms, stages: meanStages(stages), note, startupFrames };
}

/** Per-pixel blend of two I420 frames by a soft mask (255: a); chroma by the 2×2 mean of the mask. */
export function blendByMask(a: I420Frame, b: I420Frame, mask: Uint8Array): I420Frame {
  const out = cloneFrame(b),
    pa = i420Planes(a),
    pb = i420Planes(b),
    po = i420Planes(out),
    W = a.width;
  for (let i = 0; i < W * a.height; i++) po.y[i] = Math.round((mask[i] * pa.y[i] + (255 - mask[i]) * pb.y[i]) / 255);
  for (let cy = 0; cy < po.chromaHeight; cy++)
    for (let cx = 0; cx < po.chromaWidth; cx++) {
      let m = 0,
        n = 0;
      for (let dy = 0; dy < 2; dy++)
        for (let dx = 0; dx < 2; dx++) {
          const x = 2 * cx + dx,
            y = 2 * cy + dy;
          if (x < W && y < a.height) {
            m += mask[y * W + x];
            n++;
          }
        }
      m /= 255 * n;
      const ci = cy * po.chromaWidth + cx;
      po.u[ci] = Math.round(m * pa.u[ci] + (1 - m) * pb.u[ci]);
      po.v[ci] = Math.round(m * pa.v[ci] + (1 - m) * pb.v[ci]);
    }
  return out;
}

/** fg look on both regions and bg look on both, r = 1 (the halo reference of a tier, and the pixel-blend ablation's parts). */
export async function regionRuns(
  h: Harness,
  clip: EvalClip,
  env: SystemEnv,
): Promise<{ fg: SystemResult; bg: SystemResult }> {
  return {
    fg: await runEngine(h, clip, env, { r1: true, fg: env.fg, bg: env.fg }),
    bg: await runEngine(h, clip, env, { r1: true, fg: env.bg, bg: env.bg }),
  };
}

const engine = (id: string, tier: Tier, o: EngineRunOptions, extra: Partial<SystemDef> = {}): SystemDef => ({
  id,
  family: tier,
  haloRef: tier,
  run: (clip, env) => runEngine(tierHarness(env, tier), clip, env, o),
  ...extra,
});

/** The harness of `tier` (the learned tier's rows exist only when it has one). */
export function tierHarness(env: Pick<SystemEnv, 'harness'>, tier: Tier): Harness {
  const h = env.harness[tier];
  if (!h) throw new Error(`no ${tier} tier in this evaluation`);
  return h;
}

/** The pixel-blend ablation reuses the neural tier's region runs (also the neural halo reference). */
export type RegionRunCache = (tier: Tier) => Promise<{ fg: SystemResult; bg: SystemResult }>;

/**
 * What the look alone costs in temporal metrics: one pair of grids (the first update's, on the
 * clip's first frame, blended by that frame's mask) on every frame. A strong look raises the
 * contrast of moving edges, so even a perfectly steady stylizer has more warping error than the
 * input; what a tier has above this row is flicker from grids that change.
 */
export const FIXED_REFERENCE = (tier: Tier): string => `reference: ${tier} grids fixed after the first update`;

/** The eval rows of the learned network's fine-tuned variants (models/gridnet_<variant>*). */
export const LEARNED_VARIANT_ROW = {
  control: 'control: fine-tuned with the temporal loss (learned r=1)',
  notemporal: 'ablation: no temporal loss, fine-tuned without it (learned r=1)',
} as const;

/** `learned`: the learned tier's network is in models/ (its rows run). */
export function systems(regionCache: RegionRunCache, learned: boolean): SystemDef[] {
  return [
    {
      id: 'input (no stylization)',
      family: 'input',
      haloRef: null,
      run: async (clip) => ({ outputs: clip.frames, msPerFrame: clip.frames.map(() => 0), stages: {} }),
    },
    ...(learned
      ? [
          engine('learned r=1', 'learned', { r1: true }),
          engine('learned r=auto', 'learned', { r1: false }),
          engine('ablation: no TC-AdaIN (learned r=1)', 'learned', { r1: true, tcAdainAlpha: 0 }),
          // the temporal-loss pair: the shipped network fine-tuned the same way with and without it
          ...(['control', 'notemporal'] as const)
            .filter((v) => existsSync(modelPath(learnedGuideFile(v))))
            .map((v) => engine(LEARNED_VARIANT_ROW[v], 'learned', { r1: true, variant: v })),
          engine(FIXED_REFERENCE('learned'), 'learned', { r1: true, freeze: true }),
          engine(
            'ablation: no mask enhancement (learned r=1)',
            'learned',
            { r1: true, maskEnhancement: false },
            { maskedOnly: true },
          ),
        ]
      : []),
    engine('neural r=1', 'neural', { r1: true }),
    engine('neural r=auto', 'neural', { r1: false }),
    engine(FIXED_REFERENCE('neural'), 'neural', { r1: true, freeze: true }),
    engine('fast r=1', 'fast', { r1: true }),
    engine('fast r=auto', 'fast', { r1: false }),
    engine('global', 'global', { r1: true }),
    engine('ablation: no TC-AdaIN (neural r=1)', 'neural', { r1: true, tcAdainAlpha: 0 }),
    {
      id: 'ablation: pixel-space blend (neural r=1)',
      family: 'neural',
      haloRef: 'neural',
      maskedOnly: true,
      run: async (clip) => {
        const { fg, bg } = await regionCache('neural');
        const outputs: I420Frame[] = [],
          ms: number[] = [];
        for (let t = 0; t < clip.frames.length; t++) {
          const t0 = performance.now();
          outputs.push(blendByMask(fg.outputs[t], bg.outputs[t], clip.masks![t]));
          ms.push(fg.msPerFrame[t] + bg.msPerFrame[t] + performance.now() - t0);
        }
        return { outputs, msPerFrame: ms, stages: {} };
      },
    },
    engine(
      'ablation: no mask enhancement (neural r=1)',
      'neural',
      { r1: true },
      {
        maskedOnly: true,
        run: (clip, env) => runEngine(tierHarness(env, 'neural'), clip, env, { r1: true, masks: clip.plainMasks }),
      },
    ),
    // the mask as the product serves it when the model is slower than its budget (beside the frame path, one run late)
    ...(learned ? (['learned', 'neural'] as const) : (['neural'] as const)).map((tier) =>
      engine(
        `mask off the frame path (${tier} r=auto)`,
        tier,
        { r1: false },
        {
          maskedOnly: true,
          only: (clip) => !!clip.laggedMasks,
          run: (clip, env) => runEngine(tierHarness(env, tier), clip, env, { r1: false, masks: clip.laggedMasks }),
        },
      ),
    ),
    {
      id: 'baseline: per-frame enc→AdaIN→dec',
      family: 'baseline',
      haloRef: 'own',
      run: async (clip, env) => {
        const outputs: I420Frame[] = [],
          ms: number[] = [],
          idealParts = new Map<number, { fg: I420Frame; bg: I420Frame }>();
        for (let t = 0; t < clip.frames.length; t++) {
          const t0 = performance.now();
          const r = await env.net.stylize(clip.frames[t], clip.masks?.[t] ?? null);
          ms.push(performance.now() - t0);
          outputs.push(r.out);
          if (clip.masks && env.haloFrames.includes(t)) {
            const parts = await env.net.stylize(clip.frames[t], clip.masks[t], true);
            idealParts.set(t, { fg: parts.fgOnly!, bg: parts.bgOnly! });
          }
        }
        return { outputs, msPerFrame: ms, stages: {}, idealParts };
      },
    },
    {
      id: 'baseline: 3D LUT 33³',
      family: 'baseline',
      haloRef: 'own',
      run: async (clip, env) => {
        const lut = LutBaseline.fit(clip.frames[0], clip.masks?.[0] ?? null, env.fgStyle, env.bgStyle);
        const outputs: I420Frame[] = [],
          ms: number[] = [],
          idealParts = new Map<number, { fg: I420Frame; bg: I420Frame }>();
        for (let t = 0; t < clip.frames.length; t++) {
          const t0 = performance.now();
          const withRegions = !!clip.masks && env.haloFrames.includes(t);
          const r = lut.stylize(clip.frames[t], clip.masks?.[t] ?? null, withRegions);
          ms.push(performance.now() - t0);
          outputs.push(r.out);
          if (withRegions) idealParts.set(t, { fg: r.fgOnly!, bg: r.bgOnly! });
        }
        const cubes = lut.cubes();
        const files: Record<string, string> = { [`luts/${clip.id}_speaker.cube`]: cubes.fg };
        if (cubes.bg) files[`luts/${clip.id}_background.cube`] = cubes.bg;
        return { outputs, msPerFrame: ms, stages: {}, idealParts, files };
      },
    },
  ];
}
