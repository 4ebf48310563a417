// AssemblyScript kernel (compiled to WebAssembly by `npm run build:wasm`).
// The guided filter's full-resolution pass (segmentation/guided_upsample.ts, GuidedUpsampler
// .apply, which stays the reference): mask = a * Y + b per pixel, with the low-res
// coefficients a, b (w x h, f32) interpolated bilinearly once per 2x2 block and applied to
// its four pixels; 8 pixels of a row (4 blocks) per SIMD step.
//
// x0Ptr, x1Ptr (i32), fxPtr (f32): per block column bx (BW = (W+1)/2 of them) the two low-res
// columns it interpolates and the weight (GuidedUpsampler's column table). rowPtr: scratch of
// 2 rows of w f32 (a, b of the block row) then 2 of BW f32 (av, bv per block), each padded to
// 4 floats. The caller adds 0.5 to b (rounding), as the reference does; at least 16 bytes of
// slack follow both a and b.

export function guided_apply(yPtr: usize, W: i32, H: i32, aPtr: usize, bPtr: usize, w: i32, h: i32,
  x0Ptr: usize, x1Ptr: usize, fxPtr: usize, rowPtr: usize, outPtr: usize): void {
  const BW = (W + 1) >> 1, BH = (H + 1) >> 1;
  // scratch rows, each padded to a multiple of 4 floats
  const wp = <usize>((w + 3) & ~3), BWp = <usize>((BW + 3) & ~3);
  const ra = rowPtr, rb = ra + (wp << 2), av = rb + (wp << 2), bv = av + (BWp << 2);
  const zero = i32x4.splat(0);
  for (let by = 0; by < BH; by++) {
    let sy = (<f32>by + <f32>0.5) * <f32>h / <f32>BH - <f32>0.5;
    if (sy < 0) sy = 0; else if (sy > <f32>(h - 1)) sy = <f32>(h - 1);
    const y0 = <i32>sy, y1 = y0 + 1 < h ? y0 + 1 : y0;
    const t = sy - <f32>y0, tv = f32x4.splat(t);
    const o0 = <usize>(y0 * w) << 2, o1 = <usize>(y1 * w) << 2;
    // vertical interpolation of the coefficient rows, 4 at a time (the last row's reads past
    // w land in the caller's slack)
    for (let x: usize = 0; x < wp << 2; x += 16) {
      const a0 = v128.load(aPtr + o0 + x), a1 = v128.load(aPtr + o1 + x);
      const b0 = v128.load(bPtr + o0 + x), b1 = v128.load(bPtr + o1 + x);
      v128.store(ra + x, f32x4.add(a0, f32x4.mul(tv, f32x4.sub(a1, a0))));
      v128.store(rb + x, f32x4.add(b0, f32x4.mul(tv, f32x4.sub(b1, b0))));
    }
    // horizontal, per block
    for (let bx = 0; bx < BW; bx++) {
      const c = <usize>bx << 2;
      const i0 = <usize>load<i32>(x0Ptr + c) << 2, i1 = <usize>load<i32>(x1Ptr + c) << 2, f = load<f32>(fxPtr + c);
      const a0 = load<f32>(ra + i0), b0 = load<f32>(rb + i0);
      store<f32>(av + (<usize>bx << 2), a0 + f * (load<f32>(ra + i1) - a0));
      store<f32>(bv + (<usize>bx << 2), b0 + f * (load<f32>(rb + i1) - b0));
    }
    const r0 = <usize>(2 * by * W), r1 = 2 * by + 1 < H ? r0 + <usize>W : r0;
    // 4 blocks = 8 pixels per step; the tail (W not a multiple of 8) block by block
    const full = (W >> 3) << 2;
    let bx = 0;
    for (; bx < full; bx += 4) {
      const A = v128.load(av + (<usize>bx << 2)), B = v128.load(bv + (<usize>bx << 2));
      // per pixel: each block's coefficient twice
      const aLo = v128.shuffle<f32>(A, A, 0, 0, 1, 1), aHi = v128.shuffle<f32>(A, A, 2, 2, 3, 3);
      const bLo = v128.shuffle<f32>(B, B, 0, 0, 1, 1), bHi = v128.shuffle<f32>(B, B, 2, 2, 3, 3);
      const X = <usize>(bx << 1);
      row8(yPtr + r0 + X, outPtr + r0 + X, aLo, aHi, bLo, bHi, zero);
      if (r1 != r0) row8(yPtr + r1 + X, outPtr + r1 + X, aLo, aHi, bLo, bHi, zero);
    }
    for (; bx < BW; bx++) {
      const a = load<f32>(av + (<usize>bx << 2)), b = load<f32>(bv + (<usize>bx << 2));
      const X0 = <usize>(bx << 1), X1 = 2 * bx + 1 < W ? X0 + 1 : X0;
      px(yPtr, outPtr, r0 + X0, a, b); px(yPtr, outPtr, r0 + X1, a, b);
      px(yPtr, outPtr, r1 + X0, a, b); px(yPtr, outPtr, r1 + X1, a, b);
    }
  }
}

@inline function row8(src: usize, dst: usize, aLo: v128, aHi: v128, bLo: v128, bHi: v128, zero: v128): void {
  const y16 = i16x8.extend_low_i8x16_u(v128.load64_zero(src));
  const yLo = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(y16));
  const yHi = f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(y16));
  const qLo = i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.mul(aLo, yLo), bLo));
  const qHi = i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.mul(aHi, yHi), bHi));
  // saturating narrows clamp to 0..255 (negative -> 0)
  const q16 = i16x8.narrow_i32x4_s(qLo, qHi);
  v128.store64_lane(dst, i8x16.narrow_i16x8_u(q16, zero), 0);
}

@inline function px(yPtr: usize, outPtr: usize, i: usize, a: f32, b: f32): void {
  const q = a * <f32>load<u8>(yPtr + i) + b;
  store<u8>(outPtr + i, q <= 0 ? 0 : (q >= 255 ? 255 : <u8><i32>q));
}
