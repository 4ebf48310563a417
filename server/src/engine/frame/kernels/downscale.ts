// AssemblyScript kernel (compiled to WebAssembly by `npm run build:wasm`).
// Area-averaging downscale (image/downscale.ts, Downscaler, which stays the reference): each
// output pixel is the mean of its footprint [x0, x1) x [y0, y1) of the input plane. The rows
// of an output row's footprint are summed into per-column sums 16 bytes at a time, then each
// output sums its columns. The arithmetic after the integer sums is f64, as in JavaScript, so
// the results are the reference's.
//
// bx, by: i32 pairs (lo, hi) per output column / row. acc: scratch of PW i32 (+16 bytes).

// Column sums of rows y0..y1-1 of a plane PW wide into acc.
function sumRows(src: usize, PW: i32, y0: i32, y1: i32, acc: usize): void {
  const full = PW & ~15;
  for (let y = y0; y < y1; y++) {
    const row = src + <usize>(y * PW);
    const first = y == y0;
    let x = 0;
    for (; x < full; x += 16) {
      const b = v128.load(row + <usize>x);
      const lo = i16x8.extend_low_i8x16_u(b), hi = i16x8.extend_high_i8x16_u(b);
      const a = acc + (<usize>x << 2);
      const s0 = i32x4.extend_low_i16x8_u(lo), s1 = i32x4.extend_high_i16x8_u(lo);
      const s2 = i32x4.extend_low_i16x8_u(hi), s3 = i32x4.extend_high_i16x8_u(hi);
      if (first) {
        v128.store(a, s0); v128.store(a, s1, 16); v128.store(a, s2, 32); v128.store(a, s3, 48);
      } else {
        v128.store(a, i32x4.add(v128.load(a), s0));
        v128.store(a, i32x4.add(v128.load(a, 16), s1), 16);
        v128.store(a, i32x4.add(v128.load(a, 32), s2), 32);
        v128.store(a, i32x4.add(v128.load(a, 48), s3), 48);
      }
    }
    for (; x < PW; x++) {
      const a = acc + (<usize>x << 2);
      const v = <i32>load<u8>(row + <usize>x);
      store<i32>(a, first ? v : load<i32>(a) + v);
    }
  }
}

@inline function sumCols(acc: usize, x0: i32, x1: i32): i32 {
  let s = 0;
  for (let x = x0; x < x1; x++) s += load<i32>(acc + (<usize>x << 2));
  return s;
}

/**
 * One plane into every 3rd float of out (starting at out), minus `offset`: the Y, U - 128 or
 * V - 128 channel of the interleaved low-res image.
 */
export function downscale_plane(src: usize, PW: i32, bx: usize, by: usize, w: i32, h: i32,
  acc: usize, out: usize, offset: f64): void {
  for (let oy = 0; oy < h; oy++) {
    const y0 = load<i32>(by + (<usize>oy << 3)), y1 = load<i32>(by + (<usize>oy << 3), 4);
    sumRows(src, PW, y0, y1, acc);
    const o = out + <usize>(oy * w * 12);
    for (let ox = 0; ox < w; ox++) {
      const x0 = load<i32>(bx + (<usize>ox << 3)), x1 = load<i32>(bx + (<usize>ox << 3), 4);
      const s = sumCols(acc, x0, x1);
      store<f32>(o + <usize>ox * 12, <f32>(<f64>s / <f64>((y1 - y0) * (x1 - x0)) - offset));
    }
  }
}

/** A mask plane to u8 means, rounded half up (Math.round). */
export function downscale_mask(src: usize, PW: i32, bx: usize, by: usize, w: i32, h: i32,
  acc: usize, out: usize): void {
  for (let oy = 0; oy < h; oy++) {
    const y0 = load<i32>(by + (<usize>oy << 3)), y1 = load<i32>(by + (<usize>oy << 3), 4);
    sumRows(src, PW, y0, y1, acc);
    for (let ox = 0; ox < w; ox++) {
      const x0 = load<i32>(bx + (<usize>ox << 3)), x1 = load<i32>(bx + (<usize>ox << 3), 4);
      const s = sumCols(acc, x0, x1);
      store<u8>(out + <usize>(oy * w + ox), <u8>Math.floor(<f64>s / <f64>((y1 - y0) * (x1 - x0)) + 0.5));
    }
  }
}
