// One system's outputs on one clip -> one record of every metric.
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import type { EvalClip } from './clips.js';
import { blendByMask } from './systems.js';
import {
  boundaryDistance,
  gradSsim,
  haloPx,
  mean,
  regionLabStats,
  styleDistance,
  tccPerFrame,
  warpingErrors,
  type LabStats,
} from './metrics.js';

export interface EvalRecord {
  system: string;
  clip: string;
  clip_kind: 'synthetic' | 'real';
  flow: 'exact' | 'lucas-kanade';
  mask: 'none' | 'exact' | 'segmenter';
  frames: number;
  /** Lai et al. warping error (mean squared RGB difference in [0,1]², non-occluded pixels) */
  warping_error: number;
  tcc: number;
  grad_ssim: number;
  /** mean over regions of the Lab 2-Wasserstein distance to the region's style (after) */
  style_distance: number;
  /** the same for the input (before) */
  style_distance_input: number;
  /** null where the clip has no mask or the system no halo reference */
  halo_px: number | null;
  ms_per_frame: number;
  stages_ms: Record<string, number>;
  warping_error_per_frame: number[];
  tcc_per_frame: number[];
  /** start-up/steady split (startup.ts): frames before the first low-res update landed plus its
   * fade-in (0 for runs that start warm: every frame is steady state) */
  startup_frames: number;
  warping_error_startup: number | null;
  warping_error_steady: number;
  tcc_startup: number | null;
  tcc_steady: number;
  /** largest per-frame warping error of the start-up over the largest of the steady state (> 1: a jump) */
  startup_peak_ratio: number | null;
  note?: string;
}

/** Frames sampled for the per-frame (non-temporal) metrics: about 6 per clip, always the last. */
export function sampleFrames(T: number): number[] {
  const step = Math.max(1, Math.ceil(T / 6)),
    out: number[] = [];
  for (let t = step - 1; t < T; t += step) out.push(t);
  if (out.at(-1) !== T - 1) out.push(T - 1);
  return out;
}

/** Frames at which the halo is measured: the middle and the last one. */
export function haloFrames(T: number): number[] {
  return [...new Set([Math.floor(T / 2), T - 1])];
}

/** Mean over regions (fg, and bg when there is a mask) and sampled frames of the distance to each region's style. */
export function styleDistanceOf(frames: I420Frame[], clip: EvalClip, fgLab: LabStats, bgLab: LabStats): number {
  const d: number[] = [];
  for (const t of sampleFrames(frames.length)) {
    const mask = clip.masks?.[t] ?? null;
    d.push(styleDistance(regionLabStats(frames[t], mask, 'fg'), fgLab));
    if (mask) d.push(styleDistance(regionLabStats(frames[t], mask, 'bg'), bgLab));
  }
  return mean(d);
}

export interface HaloIdeal {
  fg: I420Frame;
  bg: I420Frame;
}

export function evaluate(
  system: string,
  clip: EvalClip,
  outputs: I420Frame[],
  ms: number[],
  stages: Record<string, number>,
  ideal: ((t: number) => HaloIdeal | undefined) | null,
  style: { fgLab: LabStats; bgLab: LabStats; inputDistance: number },
  note?: string,
  startupFrames = 0,
): EvalRecord {
  const we = warpingErrors(outputs, clip.flows, clip.valid),
    tc = tccPerFrame(outputs, clip.frames);
  // per-frame values k are frame pairs (k, k + 1): pairs ending at a start-up frame or at the
  // first steady one (the step into the steady state) count as start-up
  const S = Math.min(startupFrames, we.length - 1);
  let halo: number | null = null;
  if (clip.masks && ideal) {
    const hs: number[] = [];
    for (const t of haloFrames(outputs.length)) {
      const parts = ideal(t);
      if (!parts) continue;
      const dist = boundaryDistance(clip.masks[t], clip.width, clip.height);
      hs.push(haloPx(outputs[t], blendByMask(parts.fg, parts.bg, clip.masks[t]), dist).width);
    }
    if (hs.length) halo = mean(hs);
  }
  const r = (x: number, k = 4) => Number(x.toPrecision(k));
  return {
    system,
    clip: clip.id,
    clip_kind: clip.kind,
    flow: clip.flowKind,
    mask: clip.maskKind,
    frames: outputs.length,
    warping_error: r(mean(we)),
    tcc: r(mean(tc)),
    grad_ssim: r(gradSsim(outputs, clip.frames, sampleFrames(outputs.length))),
    style_distance: r(styleDistanceOf(outputs, clip, style.fgLab, style.bgLab)),
    style_distance_input: r(style.inputDistance),
    halo_px: halo,
    ms_per_frame: r(mean(ms), 3),
    stages_ms: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, r(v, 3)])),
    warping_error_per_frame: we.map((x) => r(x)),
    tcc_per_frame: tc.map((x) => r(x)),
    startup_frames: S,
    warping_error_startup: S ? r(mean(we.slice(0, S))) : null,
    warping_error_steady: r(mean(we.slice(S))),
    tcc_startup: S ? r(mean(tc.slice(0, S))) : null,
    tcc_steady: r(mean(tc.slice(S))),
    startup_peak_ratio: S ? r(Math.max(...we.slice(0, S)) / Math.max(...we.slice(S)), 3) : null,
    ...(note ? { note } : {}),
  };
}
