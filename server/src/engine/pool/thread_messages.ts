// Every message that crosses a thread boundary inside the engine, and the types they carry.
// Two boundaries: the main thread (EnginePool) <-> an engine thread (frame/frame_worker.ts),
// and an engine thread (frame/lowres_client.ts) <-> its low-res worker (lowres/lowres_worker.ts).
// Buffers travel as transferred ArrayBuffers (no copy). The wire protocol with browsers is
// shared/protocol.ts; this module is internal to the server.
import type { MaskMode } from '../../../../shared/protocol.js';
import type { LearnedVariant } from '../runtime/learned_guide.js';
import type { OnnxOptions } from '../runtime/onnx_session.js';

export type { LearnedVariant } from '../runtime/learned_guide.js';
import type { StyleImage } from '../runtime/style_store.js';

// ---------- what the threads report and are configured with ----------

/**
 * Stylizer tiers (frame/tier_policy.ts chooses and degrades): learned (the trained grid
 * network), neural (grids fitted to decoded AdaIN targets), fast (fitted to hand-made
 * targets), global (one affine per region).
 */
export type Tier = 'learned' | 'neural' | 'fast' | 'global';
/** 'auto' picks from the measured budget; a tier name forces it. */
export type TierMode = Tier | 'auto';
/** The tiers whose grids come from the low-res worker. */
export type LowResTier = Exclude<Tier, 'global'>;
/** Where a frame's speaker mask came from (see StatsMsg.mask in shared/protocol.ts). */
export type MaskSource = 'full-frame' | 'live' | 'reused';

/** One stylized frame, as the engine thread reports it. */
export interface FrameReport {
  /** ms per stage of this frame, plus `lowres`: the last low-res update */
  stages: Record<string, number>;
  /** ms per stage of the last low-res update */
  lowres: Record<string, number>;
  /** ms of all the session's low-res updates that have landed so far (background work) */
  lowresTotalMs: number;
  totalMs: number;
  tier: Tier;
  /** the tier the session returns to when the machine has room again (its starting one) */
  bestTier: Tier;
  r: number;
  mask: MaskSource;
  /** style weight of the current look (1 outside transitions) */
  transition: number;
  /** the stylized frame's size (half the camera's at degradation level 4) */
  width: number;
  height: number;
  /** 0 = full quality .. 4 (frame/tier_policy.ts) */
  degradation: number;
  /** internal resolution of the artistic looks' networks ("256x192") when one is on screen */
  artistic?: string;
}

/** Configuration every engine thread starts with (workerData). */
export interface EngineWorkerData {
  onnx: OnnxOptions;
  tierMode: TierMode;
  /** speaker segmentation: the selfie model, or none (the whole frame is the speaker) */
  segmentation: 'selfie' | 'off';
}

/** A session's mask options as the engine applies them. */
export interface MaskOptions {
  maskMode?: MaskMode;
  showMask?: boolean;
}

export type EngineErrorCode = 'unknown_style' | 'no_session' | 'internal';

// ---------- main thread <-> engine thread ----------

export type ToEngineThread =
  | { kind: 'styles'; images: StyleImage[] }
  | { kind: 'styleRemoved'; id: string }
  | { kind: 'open'; id: number; sid: string; fg: string; bg: string }
  /**
   * mask: when given (width x height bytes), the frame's speaker mask is written into it;
   * dropped: camera frames the pump skipped since this session's previous frame
   */
  | {
      kind: 'frame';
      id: number;
      sid: string;
      width: number;
      height: number;
      buffer: ArrayBuffer;
      now: number;
      mask?: ArrayBuffer;
      dropped?: number;
    }
  | { kind: 'setStyle'; id: number; sid: string; fg: string; bg: string; transitionMs: number; now: number }
  | ({ kind: 'setOptions'; id: number; sid: string; transitionMs: number; now: number } & MaskOptions)
  | { kind: 'close'; id: number; sid: string }
  | { kind: 'census'; id: number }
  /** live sessions on the whole server (shares of the low-res budget) */
  | { kind: 'load'; sessions: number }
  | { kind: 'fault'; id: number; sid: string; what: 'throw' | 'exit' }
  /** end the thread once its inference runs are done (pool shutdown) */
  | { kind: 'shutdown'; id: number };

export type FromEngineThread =
  | { kind: 'ready' }
  /** the thread hit an uncaught error: it takes no more work and exits once idle */
  | { kind: 'fatal'; message: string }
  | { kind: 'ok'; id: number }
  | { kind: 'frameDone'; id: number; buffer: ArrayBuffer; report: FrameReport; mask?: ArrayBuffer }
  /** sessions: ids with engine state; masks: ids that also hold segmentation state */
  | { kind: 'census'; id: number; sessions: string[]; masks: string[] }
  | { kind: 'error'; id: number; code: EngineErrorCode; message: string; buffer?: ArrayBuffer; mask?: ArrayBuffer };

// ---------- engine thread <-> low-res worker ----------

/** Configuration of a low-res worker (workerData). */
export interface LowResWorkerData {
  onnx: OnnxOptions;
}

/** One low-res update of one session (Xia et al. sections 3 and 7). */
export interface LowResRequest {
  sid: string;
  width: number;
  height: number;
  /** interleaved Y, U-128, V-128 (width*height*3) */
  yuv: Float32Array;
  /** speaker mask 0..255 per low-res pixel */
  mask: Uint8Array;
  fg: string;
  bg: string;
  tier: LowResTier;
  /** TC-AdaIN: weight of the previous update's content statistics (0 = off) */
  tcAdainAlpha: number;
  /** learned tier: which network, and whether its mask enhancement runs */
  learnedVariant: LearnedVariant;
  maskEnhancement: boolean;
}

export interface LowResResult {
  /** the blended grid (gridLength(shape)) */
  grid: Float32Array;
  tier: LowResTier;
  /** ms per low-res stage */
  stages: Record<string, number>;
  /** the frame started a new scene (a cut or a sudden light change): show the grid at once */
  cut: boolean;
  /** sessions whose state the low-res worker holds after this update (ended ones are forgotten) */
  sessions?: number;
}

export type ToLowRes =
  | { kind: 'styles'; images: StyleImage[] }
  | { kind: 'styleRemoved'; id: string }
  /** the session ended: its TC-AdaIN statistics and warm-start grids go */
  | { kind: 'forget'; sid: string }
  | { kind: 'warmup' }
  /** end once the running update is done (the engine thread is ending) */
  | { kind: 'close' }
  | { kind: 'update'; id: number; req: LowResRequest }
  /** its result would be dropped: stop update `id` at its next step (or skip it while queued) */
  | { kind: 'cancel'; id: number };

export type FromLowRes =
  /** the networks that load here: the neural tier's pair, and the learned tier's grid network */
  | { kind: 'warm'; neural: boolean; learned: boolean; message?: string }
  | {
      kind: 'updated';
      id: number;
      grid: ArrayBuffer;
      tier: LowResTier;
      stages: Record<string, number>;
      cut: boolean;
      sessions: number;
    }
  | { kind: 'failed'; id: number; message: string }
  | { kind: 'cancelled'; id: number };
