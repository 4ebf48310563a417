// Optical flow for the warping error: exact flows of the synthetic clips are built by the clip
// makers (clips.ts); real clips get an estimate from a dense pyramidal Lucas–Kanade flow
// (Bouguet-style coarse-to-fine, box windows, Tikhonov-regularised 2×2 solves) with a
// forward–backward consistency check for occlusions (Sundaram et al. 2010, as in Lai et al.
// 2018). No Farnebäck, no learned flow.

/**
 * Backward flow of frame t: pixel (x, y) of frame t shows what frame t−1 shows at
 * (x + u, y + v).
 */
export interface Flow {
  width: number;
  height: number;
  u: Float32Array;
  v: Float32Array;
}

export function constantFlow(width: number, height: number, u: number, v: number): Flow {
  return { width, height, u: new Float32Array(width * height).fill(u), v: new Float32Array(width * height).fill(v) };
}

/** Bilinear sample of a single-channel float image (edge-clamped). */
function sample1(img: Float32Array, w: number, h: number, x: number, y: number): number {
  x = x < 0 ? 0 : x > w - 1 ? w - 1 : x;
  y = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
  const x0 = Math.floor(x),
    y0 = Math.floor(y),
    x1 = x0 + 1 < w ? x0 + 1 : x0,
    y1 = y0 + 1 < h ? y0 + 1 : y0;
  const fx = x - x0,
    fy = y - y0;
  const a = img[y0 * w + x0] + fx * (img[y0 * w + x1] - img[y0 * w + x0]);
  const b = img[y1 * w + x0] + fx * (img[y1 * w + x1] - img[y1 * w + x0]);
  return a + fy * (b - a);
}

/** Warps interleaved RGB (float) of frame t−1 into frame t's pixel grid by the flow (bilinear). */
export function warpRgb(prev: Float32Array, flow: Flow): Float32Array {
  const { width: w, height: h } = flow,
    out = new Float32Array(prev.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let sx = x + flow.u[i],
        sy = y + flow.v[i];
      sx = sx < 0 ? 0 : sx > w - 1 ? w - 1 : sx;
      sy = sy < 0 ? 0 : sy > h - 1 ? h - 1 : sy;
      const x0 = Math.floor(sx),
        y0 = Math.floor(sy),
        x1 = x0 + 1 < w ? x0 + 1 : x0,
        y1 = y0 + 1 < h ? y0 + 1 : y0;
      const fx = sx - x0,
        fy = sy - y0;
      for (let c = 0; c < 3; c++) {
        const a = prev[3 * (y0 * w + x0) + c] + fx * (prev[3 * (y0 * w + x1) + c] - prev[3 * (y0 * w + x0) + c]);
        const b = prev[3 * (y1 * w + x0) + c] + fx * (prev[3 * (y1 * w + x1) + c] - prev[3 * (y1 * w + x0) + c]);
        out[3 * i + c] = a + fy * (b - a);
      }
    }
  return out;
}

/** 1 where (x + u, y + v) lies inside the frame. */
export function inFrame(flow: Flow, margin = 0): Uint8Array {
  const { width: w, height: h } = flow,
    out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x,
        sx = x + flow.u[i],
        sy = y + flow.v[i];
      out[i] = sx >= margin && sx <= w - 1 - margin && sy >= margin && sy <= h - 1 - margin ? 1 : 0;
    }
  return out;
}

// ---- pyramidal Lucas–Kanade ----

interface Level {
  img: Float32Array;
  w: number;
  h: number;
}

function pyramid(img: Float32Array, w: number, h: number, levels: number): Level[] {
  const out: Level[] = [{ img, w, h }];
  for (let l = 1; l < levels; l++) {
    const p = out[l - 1],
      W = p.w >> 1,
      H = p.h >> 1;
    if (W < 16 || H < 16) break;
    const d = new Float32Array(W * H);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = 2 * y * p.w + 2 * x;
        d[y * W + x] = (p.img[i] + p.img[i + 1] + p.img[i + p.w] + p.img[i + p.w + 1]) / 4;
      }
    out.push({ img: d, w: W, h: H });
  }
  return out;
}

/** Box sum over a (2r+1)² window (edge-clamped), separable running sums. */
function boxSum(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const tmp = new Float32Array(w * h),
    out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    let s = 0;
    for (let k = -r; k <= r; k++) s += src[y * w + Math.min(w - 1, Math.max(0, k))];
    for (let x = 0; x < w; x++) {
      tmp[y * w + x] = s;
      s += src[y * w + Math.min(w - 1, x + r + 1)] - src[y * w + Math.max(0, x - r)];
    }
  }
  for (let x = 0; x < w; x++) {
    let s = 0;
    for (let k = -r; k <= r; k++) s += tmp[Math.min(h - 1, Math.max(0, k)) * w + x];
    for (let y = 0; y < h; y++) {
      out[y * w + x] = s;
      s += tmp[Math.min(h - 1, y + r + 1) * w + x] - tmp[Math.max(0, y - r) * w + x];
    }
  }
  return out;
}

export interface LkOptions {
  levels: number;
  iterations: number;
  radius: number;
  lambda: number;
}
const LK_DEFAULT: LkOptions = { levels: 4, iterations: 4, radius: 4, lambda: 1 };

/**
 * Dense pyramidal Lucas–Kanade: the flow of `cur` (frame t) into `prev` (frame t−1), both
 * luma planes (0..255), such that prev(x + f(x)) ≈ cur(x). Per level, coarse to fine: warp
 * prev by the current flow, then per pixel solve the 2×2 normal equations of the linearised
 * brightness constancy summed over a (2·radius+1)² box window, with `lambda`·window-area added
 * to the diagonal (flat regions keep the coarser estimate).
 */
export function lucasKanade(
  prev: Uint8Array,
  cur: Uint8Array,
  w: number,
  h: number,
  opt: Partial<LkOptions> = {},
): Flow {
  const o = { ...LK_DEFAULT, ...opt };
  const P = pyramid(Float32Array.from(prev), w, h, o.levels),
    C = pyramid(Float32Array.from(cur), w, h, o.levels);
  let u = new Float32Array(P[P.length - 1].w * P[P.length - 1].h),
    v = new Float32Array(u.length);
  for (let l = P.length - 1; l >= 0; l--) {
    const { w: lw, h: lh, img: pi } = P[l],
      ci = C[l].img,
      n = lw * lh;
    if (l < P.length - 1) {
      // upsample the coarser flow ×2
      const cw = P[l + 1].w,
        ch = P[l + 1].h,
        nu = new Float32Array(n),
        nv = new Float32Array(n);
      for (let y = 0; y < lh; y++)
        for (let x = 0; x < lw; x++) {
          const sx = (x + 0.5) / 2 - 0.5,
            sy = (y + 0.5) / 2 - 0.5;
          nu[y * lw + x] = 2 * sample1(u, cw, ch, sx, sy);
          nv[y * lw + x] = 2 * sample1(v, cw, ch, sx, sy);
        }
      u = nu;
      v = nv;
    }
    const gxx = new Float32Array(n),
      gxy = new Float32Array(n),
      gyy = new Float32Array(n),
      gxt = new Float32Array(n),
      gyt = new Float32Array(n);
    const area = (2 * o.radius + 1) ** 2;
    for (let it = 0; it < o.iterations; it++) {
      // warped prev and its gradients (central differences of the warped image)
      const wp = new Float32Array(n);
      for (let y = 0; y < lh; y++)
        for (let x = 0; x < lw; x++) wp[y * lw + x] = sample1(pi, lw, lh, x + u[y * lw + x], y + v[y * lw + x]);
      for (let y = 0; y < lh; y++)
        for (let x = 0; x < lw; x++) {
          const i = y * lw + x;
          const gx = (wp[y * lw + Math.min(lw - 1, x + 1)] - wp[y * lw + Math.max(0, x - 1)]) / 2;
          const gy = (wp[Math.min(lh - 1, y + 1) * lw + x] - wp[Math.max(0, y - 1) * lw + x]) / 2;
          const et = wp[i] - ci[i];
          gxx[i] = gx * gx;
          gxy[i] = gx * gy;
          gyy[i] = gy * gy;
          gxt[i] = gx * et;
          gyt[i] = gy * et;
        }
      const sxx = boxSum(gxx, lw, lh, o.radius),
        sxy = boxSum(gxy, lw, lh, o.radius),
        syy = boxSum(gyy, lw, lh, o.radius);
      const sxt = boxSum(gxt, lw, lh, o.radius),
        syt = boxSum(gyt, lw, lh, o.radius);
      const reg = o.lambda * area;
      for (let i = 0; i < n; i++) {
        const a = sxx[i] + reg,
          b = sxy[i],
          d = syy[i] + reg,
          det = a * d - b * b;
        // solve [a b; b d] Δ = −[sxt; syt]
        const du = (-(d * sxt[i]) + b * syt[i]) / det,
          dv = (b * sxt[i] - a * syt[i]) / det;
        u[i] += Math.max(-2, Math.min(2, du));
        v[i] += Math.max(-2, Math.min(2, dv));
      }
    }
  }
  return { width: w, height: h, u, v };
}

/**
 * Non-occlusion mask from a forward–backward check (Sundaram et al. 2010): `back` maps frame t
 * into t−1, `fwd` maps frame t−1 into t; a pixel of t is valid when its round trip returns
 * within |b + f|² < 0.01 (|b|² + |f|²) + 0.5 px² and its source lies inside the frame.
 */
export function consistentMask(back: Flow, fwd: Flow): Uint8Array {
  const { width: w, height: h } = back,
    out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x,
        sx = x + back.u[i],
        sy = y + back.v[i];
      if (sx < 0 || sx > w - 1 || sy < 0 || sy > h - 1) continue;
      const fu = sample1(fwd.u, w, h, sx, sy),
        fv = sample1(fwd.v, w, h, sx, sy);
      const du = back.u[i] + fu,
        dv = back.v[i] + fv;
      const mag = back.u[i] ** 2 + back.v[i] ** 2 + fu * fu + fv * fv;
      out[i] = du * du + dv * dv < 0.01 * mag + 0.5 ? 1 : 0;
    }
  return out;
}

/** Estimated flow of frame t into t−1 and its validity, from the two luma planes. */
export function estimateFlow(
  prevY: Uint8Array,
  curY: Uint8Array,
  w: number,
  h: number,
): { flow: Flow; valid: Uint8Array } {
  const back = lucasKanade(prevY, curY, w, h),
    fwd = lucasKanade(curY, prevY, w, h);
  return { flow: back, valid: consistentMask(back, fwd) };
}
