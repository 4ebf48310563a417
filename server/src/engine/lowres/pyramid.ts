// Gaussian / Laplacian pyramids of planar float images (one channel per call).

export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

/** Blurs with [1 2 1]/4 in both directions and keeps every second pixel. */
export function downsample2(src: Plane): Plane {
  const { width: w, height: h, data } = src;
  const ow = Math.max(1, Math.ceil(w / 2)),
    oh = Math.max(1, Math.ceil(h / 2));
  const out = new Float32Array(ow * oh);
  const at = (x: number, y: number) => data[(y < 0 ? 0 : y >= h ? h - 1 : y) * w + (x < 0 ? 0 : x >= w ? w - 1 : x)];
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++) {
      const x = 2 * ox,
        y = 2 * oy;
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const wy = dy === 0 ? 2 : 1;
        s += wy * (at(x - 1, y + dy) + 2 * at(x, y + dy) + at(x + 1, y + dy));
      }
      out[oy * ow + ox] = s / 16;
    }
  return { width: ow, height: oh, data: out };
}

/** Bilinear upsampling to an exact size (pixel centres aligned). */
export function upsampleTo(src: Plane, width: number, height: number): Plane {
  const { width: w, height: h, data } = src;
  const out = new Float32Array(width * height);
  const sx = w / width,
    sy = h / height;
  for (let y = 0; y < height; y++) {
    let fy = (y + 0.5) * sy - 0.5;
    if (fy < 0) fy = 0;
    const y0 = Math.min(h - 1, Math.floor(fy)),
      y1 = Math.min(h - 1, y0 + 1),
      wy = fy - y0;
    for (let x = 0; x < width; x++) {
      let fx = (x + 0.5) * sx - 0.5;
      if (fx < 0) fx = 0;
      const x0 = Math.min(w - 1, Math.floor(fx)),
        x1 = Math.min(w - 1, x0 + 1),
        wx = fx - x0;
      const a = data[y0 * w + x0] + wx * (data[y0 * w + x1] - data[y0 * w + x0]);
      const b = data[y1 * w + x0] + wx * (data[y1 * w + x1] - data[y1 * w + x0]);
      out[y * width + x] = a + wy * (b - a);
    }
  }
  return { width, height, data: out };
}

/** Band-pass levels (finest first) and the low-pass residual. */
export interface Laplacian {
  bands: Plane[];
  residual: Plane;
}

export function laplacian(src: Plane, levels: number): Laplacian {
  const bands: Plane[] = [];
  let g = src;
  for (let l = 0; l < levels; l++) {
    const down = downsample2(g);
    const up = upsampleTo(down, g.width, g.height);
    const band = new Float32Array(g.data.length);
    for (let i = 0; i < band.length; i++) band[i] = g.data[i] - up.data[i];
    bands.push({ width: g.width, height: g.height, data: band });
    g = down;
  }
  return { bands, residual: g };
}

export function reconstruct(p: Laplacian): Plane {
  let g = p.residual;
  for (let l = p.bands.length - 1; l >= 0; l--) {
    const b = p.bands[l];
    const up = upsampleTo(g, b.width, b.height);
    for (let i = 0; i < up.data.length; i++) up.data[i] += b.data[i];
    g = up;
  }
  return g;
}

/** Resamples a weight map to a plane size by area averaging (nearest for upsampling). */
export function resampleWeights(w: Float32Array, width: number, height: number, ow: number, oh: number): Float32Array {
  const out = new Float32Array(ow * oh),
    cnt = new Float32Array(ow * oh);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = Math.min(oh - 1, Math.floor((y * oh) / height)) * ow + Math.min(ow - 1, Math.floor((x * ow) / width));
      out[o] += w[y * width + x];
      cnt[o]++;
    }
  for (let i = 0; i < out.length; i++) out[i] = cnt[i] ? out[i] / cnt[i] : 0;
  return out;
}
