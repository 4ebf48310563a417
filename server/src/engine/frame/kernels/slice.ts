// AssemblyScript kernel (compiled to WebAssembly by `npm run build:wasm`).
// Slices an affine bilateral grid at every pixel of an I420 frame, in place.
//
// Grid layout: f32 [NY][NX][NZ][12]; coefficients 0..3 give Y', 4..7 give U'-128,
// 8..11 give V'-128, each as a dot product with (Y, U-128, V-128, 1).
// Guide: z (in grid units, fixed point x256) = zY[Y] + zM[m], where m is the
// speaker mask (0..255) of the pixel; the caller builds both lookup tables.
// Work is done in 8x8 tiles: the grid is interpolated bilinearly in (x, y) once
// per tile, at its centre, for the z nodes the tile touches; each pixel then
// interpolates linearly in z and applies its affine transform. Chroma uses the
// mean z of its 2x2 luma quad. Full tiles (all but the frame's right and bottom edges)
// go four pixels per SIMD vector, each lane's z node picked by comparisons: the same
// bytes as the scalar path (test/engine/slice.test.ts checks both against a TypeScript
// port, test/support/tiled_slice.ts), ~40 % less time on the webcam clip.

const T: i32 = 8;
const NODE_BYTES: i32 = 96; // 12 values + 12 deltas to the next node, f32

@inline function clampByte(r: f32): u8 {
  const v = <i32>(r + <f32>0.5);
  return <u8>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

@inline function zAt(zyPtr: usize, zmPtr: usize, y: u32, m: u32, zMax: i32): i32 {
  const z = load<i32>(zyPtr + (<usize>y << 2)) + load<i32>(zmPtr + (<usize>m << 2));
  return z < 0 ? 0 : (z > zMax ? zMax : z);
}

// Builds the per-tile table for nodes k0..k1 (inclusive) at grid position (gx, gy).
function buildTable(gridPtr: usize, NX: i32, NY: i32, NZ: i32, gx: f32, gy: f32,
  k0: i32, k1: i32, tablePtr: usize): void {
  let ix = <i32>gx; if (ix > NX - 2) ix = NX - 2; if (ix < 0) ix = 0;
  let iy = <i32>gy; if (iy > NY - 2) iy = NY - 2; if (iy < 0) iy = 0;
  const wx = gx - <f32>ix, wy = gy - <f32>iy;
  const w00 = f32x4.splat((<f32>1 - wx) * (<f32>1 - wy)), w10 = f32x4.splat(wx * (<f32>1 - wy));
  const w01 = f32x4.splat((<f32>1 - wx) * wy), w11 = f32x4.splat(wx * wy);
  const sx: usize = <usize>(NZ * 48), sy: usize = <usize>(NX * NZ * 48);
  const base: usize = gridPtr + <usize>((iy * NX + ix) * NZ) * 48;
  let kEnd = k1 + 1; if (kEnd > NZ - 1) kEnd = NZ - 1;
  for (let k = k0; k <= kEnd; k++) {
    const p = base + <usize>k * 48;
    const o = tablePtr + <usize>k * NODE_BYTES;
    for (let c: usize = 0; c < 48; c += 16) {
      const v = f32x4.add(
        f32x4.add(f32x4.mul(v128.load(p + c), w00), f32x4.mul(v128.load(p + sx + c), w10)),
        f32x4.add(f32x4.mul(v128.load(p + sy + c), w01), f32x4.mul(v128.load(p + sx + sy + c), w11)));
      v128.store(o + c, v);
      if (k > k0) v128.store(o - NODE_BYTES + 48 + c, f32x4.sub(v, v128.load(o - NODE_BYTES + c)));
    }
  }
  // the last node gets a zero delta (only reached when z sits exactly on it)
  const last = tablePtr + <usize>kEnd * NODE_BYTES;
  v128.store(last + 48, f32x4.splat(0)); v128.store(last + 64, f32x4.splat(0)); v128.store(last + 80, f32x4.splat(0));
}


// Scratch for the z values of one full tile (64 pixels).
const zbuf = memory.data(64 * 4, 16);

// 4 bytes as f32 lanes.
@inline function bytes4(p: usize): v128 {
  return f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p))));
}

// A 2x2 quad's chroma: its mean z (zq) and mean input luma (yq), its input u, v (minus 128).
@inline function chromaOut(uPtr: usize, vPtr: usize, ci: usize, zq: i32, tablePtr: usize, yq: f32, u: f32, v: f32): void {
  const o = tablePtr + <usize>(zq >> 8) * NODE_BYTES;
  const w = <f32>(zq & 255) * <f32>0.00390625;
  const ru = (load<f32>(o, 16) + load<f32>(o, 64) * w) * yq + (load<f32>(o, 20) + load<f32>(o, 68) * w) * u
    + (load<f32>(o, 24) + load<f32>(o, 72) * w) * v + (load<f32>(o, 28) + load<f32>(o, 76) * w);
  const rv = (load<f32>(o, 32) + load<f32>(o, 80) * w) * yq + (load<f32>(o, 36) + load<f32>(o, 84) * w) * u
    + (load<f32>(o, 40) + load<f32>(o, 88) * w) * v + (load<f32>(o, 44) + load<f32>(o, 92) * w);
  store<u8>(uPtr + ci, clampByte(ru + <f32>128));
  store<u8>(vPtr + ci, clampByte(rv + <f32>128));
}

// Four outputs of one affine row (coefficients at `off` in each node: 0 for Y', 16 for U'-128,
// 32 for V'-128) for inputs yf, u, v at z (i32 lanes), in a tile whose z values fall in the
// cells k0..k1: the scalar path's arithmetic (the partial tiles' luma, chromaOut), operation
// for operation, each lane's node picked by comparisons instead of loads. Returns
// round(r + bias) as i32 lanes.
@inline function affine4(yf: v128, u: v128, v: v128, z: v128, tablePtr: usize, k0: i32, k1: i32, off: usize, bias: f32): v128 {
  let o = tablePtr + <usize>k0 * NODE_BYTES + off;
  let a = f32x4.splat(load<f32>(o)), da = f32x4.splat(load<f32>(o, 48));
  let b = f32x4.splat(load<f32>(o, 4)), db = f32x4.splat(load<f32>(o, 52));
  let c = f32x4.splat(load<f32>(o, 8)), dc = f32x4.splat(load<f32>(o, 56));
  let d = f32x4.splat(load<f32>(o, 12)), dd = f32x4.splat(load<f32>(o, 60));
  const cell = i32x4.shr_s(z, 8);
  for (let k = k0 + 1; k <= k1; k++) {
    o += NODE_BYTES;
    const m = i32x4.ge_s(cell, i32x4.splat(k));
    a = v128.bitselect(f32x4.splat(load<f32>(o)), a, m); da = v128.bitselect(f32x4.splat(load<f32>(o, 48)), da, m);
    b = v128.bitselect(f32x4.splat(load<f32>(o, 4)), b, m); db = v128.bitselect(f32x4.splat(load<f32>(o, 52)), db, m);
    c = v128.bitselect(f32x4.splat(load<f32>(o, 8)), c, m); dc = v128.bitselect(f32x4.splat(load<f32>(o, 56)), dc, m);
    d = v128.bitselect(f32x4.splat(load<f32>(o, 12)), d, m); dd = v128.bitselect(f32x4.splat(load<f32>(o, 60)), dd, m);
  }
  const w = f32x4.mul(f32x4.convert_i32x4_s(v128.and(z, i32x4.splat(255))), f32x4.splat(<f32>0.00390625));
  const r = f32x4.add(f32x4.add(f32x4.add(
    f32x4.mul(f32x4.add(a, f32x4.mul(da, w)), yf),
    f32x4.mul(f32x4.add(b, f32x4.mul(db, w)), u)),
    f32x4.mul(f32x4.add(c, f32x4.mul(dc, w)), v)),
    f32x4.add(d, f32x4.mul(dd, w)));
  return i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.add(r, f32x4.splat(bias)), f32x4.splat(<f32>0.5)));
}

// i32 lanes to bytes, clamped to 0..255 (clampByte's clamp: the narrows saturate).
@inline function bytes8(lo: v128, hi: v128): v128 {
  const n = i16x8.narrow_i32x4_s(lo, hi);
  return i8x16.narrow_i16x8_u(n, n);
}

// A full tile whose z values (in zbuf) fall in the cells k0..k1, four pixels per vector: the
// same bytes as the scalar path (each quad's chroma from its mean z and mean input luma).
function vectorTile(yPtr: usize, uPtr: usize, vPtr: usize, W: i32, CW: i32, x0: i32, y0: i32,
  tablePtr: usize, k0: i32, k1: i32): void {
  for (let r = 0; r < T; r += 2) {
    const row0 = <usize>((y0 + r) * W + x0), row1 = row0 + <usize>W;
    const ci = <usize>(((y0 + r) >> 1) * CW + (x0 >> 1));
    const zr = zbuf + <usize>(r * T * 4);
    const y0v = v128.load8x8_u(yPtr + row0), y1v = v128.load8x8_u(yPtr + row1);
    const u4 = f32x4.sub(bytes4(uPtr + ci), f32x4.splat(<f32>128));
    const v4 = f32x4.sub(bytes4(vPtr + ci), f32x4.splat(<f32>128));
    const uLo = v128.shuffle<f32>(u4, u4, 0, 0, 1, 1), uHi = v128.shuffle<f32>(u4, u4, 2, 2, 3, 3);
    const vLo = v128.shuffle<f32>(v4, v4, 0, 0, 1, 1), vHi = v128.shuffle<f32>(v4, v4, 2, 2, 3, 3);
    const za = v128.load(zr), zb = v128.load(zr, 16), zc = v128.load(zr, 32), zd = v128.load(zr, 48);
    const out0 = bytes8(
      affine4(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(y0v)), uLo, vLo, za, tablePtr, k0, k1, 0, 0),
      affine4(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(y0v)), uHi, vHi, zb, tablePtr, k0, k1, 0, 0));
    const out1 = bytes8(
      affine4(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(y1v)), uLo, vLo, zc, tablePtr, k0, k1, 0, 0),
      affine4(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(y1v)), uHi, vHi, zd, tablePtr, k0, k1, 0, 0));
    // the quads: mean z ((sum of 4) >> 2) and mean input luma (sum of 4, * 0.25)
    const sLo = i32x4.add(za, zc), sHi = i32x4.add(zb, zd);
    const zq = i32x4.shr_s(i32x4.add(v128.shuffle<i32>(sLo, sHi, 0, 2, 4, 6), v128.shuffle<i32>(sLo, sHi, 1, 3, 5, 7)), 2);
    const yq = f32x4.mul(f32x4.convert_i32x4_u(i32x4.extadd_pairwise_i16x8_u(i16x8.add(y0v, y1v))), f32x4.splat(<f32>0.25));
    const ou = affine4(yq, u4, v4, zq, tablePtr, k0, k1, 16, 128);
    const ov = affine4(yq, u4, v4, zq, tablePtr, k0, k1, 32, 128);
    v128.store64_lane(yPtr + row0, out0, 0);
    v128.store64_lane(yPtr + row1, out1, 0);
    v128.store32_lane(uPtr + ci, bytes8(ou, ou), 0);
    v128.store32_lane(vPtr + ci, bytes8(ov, ov), 0);
  }
}

// A full 8x8 tile (both dimensions inside the frame): z computed once into zbuf, then the
// tile's z range, its table and its pixels.
function fullTile(yPtr: usize, uPtr: usize, vPtr: usize, W: i32, CW: i32, x0: i32, y0: i32,
  gridPtr: usize, NX: i32, NY: i32, NZ: i32, gx: f32, gy: f32, zyPtr: usize, zmPtr: usize,
  maskPtr: usize, m: u32, zMax: i32, tablePtr: usize): void {
  const zmConst = load<i32>(zmPtr + (<usize>m << 2));
  for (let r = 0; r < T; r++) {
    const row = <usize>((y0 + r) * W + x0);
    for (let c = 0; c < T; c++) {
      const z = load<i32>(zyPtr + (<usize>load<u8>(yPtr + row + <usize>c) << 2));
      store<i32>(zbuf + <usize>((r * T + c) << 2),
        z + (maskPtr != 0 ? load<i32>(zmPtr + (<usize>load<u8>(maskPtr + row + <usize>c) << 2)) : zmConst));
    }
  }
  // clamped to 0..zMax (zAt), and the tile's range
  const lo = i32x4.splat(0), hi = i32x4.splat(zMax);
  let vLo = i32x4.splat(0x7fffffff), vHi = i32x4.splat(-1);
  for (let i: usize = 0; i < 256; i += 16) {
    const z = i32x4.min_s(i32x4.max_s(v128.load(zbuf + i), lo), hi);
    v128.store(zbuf + i, z);
    vLo = i32x4.min_s(vLo, z);
    vHi = i32x4.max_s(vHi, z);
  }
  vLo = i32x4.min_s(vLo, v128.shuffle<i32>(vLo, vLo, 2, 3, 0, 1));
  vHi = i32x4.max_s(vHi, v128.shuffle<i32>(vHi, vHi, 2, 3, 0, 1));
  const zLo = min(i32x4.extract_lane(vLo, 0), i32x4.extract_lane(vLo, 1));
  const zHi = max(i32x4.extract_lane(vHi, 0), i32x4.extract_lane(vHi, 1));
  buildTable(gridPtr, NX, NY, NZ, gx, gy, zLo >> 8, zHi >> 8, tablePtr);
  vectorTile(yPtr, uPtr, vPtr, W, CW, x0, y0, tablePtr, zLo >> 8, zHi >> 8);
}

/**
 * maskPtr: u8 plane W*H (0 = background, 255 = speaker) or 0 to use mConst everywhere.
 * tileClassPtr: u8 per 8x8 tile (0: all background, 1: all speaker, 2: mixed) or 0 to
 * read the mask everywhere. tablePtr: scratch of NZ*96 bytes.
 */
export function slice_i420(yPtr: usize, uPtr: usize, vPtr: usize, W: i32, H: i32,
  gridPtr: usize, NX: i32, NY: i32, NZ: i32, zyPtr: usize, zmPtr: usize,
  maskPtr: usize, tileClassPtr: usize, mConst: i32, tablePtr: usize): void {
  const CW = (W + 1) >> 1;
  const zMax = (NZ - 1) * 256 - 1;
  const sx: f32 = W > 1 ? <f32>(NX - 1) / <f32>(W - 1) : <f32>0;
  const sy: f32 = H > 1 ? <f32>(NY - 1) / <f32>(H - 1) : <f32>0;
  const TW = (W + T - 1) / T;
  for (let ty = 0; ty * T < H; ty++) {
    const y0 = ty * T; const y1 = min(y0 + T, H);
    const gy = (<f32>(y0 + y1 - 1) * <f32>0.5) * sy;
    for (let tx = 0; tx < TW; tx++) {
      const x0 = tx * T; const x1 = min(x0 + T, W);
      const gx = (<f32>(x0 + x1 - 1) * <f32>0.5) * sx;
      // mask source for this tile
      let useMask = maskPtr != 0;
      let m: u32 = <u32>mConst;
      if (useMask && tileClassPtr != 0) {
        const cls = load<u8>(tileClassPtr + <usize>(ty * TW + tx));
        if (cls == 0) { useMask = false; m = 0; } else if (cls == 1) { useMask = false; m = 255; }
      }
      if (x1 - x0 == T && y1 - y0 == T) {
        fullTile(yPtr, uPtr, vPtr, W, CW, x0, y0, gridPtr, NX, NY, NZ, gx, gy, zyPtr, zmPtr,
          useMask ? maskPtr : 0, m, zMax, tablePtr);
        continue;
      }
      // z range of the tile
      let zLo: i32 = 0x7fffffff, zHi: i32 = -1;
      for (let y = y0; y < y1; y++) {
        const row = <usize>(y * W);
        for (let x = x0; x < x1; x++) {
          const mm: u32 = useMask ? <u32>load<u8>(maskPtr + row + <usize>x) : m;
          const z = zAt(zyPtr, zmPtr, <u32>load<u8>(yPtr + row + <usize>x), mm, zMax);
          if (z < zLo) zLo = z; if (z > zHi) zHi = z;
        }
      }
      const k0 = zLo >> 8, k1 = zHi >> 8;
      buildTable(gridPtr, NX, NY, NZ, gx, gy, k0, k1, tablePtr);
      // pixels, one 2x2 quad at a time
      for (let y = y0; y < y1; y += 2) {
        const hasRow2 = y + 1 < y1;
        const crow = <usize>((y >> 1) * CW);
        for (let x = x0; x < x1; x += 2) {
          const hasCol2 = x + 1 < x1;
          const ci = crow + <usize>(x >> 1);
          const u: f32 = <f32>load<u8>(uPtr + ci) - <f32>128, v: f32 = <f32>load<u8>(vPtr + ci) - <f32>128;
          let zSum: i32 = 0, ySum: u32 = 0, n: i32 = 0;
          for (let dy = 0; dy < 2; dy++) {
            if (dy == 1 && !hasRow2) break;
            const row = <usize>((y + dy) * W);
            for (let dx = 0; dx < 2; dx++) {
              if (dx == 1 && !hasCol2) break;
              const pi = row + <usize>(x + dx);
              const yy = <u32>load<u8>(yPtr + pi);
              const mm: u32 = useMask ? <u32>load<u8>(maskPtr + pi) : m;
              const z = zAt(zyPtr, zmPtr, yy, mm, zMax);
              zSum += z; ySum += yy; n++;
              const o = tablePtr + <usize>(z >> 8) * NODE_BYTES;
              const w = <f32>(z & 255) * <f32>0.00390625;
              const yf = <f32>yy;
              const r = (load<f32>(o) + load<f32>(o, 48) * w) * yf + (load<f32>(o, 4) + load<f32>(o, 52) * w) * u
                + (load<f32>(o, 8) + load<f32>(o, 56) * w) * v + (load<f32>(o, 12) + load<f32>(o, 60) * w);
              store<u8>(yPtr + pi, clampByte(r));
            }
          }
          // chroma: the quad's mean z and mean input luma
          chromaOut(uPtr, vPtr, ci, zSum / n, tablePtr, <f32>ySum / <f32>n, u, v);
        }
      }
    }
  }
}
