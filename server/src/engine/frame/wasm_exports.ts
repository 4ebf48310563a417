// The exports of dist/wasm/kernels.wasm (built from ./kernels), as wasm_kernels.ts calls them:
// pointers and sizes in bytes and elements of the module's linear memory.
export interface KernelExports {
  memory: WebAssembly.Memory;
  slice_i420(
    yPtr: number,
    uPtr: number,
    vPtr: number,
    W: number,
    H: number,
    gridPtr: number,
    NX: number,
    NY: number,
    NZ: number,
    zyPtr: number,
    zmPtr: number,
    maskPtr: number,
    tileClassPtr: number,
    mConst: number,
    tablePtr: number,
  ): void;
  guided_apply(
    yPtr: number,
    W: number,
    H: number,
    aPtr: number,
    bPtr: number,
    w: number,
    h: number,
    x0Ptr: number,
    x1Ptr: number,
    fxPtr: number,
    rowPtr: number,
    outPtr: number,
  ): void;
  downscale_plane(
    src: number,
    PW: number,
    bx: number,
    by: number,
    w: number,
    h: number,
    acc: number,
    out: number,
    offset: number,
  ): void;
  smooth_mask(
    raw: number,
    luma: number,
    w: number,
    h: number,
    kept: number,
    prev: number,
    d: number,
    m: number,
    kStill: number,
    stillBelow: number,
    movingAbove: number,
    r: number,
  ): void;
  guided_fit(
    mask: number,
    luma: number,
    sw: number,
    q: number,
    w: number,
    h: number,
    r: number,
    eps: number,
    gain: number,
    a: number,
    b: number,
    scratch: number,
  ): void;
  downscale_mask(src: number, PW: number, bx: number, by: number, w: number, h: number, acc: number, out: number): void;
}
