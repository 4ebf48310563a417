// The stylizer engine outside the server, for engine tests and `npm run bench`: the built-in
// styles as the server loads them, a WebAssembly slicer, and (for the neural and fast tiers)
// a real low-res worker thread running the real ONNX models.
import { join } from 'node:path';
import { createEngineContext, loadNetworks, type EngineContext } from '../../server/src/engine/frame/engine_context.js';
import type { ExecutionProvider } from '../../server/src/engine/runtime/onnx_session.js';
import {
  FIRST_GRID_FADE_MS,
  SessionEngine,
  type SessionEngineOptions,
} from '../../server/src/engine/frame/session_engine.js';
import type { Tier, TierMode } from '../../server/src/engine/pool/thread_messages.js';
import { StyleLibrary } from '../../server/src/styles/style_library.js';
import { cloneFrame } from '../../server/src/engine/image/frame_convert.js';
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import {
  composite,
  gradientSsim,
  haloWidth,
  meanYuv,
  regionStats,
  statsDistance,
  type RegionStats,
} from './image_metrics.js';
import { ROOT } from './media.js';

export interface Harness {
  ctx: EngineContext;
  library: StyleLibrary;
  open(fg: string, bg: string, opts?: Partial<SessionEngineOptions>): SessionEngine;
  /** Adds an RGB image as a style (e.g. the content itself). */
  addStyle(id: string, rgb: Uint8Array, width: number, height: number): void;
  close(): Promise<void>;
}

/** The bench's onnxruntime arena setting: the server's default unless ONNX_MEM_ARENA says. */
export function memArenaFromEnv(): boolean | undefined {
  const v = process.env.ONNX_MEM_ARENA;
  return v === undefined ? undefined : v === '1';
}

export async function engineHarness(tierMode: TierMode, provider: ExecutionProvider = 'cpu'): Promise<Harness> {
  const library = new StyleLibrary({ maxBytes: 8 << 20, maxPixels: 40e6, maxSide: 12000 }, 10, 5);
  await library.loadBuiltIns(join(ROOT, 'server', 'assets', 'styles'));
  const ctx = createEngineContext(tierMode, { provider, threads: 1, memArena: memArenaFromEnv() });
  for (const img of library.images()) ctx.styles.put(img);
  ctx.lowres?.putStyles(library.images());
  await loadNetworks(ctx);
  let n = 0;
  return {
    ctx,
    library,
    open: (fg, bg, opts) => new SessionEngine(ctx, fg, bg, opts, `s${++n}`),
    addStyle: (id, rgb, width, height) => {
      const sab = new SharedArrayBuffer(rgb.length);
      new Uint8Array(sab).set(rgb);
      const img = { id, width, height, rgb: sab };
      ctx.styles.put(img);
      ctx.lowres?.putStyles([img]);
    },
    close: async () => {
      await ctx.lowres?.close();
    },
  };
}

/** Waits until the session's low-res update (if any) has come back. */
export async function settle(s: SessionEngine, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (s.updating) {
    if (Date.now() > end) throw new Error('low-res update did not finish');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Statistics of a style image in the frame's YUV convention (U, V offset by 128). */
export function styleStats(h: Harness, id: string): RegionStats {
  const yuv = h.ctx.styles.get(id).yuv,
    n = yuv.length / 3;
  const mean = [0, 0, 0],
    sq = [0, 0, 0];
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++) {
      const v = yuv[3 * i + c] + (c ? 128 : 0);
      mean[c] += v;
      sq[c] += v * v;
    }
  const m = mean.map((x) => x / n);
  return { mean: m, std: sq.map((x, c) => Math.sqrt(Math.max(0, x / n - m[c] * m[c]))) };
}

/** Runs `frames` frames through a session, waiting for each low-res update; returns the outputs. */
export async function runFrames(
  s: SessionEngine,
  src: I420Frame | I420Frame[],
  frames: number,
  mask?: Uint8Array,
  onFrame?: (k: number) => void,
): Promise<I420Frame[]> {
  const outs: I420Frame[] = [];
  for (let k = 0; k < frames; k++) {
    onFrame?.(k);
    const f = cloneFrame(Array.isArray(src) ? src[k % src.length] : src);
    s.processFrame(f, k * (1000 / 30), mask);
    outs.push(f);
    await settle(s);
  }
  return outs;
}

/** Frames at 30 fps until a session's first low-res grid has faded in (FIRST_GRID_FADE_MS) and settled. */
export const SETTLED_FRAMES = Math.ceil(FIRST_GRID_FADE_MS / (1000 / 30)) + 6;

/**
 * A look change from evening-glow to blue-hour over 30 frames (r = 4), once the first grid has
 * faded in (SETTLED_FRAMES): the change of the frame's mean colour in all, per frame, and in the
 * first 2 frames.
 */
export async function lookTransition(
  h: Harness,
  src: I420Frame,
): Promise<{ total: number; step: number; maxJump: number; early: number; text: string }> {
  const s = h.open('evening-glow', 'evening-glow', { fixedR: 4 });
  const steps = 30,
    k0 = SETTLED_FRAMES;
  const outs = await runFrames(s, src, k0 + steps + 10, undefined, (k) => {
    if (k === k0) s.setStyle('blue-hour', 'blue-hour', steps * (1000 / 30), k * (1000 / 30));
  });
  s.close();
  const m = outs.map(meanYuv);
  const d = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
  const total = d(m[k0 - 1], m.at(-1)!);
  const step = total / steps;
  const jumps = m.slice(k0).map((x, i) => d(x, m[k0 - 1 + i]));
  const maxJump = Math.max(...jumps);
  const text =
    `transition: total change ${total.toFixed(1)}, uniform step ${step.toFixed(2)}, max frame-to-frame ` +
    `${maxJump.toFixed(2)}, first frames ${jumps
      .slice(0, 3)
      .map((j) => j.toFixed(2))
      .join(' ')}`;
  return { total, step, maxJump, early: d(m[k0 + 1], m[k0 - 1]), text };
}

/**
 * Two looks on a portrait, split by a speaker mask (blue-hour on the speaker, evening-glow
 * around), SETTLED_FRAMES at r = 1: each region's distance to its style's statistics before and after,
 * the gradient SSIM against the input, and the halo at the mask edge against the ideal (each
 * region exactly as it looks with its style everywhere, same mask). `tier`: where the session ran.
 */
export async function localizedLook(
  h: Harness,
  src: I420Frame,
  mask: Uint8Array,
  dist: Float32Array,
): Promise<{
  regions: { region: 'fg' | 'bg'; before: number; after: number }[];
  ssim: number;
  halo: number;
  tier: Tier;
  text: string;
}> {
  const fg = 'blue-hour',
    bg = 'evening-glow';
  const look = async (f: string, b: string) => {
    const s = h.open(f, b, { fixedR: 1 });
    const out = (await runFrames(s, src, SETTLED_FRAMES, mask)).at(-1)!;
    const tier = s.tier;
    s.close();
    return { out, tier };
  };
  const { out, tier } = await look(fg, bg);
  const lines: string[] = [];
  const regions = (
    [
      ['fg', fg],
      ['bg', bg],
    ] as const
  ).map(([region, style]) => {
    const target = styleStats(h, style);
    const before = statsDistance(regionStats(src, mask, region), target);
    const after = statsDistance(regionStats(out, mask, region), target);
    lines.push(`${region} (${style}): distance to the style's statistics ${before.toFixed(1)} -> ${after.toFixed(1)}`);
    return { region, before, after };
  });
  const ssim = gradientSsim(out, src);
  lines.push(`gradient SSIM ${ssim.toFixed(3)}`);
  const halo = haloWidth(out, composite((await look(fg, fg)).out, (await look(bg, bg)).out, mask), dist, 3);
  lines.push(
    `halo: ${halo.width} px; mean error by distance ${halo.profile
      .slice(0, 10)
      .map((e) => e.toFixed(1))
      .join(' ')}`,
  );
  return { regions, ssim, halo: halo.width, tier, text: lines.join('\n') };
}
