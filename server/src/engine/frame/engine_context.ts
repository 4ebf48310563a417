// What every engine thread (and the engine tests and benchmark) starts from, shared by the
// sessions of that thread: the grid shape, the guides (the hand-made one, and the learned
// tier's tables), the WebAssembly kernels, a style cache, the thread's onnxruntime, the artistic
// looks' networks (one onnxruntime session per look) and, unless the tier is forced to
// global, a low-res worker.
import { DEFAULT_GRID, type GridShape } from '../image/grid.js';
import { engineLuts, guideLutsFromTables, type GuideLuts } from '../image/guide.js';
import type { LearnedVariant, TierMode } from '../pool/thread_messages.js';
import { readLearnedGuide } from '../runtime/learned_guide.js';
import { OnnxRuntime, type OnnxOptions } from '../runtime/onnx_session.js';
import { StyleStore } from '../runtime/style_store.js';
import { ArtisticModels } from './artistic_models.js';
import { LowResClient } from './lowres_client.js';
import { WasmKernels } from './wasm_kernels.js';

/** The learned tier's guide tables per network variant, read once per thread. */
export class LearnedLuts {
  readonly #luts = new Map<LearnedVariant, GuideLuts>();

  get(variant: LearnedVariant): GuideLuts {
    let l = this.#luts.get(variant);
    if (!l) {
      const g = readLearnedGuide(variant);
      l = guideLutsFromTables(g.zY, g.zM);
      this.#luts.set(variant, l);
    }
    return l;
  }
}

export interface EngineContext {
  /** the thread's WebAssembly kernels: grid slicing, the speaker mask's full-resolution pass */
  kernels: WasmKernels;
  styles: StyleStore;
  shape: GridShape;
  /** the hand-made guide (neural, fast and global grids are built for it) */
  luts: GuideLuts;
  /** the learned tier's guides (its grids are sliced with them) */
  learnedLuts: LearnedLuts;
  /** this thread's onnxruntime (the segmentation model, the artistic networks; the low-res worker has its own) */
  onnx: OnnxRuntime;
  /** the artistic looks' networks on this thread (registered from the style images that carry one) */
  artistic: ArtisticModels;
  /** the low-res path (absent: global tier only) */
  lowres: LowResClient | null;
  /** 'auto' picks from the measured budget; a tier name forces it */
  tierMode: TierMode;
  /** false when the neural tier's networks cannot run here */
  neuralAvailable: boolean;
  /** false when the learned tier's network cannot run here (auto then starts at `neural`, else `fast`) */
  learnedAvailable: boolean;
}

export function createEngineContext(tierMode: TierMode, onnx: OnnxOptions): EngineContext {
  const runtime = new OnnxRuntime(onnx);
  return {
    kernels: new WasmKernels(),
    styles: new StyleStore(),
    shape: DEFAULT_GRID,
    luts: engineLuts(),
    learnedLuts: new LearnedLuts(),
    onnx: runtime,
    artistic: new ArtisticModels(runtime),
    lowres: tierMode === 'global' ? null : new LowResClient(onnx),
    tierMode,
    neuralAvailable: true,
    learnedAvailable: false,
  };
}

/** Loads the low-res worker's networks and records which tiers can run (the thread's sessions start from that). */
export async function loadNetworks(ctx: EngineContext): Promise<void> {
  const nets = ctx.lowres && ctx.tierMode !== 'fast' ? await ctx.lowres.ready() : { neural: false, learned: false };
  ctx.neuralAvailable = nets.neural;
  ctx.learnedAvailable = nets.learned;
  if (ctx.learnedAvailable) {
    try {
      ctx.learnedLuts.get('main');
    } catch (e) {
      console.warn(`[engine] learned guide unreadable, learned tier off: ${String(e).split('\n')[0]}`);
      ctx.learnedAvailable = false;
    }
  }
}
