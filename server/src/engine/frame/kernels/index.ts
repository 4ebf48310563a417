// Entry point of the WebAssembly kernels module (AssemblyScript).
export { slice_i420 } from './slice';
export { guided_apply } from './guided';
export { downscale_plane, downscale_mask } from './downscale';
export { smooth_mask, guided_fit } from './mask_fit';
