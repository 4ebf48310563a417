// What every engine thread (and the engine tests and benchmark) starts from: the grid shape,
// the guide, a WebAssembly slicer, a style cache and, unless the tier is forced to global,
// a low-res worker.
import { DEFAULT_GRID } from '../image/grid.js';
import { buildGuideLuts, type GuideLuts } from '../image/guide.js';
import { LowResClient } from './lowres_client.js';
import type { OnnxOptions } from '../runtime/onnx_session.js';
import type { EngineContext, TierMode } from './session_engine.js';
import { StyleStore } from '../runtime/style_store.js';
import { WasmSlicer } from './wasm_kernels.js';

/** The guide every grid is built and sliced with: luma curve, speaker in the upper z half. */
export function engineLuts(): GuideLuts {
  return buildGuideLuts({ nz: DEFAULT_GRID.nz, splitByMask: true });
}

export function createEngineContext(tierMode: TierMode, onnx: OnnxOptions): EngineContext {
  return {
    slicer: new WasmSlicer(),
    styles: new StyleStore(),
    shape: DEFAULT_GRID,
    luts: engineLuts(),
    lowres: tierMode === 'global' ? null : new LowResClient(onnx),
    tierMode,
    neuralAvailable: true,
  };
}
