// The stylizer engine outside the server, for engine tests and `npm run bench`: the built-in
// styles as the server loads them, a WebAssembly slicer, and (for the neural and fast tiers)
// a real low-res worker thread running the real ONNX models.
import { join } from 'node:path';
import { createEngineContext, loadNetworks, type EngineContext } from '../../server/src/engine/frame/engine_context.js';
import type { ExecutionProvider } from '../../server/src/engine/runtime/onnx_session.js';
import { SessionEngine, type SessionEngineOptions } from '../../server/src/engine/frame/session_engine.js';
import type { TierMode } from '../../server/src/engine/pool/thread_messages.js';
import { StyleLibrary } from '../../server/src/styles/style_library.js';
import type { RegionStats } from './image_metrics.js';
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
