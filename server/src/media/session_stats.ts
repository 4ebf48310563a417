// Rolling one-second statistics of a session's pipeline. Engine time is split in two: the
// frame path (what each frame waits for before it is encoded) and background work (the
// asynchronous low-res updates, each counted once, with the frame after it lands, and
// speaker-mask model runs that finished off the frame path); their sum per second of video is
// the stylizer's CPU cost of the session. (Low-res time used to be the last update's time
// divided by r on every frame: at the global tier, which runs no updates, a stale update of
// 0.45-2.7 s was counted on every frame, 14-79 s of CPU per second.)
import type { FrameReport } from '../engine/pool/engine_pool.js';

/**
 * A frame's engine time, on the frame path and in the background (ms); `lowresBefore`: the
 * session's landed low-res time at the previous frame (a replaced engine starts again at 0).
 */
export function splitEngineTime(r: FrameReport, lowresBefore: number): { frameMs: number; backgroundMs: number } {
  // a model run reported on a frame served a reused mask finished off that frame's path
  const offPath = r.mask === 'reused' ? (r.stages.segment ?? 0) + (r.stages.smooth ?? 0) : 0;
  const lowres = r.lowresTotalMs >= lowresBefore ? r.lowresTotalMs - lowresBefore : r.lowresTotalMs;
  return { frameMs: r.totalMs - offPath, backgroundMs: offPath + lowres };
}

export class SessionStats {
  private framesIn = 0;
  private framesOut = 0;
  private stageSums: Record<string, number> = {};
  private stageCount = 0;
  private engineMs: number[] = [];
  private frameMsSum = 0;
  private backgroundMsSum = 0;
  private lowresTotalMs = 0;
  private windowStart = performance.now();
  dropsTotal = 0;
  framesInTotal = 0;
  framesOutTotal = 0;
  lastReport: FrameReport | null = null;
  width = 0;
  height = 0;

  frameIn(width: number, height: number): void {
    this.framesIn++;
    this.framesInTotal++;
    this.width = width;
    this.height = height;
  }

  frameOut(report: FrameReport, queueMs: number, handoffMs: number): void {
    this.framesOut++;
    this.framesOutTotal++;
    this.lastReport = report;
    for (const [k, v] of Object.entries(report.stages)) this.stageSums[k] = (this.stageSums[k] ?? 0) + v;
    this.stageSums.queue = (this.stageSums.queue ?? 0) + queueMs;
    this.stageSums.handoff = (this.stageSums.handoff ?? 0) + handoffMs;
    this.stageCount++;
    const split = splitEngineTime(report, this.lowresTotalMs);
    this.lowresTotalMs = report.lowresTotalMs;
    this.engineMs.push(split.frameMs);
    this.frameMsSum += split.frameMs;
    this.backgroundMsSum += split.backgroundMs;
  }

  /** Closes the current window and returns its figures. */
  roll(dropsInWindow: number): {
    fpsIn: number;
    fpsOut: number;
    drops: number;
    stages: Record<string, number>;
    engineP95: number;
    frameMs: number;
    backgroundMs: number;
    cpuMsPerS: number;
  } {
    const now = performance.now();
    const secs = Math.max(1e-3, (now - this.windowStart) / 1000);
    const stages: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.stageSums)) stages[k] = +(v / Math.max(1, this.stageCount)).toFixed(2);
    const sorted = this.engineMs.slice().sort((a, b) => a - b);
    const p95 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] : 0;
    const out = {
      fpsIn: +(this.framesIn / secs).toFixed(1),
      fpsOut: +(this.framesOut / secs).toFixed(1),
      drops: dropsInWindow,
      stages,
      engineP95: +p95.toFixed(2),
      frameMs: +(this.frameMsSum / Math.max(1, this.stageCount)).toFixed(2),
      backgroundMs: +(this.backgroundMsSum / Math.max(1, this.stageCount)).toFixed(2),
      cpuMsPerS: +((this.frameMsSum + this.backgroundMsSum) / secs).toFixed(1),
    };
    this.frameMsSum = 0;
    this.backgroundMsSum = 0;
    this.framesIn = 0;
    this.framesOut = 0;
    this.stageSums = {};
    this.stageCount = 0;
    this.engineMs = [];
    this.windowStart = now;
    return out;
  }
}
