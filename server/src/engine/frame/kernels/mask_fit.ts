// AssemblyScript kernels (compiled to WebAssembly by `npm run build:wasm`).
// The speaker mask's low-resolution steps after each model run, ported operation for
// operation from the JavaScript references (segmentation/mask_smoother.ts MaskSmoother.update
// and segmentation/guided_upsample.ts GuidedUpsampler.fit with its BoxFilter): f64 arithmetic
// and f32 storage as there, so the results are the same bits.
//
// Arrays are f32 unless said; `luma` is read every 3rd float (the interleaved low-res image).

// ---- temporal smoothing (MaskSmoother.update after its first frame) ----

export function smooth_mask(raw: usize, luma: usize, w: i32, h: i32, kept: usize, prev: usize,
  d: usize, m: usize, kStill: f64, stillBelow: f64, movingAbove: f64, r: i32): void {
  const n = w * h;
  for (let i = 0; i < n; i++) {
    const y = <f64>load<f32>(luma + <usize>i * 12);
    const p = prev + (<usize>i << 2);
    store<f32>(d + (<usize>i << 2), <f32>Math.abs(y - <f64>load<f32>(p)));
    store<f32>(p, <f32>y);
  }
  dilate(d, m, w, h, r);
  const span = movingAbove - stillBelow;
  for (let i = 0; i < n; i++) {
    let t = (<f64>load<f32>(m + (<usize>i << 2)) - stillBelow) / span;
    t = t <= 0 ? 0 : t >= 1 ? 1 : t * t * (3 - 2 * t);
    const k = kStill + (1 - kStill) * t;
    const o = kept + (<usize>i << 2);
    const old = <f64>load<f32>(o);
    store<f32>(o, <f32>(old + k * (<f64>load<u8>(raw + <usize>i) / 255 - old)));
  }
}

// Square max filter of half-width r: src -> out (src is scratch). The values are >= 0 (absolute
// differences), so the reference's max starting from 0 is the plain max: four pixels at a time
// with f32x4.max (no branches; the scalar compare-and-store was the largest part of the mask
// work in a 480p session's profile, and the whole smoothing step at 256x192 takes 0.36 ms
// instead of 0.55), the borders and a row's tail one by one.
function dilate(src: usize, out: usize, w: i32, h: i32, r: i32): void {
  for (let y = 0; y < h; y++) {
    const row = <usize>(y * w) << 2,
      s = src + row,
      o = out + row;
    let x = 0;
    for (; x < r && x < w; x++) store<f32>(o + (<usize>x << 2), rowMax(s, x, w, r));
    // quads whose windows lie inside the row: reads x - r .. x + 3 + r
    for (; x + r + 4 <= w; x += 4) {
      let v = v128.load(s + (<usize>(x - r) << 2));
      for (let k = 1 - r; k <= r; k++) v = f32x4.max(v, v128.load(s + (<usize>(x + k) << 2)));
      v128.store(o + (<usize>x << 2), v);
    }
    for (; x < w; x++) store<f32>(o + (<usize>x << 2), rowMax(s, x, w, r));
  }
  const W = w & ~3;
  for (let y = 0; y < h; y++) {
    const y0 = y - r < 0 ? 0 : y - r, y1 = y + r >= h ? h - 1 : y + r;
    const dst = src + (<usize>(y * w) << 2);
    for (let x = 0; x < W; x += 4) {
      let v = v128.load(out + (<usize>(y0 * w + x) << 2));
      for (let k = y0 + 1; k <= y1; k++) v = f32x4.max(v, v128.load(out + (<usize>(k * w + x) << 2)));
      v128.store(dst + (<usize>x << 2), v);
    }
    for (let x = W; x < w; x++) {
      let v = load<f32>(out + (<usize>(y0 * w + x) << 2));
      for (let k = y0 + 1; k <= y1; k++) v = Mathf.max(v, load<f32>(out + (<usize>(k * w + x) << 2)));
      store<f32>(dst + (<usize>x << 2), v);
    }
  }
  memory.copy(out, src, <usize>(w * h) << 2);
}

// The max of row s over [x - r, x + r], clamped to the row (at least 0).
@inline function rowMax(s: usize, x: i32, w: i32, r: i32): f32 {
  let v: f32 = 0;
  const x0 = x - r < 0 ? 0 : x - r, x1 = x + r >= w ? w - 1 : x + r;
  for (let k = x0; k <= x1; k++) v = Mathf.max(v, load<f32>(s + (<usize>k << 2)));
  return v;
}

// ---- the guided filter's coefficients (GuidedUpsampler.fit) ----

// In-place mean over a (2r+1)^2 window, clamped at the borders (BoxFilter.apply): tmp holds
// the horizontal pass, col one running sum per column (f32, as there), recX/recY the
// reciprocal counts (f32).
function box(s: usize, tmp: usize, col: usize, recX: usize, recY: usize, w: i32, h: i32, r: i32): void {
  for (let y = 0; y < h; y++) {
    const row = <usize>(y * w) << 2;
    let acc: f64 = 0;
    for (let x = 0; x <= r && x < w; x++) acc += <f64>load<f32>(s + row + (<usize>x << 2));
    for (let x = 0; x < w; x++) {
      store<f32>(tmp + row + (<usize>x << 2), <f32>(acc * <f64>load<f32>(recX + (<usize>x << 2))));
      if (x + r + 1 < w) acc += <f64>load<f32>(s + row + (<usize>(x + r + 1) << 2));
      if (x - r >= 0) acc -= <f64>load<f32>(s + row + (<usize>(x - r) << 2));
    }
  }
  memory.fill(col, 0, <usize>w << 2);
  for (let y = 0; y <= r && y < h; y++) addRow(col, tmp + (<usize>(y * w) << 2), w, 1);
  for (let y = 0; y < h; y++) {
    const row = s + (<usize>(y * w) << 2);
    const k = <f64>load<f32>(recY + (<usize>y << 2));
    for (let x = 0; x < w; x++) store<f32>(row + (<usize>x << 2), <f32>(<f64>load<f32>(col + (<usize>x << 2)) * k));
    if (y + r + 1 < h) addRow(col, tmp + (<usize>((y + r + 1) * w) << 2), w, 1);
    if (y - r >= 0) addRow(col, tmp + (<usize>((y - r) * w) << 2), w, -1);
  }
}

@inline function addRow(col: usize, src: usize, w: i32, sign: f64): void {
  for (let x = 0; x < w; x++) {
    const c = col + (<usize>x << 2);
    store<f32>(c, <f32>(<f64>load<f32>(c) + sign * <f64>load<f32>(src + (<usize>x << 2))));
  }
}

// 1 / (samples in the clamped window) per position, f32.
function reciprocals(out: usize, n: i32, r: i32): void {
  for (let i = 0; i < n; i++) {
    const hi = i + r < n - 1 ? i + r : n - 1, lo = i - r > 0 ? i - r : 0;
    store<f32>(out + (<usize>i << 2), <f32>(1.0 / <f64>(hi - lo + 1)));
  }
}

/**
 * Fits a, b (w x h = the mask pooled q x q) from the mask (sw x sh, 0..1) and the luma.
 * scratch: I, P, IP, II, tmp (w*h each), col (w), recX (w), recY (h), all f32, in that order.
 */
export function guided_fit(mask: usize, luma: usize, sw: i32, q: i32, w: i32, h: i32, r: i32,
  eps: f64, gain: f64, a: usize, b: usize, scratch: usize): void {
  const n = <usize>(w * h) << 2;
  const I = scratch, P = I + n, IP = P + n, II = IP + n, tmp = II + n;
  const col = tmp + n, recX = col + (<usize>w << 2), recY = recX + (<usize>w << 2);
  const inv = 1 / <f64>(q * q);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let si: f64 = 0, sp: f64 = 0, sip: f64 = 0, sii: f64 = 0;
      for (let j = 0; j < q; j++)
        for (let k = 0; k < q; k++) {
          const o = <usize>((y * q + j) * sw + x * q + k);
          const yv = <f64>load<f32>(luma + o * 12) / 255, p = <f64>load<f32>(mask + (o << 2));
          si += yv; sp += p; sip += yv * p; sii += yv * yv;
        }
      const i = <usize>(y * w + x) << 2;
      store<f32>(I + i, <f32>(si * inv)); store<f32>(P + i, <f32>(sp * inv));
      store<f32>(IP + i, <f32>(sip * inv)); store<f32>(II + i, <f32>(sii * inv));
    }
  reciprocals(recX, w, r);
  reciprocals(recY, h, r);
  box(I, tmp, col, recX, recY, w, h, r);
  box(P, tmp, col, recX, recY, w, h, r);
  box(IP, tmp, col, recX, recY, w, h, r);
  box(II, tmp, col, recX, recY, w, h, r);
  for (let i: usize = 0; i < n; i += 4) {
    const mi = <f64>load<f32>(I + i), mp = <f64>load<f32>(P + i);
    const ai = (<f64>load<f32>(IP + i) - mi * mp) / (<f64>load<f32>(II + i) - mi * mi + eps);
    store<f32>(a + i, <f32>ai);
    store<f32>(b + i, <f32>(mp - ai * mi));
  }
  box(a, tmp, col, recX, recY, w, h, r);
  box(b, tmp, col, recX, recY, w, h, r);
  for (let i: usize = 0; i < n; i += 4) {
    store<f32>(a + i, <f32>(<f64>load<f32>(a + i) * gain));
    store<f32>(b + i, <f32>(255 * (gain * (<f64>load<f32>(b + i) - 0.5) + 0.5)));
  }
}
