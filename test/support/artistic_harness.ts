// The product's per-session frame path (FrameSession: photoreal grid path + artistic looks,
// composited by the speaker mask) outside the server, for the artistic engine tests, the
// benchmark's artistic rows and the evaluation's artistic systems: the built-in styles and
// artistic looks as the server loads them, and an engine context as an engine thread has it.
import { join } from 'node:path';
import { createEngineContext, loadNetworks, type EngineContext } from '../../server/src/engine/frame/engine_context.js';
import {
  FrameSession,
  type FrameSessionOptions,
  type MaskProvider,
} from '../../server/src/engine/frame/frame_session.js';
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import type { TierMode } from '../../server/src/engine/pool/thread_messages.js';
import type { ExecutionProvider } from '../../server/src/engine/runtime/onnx_session.js';
import type { MaskResult } from '../../server/src/engine/segmentation/speaker_mask.js';
import { StyleLibrary } from '../../server/src/styles/style_library.js';
import { ROOT } from './media.js';
import { memArenaFromEnv } from './engine_harness.js';

export interface ArtisticHarness {
  ctx: EngineContext;
  library: StyleLibrary;
  /** the artistic looks offered (their networks loaded on this context) */
  looks: string[];
  open(fg: string, bg: string, mask?: MaskProvider | null, opts?: Partial<FrameSessionOptions>): FrameSession;
  close(): Promise<void>;
}

export async function artisticHarness(
  tierMode: TierMode = 'global',
  provider: ExecutionProvider = 'cpu',
): Promise<ArtisticHarness> {
  const library = new StyleLibrary({ maxBytes: 8 << 20, maxPixels: 40e6, maxSide: 12000 }, 10, 5);
  await library.loadBuiltIns(join(ROOT, 'server', 'assets', 'styles'));
  const ctx = createEngineContext(tierMode, { provider, threads: 1, memArena: memArenaFromEnv() });
  const images = library.images();
  for (const img of images) ctx.styles.put(img);
  ctx.artistic.put(images);
  ctx.lowres?.putStyles(images);
  await loadNetworks(ctx);
  const looks = library
    .list()
    .filter((s) => s.kind === 'artistic')
    .map((s) => s.id);
  await ctx.artistic.ready(looks);
  let n = 0;
  return {
    ctx,
    library,
    looks,
    open: (fg, bg, mask = null, opts = {}) => new FrameSession(ctx, fg, bg, mask, `a${++n}`, opts),
    close: async () => {
      await ctx.lowres?.close();
    },
  };
}

/** Given masks as a session's mask source: the next update() gets masks[t], then t advances (seek() sets t). */
export class GivenMasks implements MaskProvider {
  #t = 0;
  readonly #masks: readonly Uint8Array[];

  constructor(masks: readonly Uint8Array[]) {
    this.#masks = masks;
  }

  get t(): number {
    return this.#t;
  }

  seek(t: number): void {
    this.#t = t;
  }

  update(_frame: I420Frame): Promise<MaskResult> {
    const plane = this.#masks[Math.min(this.#t++, this.#masks.length - 1)];
    return Promise.resolve({ plane, source: 'live', stages: { segment: 0, smooth: 0, enhance: 0 } });
  }
  noteDrops(): void {}
  close(): void {}
}
