// Exact squared Euclidean distance transform (Felzenszwalb & Huttenlocher 2012), shared by
// the segmentation metrics (boundary F) and the evaluation harness (halo bands).

/** 1-D pass over f[0..n): d[q] = min_p (q − p)² + f[p]; v, z are scratch. */
function edt1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    while (s <= z[k]) {
      k--;
      s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    d[q] = (q - v[k]) ** 2 + f[v[k]];
  }
}

/** Squared distance (px²) from each pixel of a w x h image to the nearest pixel where `target` holds. */
export function squaredDistances(target: (i: number) => boolean, w: number, h: number): Float64Array {
  const INF = 1e20,
    m = Math.max(w, h);
  const g = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) g[i] = target(i) ? 0 : INF;
  const f = new Float64Array(m),
    d = new Float64Array(m),
    v = new Int32Array(m),
    z = new Float64Array(m + 1);
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) f[y] = g[y * w + x];
    edt1d(f, h, d, v, z);
    for (let y = 0; y < h; y++) g[y * w + x] = d[y];
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) f[x] = g[y * w + x];
    edt1d(f, w, d, v, z);
    for (let x = 0; x < w; x++) g[y * w + x] = d[x];
  }
  return g;
}
