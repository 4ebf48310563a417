// What every engine thread (and the engine tests and benchmark) starts from, shared by the
// sessions of that thread: the grid shape, the guide, a WebAssembly slicer, a style cache, the
// thread's onnxruntime and, unless the tier is forced to global, a low-res worker.
import { DEFAULT_GRID, type GridShape } from '../image/grid.js';
import { engineLuts, type GuideLuts } from '../image/guide.js';
import type { TierMode } from '../pool/thread_messages.js';
import { OnnxRuntime, type OnnxOptions } from '../runtime/onnx_session.js';
import { StyleStore } from '../runtime/style_store.js';
import { LowResClient } from './lowres_client.js';
import { WasmSlicer } from './wasm_kernels.js';

export interface EngineContext {
  slicer: WasmSlicer;
  styles: StyleStore;
  shape: GridShape;
  luts: GuideLuts;
  /** this thread's onnxruntime (the segmentation model; the low-res worker has its own) */
  onnx: OnnxRuntime;
  /** the low-res path (absent: global tier only) */
  lowres: LowResClient | null;
  /** 'auto' picks from the measured budget; a tier name forces it */
  tierMode: TierMode;
  /** false when the networks cannot run here (auto then starts at `fast`) */
  neuralAvailable: boolean;
}

export function createEngineContext(tierMode: TierMode, onnx: OnnxOptions): EngineContext {
  return {
    slicer: new WasmSlicer(),
    styles: new StyleStore(),
    shape: DEFAULT_GRID,
    luts: engineLuts(),
    onnx: new OnnxRuntime(onnx),
    lowres: tierMode === 'global' ? null : new LowResClient(onnx),
    tierMode,
    neuralAvailable: true,
  };
}
