// Messages between the main thread (EnginePool) and engine worker threads. Internal to the
// server; the wire protocol with browsers lives in shared/protocol.ts.
import type { MaskMode } from '../../../../shared/protocol.js';
import type { OnnxOptions } from '../runtime/onnx_session.js';
import type { FrameReport, TierMode } from '../frame/session_engine.js';
import type { StyleImage } from '../runtime/style_store.js';

/** Configuration every engine thread starts with (workerData). */
export interface EngineWorkerData {
  onnx: OnnxOptions;
  tierMode: TierMode;
  /** speaker segmentation: the selfie model, or none (the whole frame is the speaker) */
  segmentation: 'selfie' | 'off';
}

export type ToWorker =
  | { kind: 'styles'; images: StyleImage[] }
  | { kind: 'styleRemoved'; id: string }
  | { kind: 'open'; id: number; sid: string; fg: string; bg: string }
  /** mask: when given (width x height bytes), the frame's speaker mask is written into it */
  /** dropped: camera frames the pump skipped since this session's previous frame */
  | { kind: 'frame'; id: number; sid: string; width: number; height: number; buffer: ArrayBuffer; now: number; mask?: ArrayBuffer; dropped?: number }
  | { kind: 'setStyle'; id: number; sid: string; fg: string; bg: string; transitionMs: number; now: number }
  | { kind: 'setOptions'; id: number; sid: string; maskMode?: MaskMode; showMask?: boolean; transitionMs: number; now: number }
  | { kind: 'close'; id: number; sid: string }
  | { kind: 'census'; id: number }
  /** live sessions on the whole server (shares of the low-res budget) */
  | { kind: 'load'; sessions: number }
  | { kind: 'fault'; id: number; sid: string; what: 'throw' | 'exit' }
  /** end the thread once its inference runs are done (pool shutdown) */
  | { kind: 'shutdown'; id: number };

export type FromWorker =
  | { kind: 'ready' }
  /** the thread hit an uncaught error: it takes no more work and exits once idle */
  | { kind: 'fatal'; message: string }
  | { kind: 'ok'; id: number }
  | { kind: 'frameDone'; id: number; buffer: ArrayBuffer; report: FrameReport; mask?: ArrayBuffer }
  /** sessions: ids with engine state; masks: ids that also hold segmentation state */
  | { kind: 'census'; id: number; sessions: string[]; masks: string[] }
  | { kind: 'error'; id: number; code: 'unknown_style' | 'no_session' | 'internal'; message: string; buffer?: ArrayBuffer; mask?: ArrayBuffer };
