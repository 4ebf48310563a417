// Rolling one-second statistics of a session's pipeline.
import type { FrameReport } from '../engine/pool/engine_pool.js';

export class SessionStats {
  private framesIn = 0;
  private framesOut = 0;
  private stageSums: Record<string, number> = {};
  private stageCount = 0;
  private engineMs: number[] = [];
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
    this.engineMs.push(report.totalMs);
  }

  /** Closes the current window and returns its figures. */
  roll(dropsInWindow: number): {
    fpsIn: number;
    fpsOut: number;
    drops: number;
    stages: Record<string, number>;
    engineP95: number;
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
    };
    this.framesIn = 0;
    this.framesOut = 0;
    this.stageSums = {};
    this.stageCount = 0;
    this.engineMs = [];
    this.windowStart = now;
    return out;
  }
}
