import { describe, expect, it } from 'vitest';
import type { FrameReport } from '../engine/pool/engine_pool.js';
import { SessionStats, splitEngineTime } from './session_stats.js';

const report = (o: Partial<FrameReport>): FrameReport => ({
  stages: {},
  lowres: {},
  lowresTotalMs: 0,
  totalMs: 10,
  tier: 'neural',
  bestTier: 'neural',
  r: 4,
  mask: 'live',
  transition: 1,
  width: 640,
  height: 480,
  degradation: 0,
  ...o,
});

describe('SessionStats: CPU per second of video', () => {
  it('counts each low-res update once, on the frame after it lands', () => {
    const s = new SessionStats();
    // 8 frames of 10 ms; one 90 ms update lands before the 3rd frame, another before the 7th
    const totals = [0, 0, 90, 90, 90, 90, 180, 180];
    for (const t of totals) s.frameOut(report({ lowres: { lowres: 90 }, lowresTotalMs: t }), 0, 0);
    const w = s.roll(0);
    expect(w.frameMs).toBe(10);
    expect(w.backgroundMs).toBeCloseTo(180 / 8, 1);
  });

  it('adds nothing for a stale update at the global tier (no updates run there)', () => {
    const s = new SessionStats();
    for (let k = 0; k < 30; k++)
      s.frameOut(report({ tier: 'global', r: 1, lowres: { lowres: 2694 }, lowresTotalMs: 5000 }), 0, 0);
    const w = s.roll(0);
    // the first frame brings the session's earlier updates (5000 ms) in once; none after
    expect(w.backgroundMs).toBeCloseTo(5000 / 30, 1);
    for (let k = 0; k < 30; k++)
      s.frameOut(report({ tier: 'global', r: 1, lowres: { lowres: 2694 }, lowresTotalMs: 5000 }), 0, 0);
    expect(s.roll(0).backgroundMs).toBe(0);
  });

  it('starts again when a replaced engine counts from 0, and moves a reused mask model run to the background', () => {
    expect(splitEngineTime(report({ lowresTotalMs: 40 }), 900)).toEqual({ frameMs: 10, backgroundMs: 40 });
    expect(splitEngineTime(report({ mask: 'reused', stages: { segment: 6, smooth: 2 }, totalMs: 18 }), 0)).toEqual({
      frameMs: 10,
      backgroundMs: 8,
    });
  });
});
