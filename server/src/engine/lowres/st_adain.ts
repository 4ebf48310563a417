// Spatiotemporal AdaIN (Xia et al. 2021, eq. 2-6) on CHW feature maps.
// SA-AdaIN: the content statistics of a region are computed under its soft mask, so the
// speaker's statistics are not polluted by the background (no halo). TC-AdaIN: they are
// blended with the previous update's statistics by alpha, which damps flicker.

/** Per-channel mean and standard deviation. */
export interface ChannelStats {
  mean: Float32Array;
  std: Float32Array;
}

export function channelStats(channels: number): ChannelStats {
  return { mean: new Float32Array(channels), std: new Float32Array(channels) };
}

/**
 * Masked statistics of a CHW feature map: mean and std of each channel weighted by `weights`
 * (length h*w, 0..1; all ones when omitted). Returns the total weight.
 */
export function maskedStats(
  feat: Float32Array,
  channels: number,
  hw: number,
  weights: Float32Array | null,
  out: ChannelStats,
  eps = 1e-5,
): number {
  let wsum = 0;
  if (weights) for (let i = 0; i < hw; i++) wsum += weights[i];
  else wsum = hw;
  for (let c = 0; c < channels; c++) {
    const o = c * hw;
    let s = 0,
      s2 = 0;
    if (weights) {
      for (let i = 0; i < hw; i++) {
        const w = weights[i],
          v = feat[o + i];
        s += w * v;
        s2 += w * v * v;
      }
    } else {
      for (let i = 0; i < hw; i++) {
        const v = feat[o + i];
        s += v;
        s2 += v * v;
      }
    }
    const m = wsum > 0 ? s / wsum : 0;
    out.mean[c] = m;
    out.std[c] = Math.sqrt(Math.max(0, (wsum > 0 ? s2 / wsum : 0) - m * m) + eps);
  }
  return wsum;
}

/** TC-AdaIN (eq. 5-6): out = (1 - alpha) * current + alpha * previous. */
export function blendChannelStats(
  current: ChannelStats,
  previous: ChannelStats | null,
  alpha: number,
  out: ChannelStats,
): void {
  if (!previous || alpha <= 0) {
    out.mean.set(current.mean);
    out.std.set(current.std);
    return;
  }
  for (let c = 0; c < current.mean.length; c++) {
    out.mean[c] = (1 - alpha) * current.mean[c] + alpha * previous.mean[c];
    out.std[c] = (1 - alpha) * current.std[c] + alpha * previous.std[c];
  }
}

/** AdaIN with given content and style statistics (eq. 1/4), over the whole map. */
export function adain(
  feat: Float32Array,
  channels: number,
  hw: number,
  content: ChannelStats,
  style: ChannelStats,
  out: Float32Array,
  outOffset = 0,
): void {
  for (let c = 0; c < channels; c++) {
    const o = c * hw;
    const scale = style.std[c] / content.std[c],
      shift = style.mean[c] - scale * content.mean[c];
    for (let i = 0; i < hw; i++) out[outOffset + o + i] = feat[o + i] * scale + shift;
  }
}
