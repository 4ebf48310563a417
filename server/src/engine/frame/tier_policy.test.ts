import { describe, expect, it } from 'vitest';
import {
  DROP_WARMUP,
  DROP_WARMUP_MS,
  DROP_WINDOW,
  DROP_WINDOW_MS,
  DUTY,
  MAX_R,
  NOMINAL_R,
  TierPolicy,
} from './tier_policy.js';

function feed(p: TierPolicy, updateMs: number, updates: number, frameMs = 1000 / 30): void {
  let now = 0;
  for (let k = 0; k < updates; k++) {
    p.frame(now);
    now += frameMs;
    p.frame(now);
    now += frameMs;
    p.updated(updateMs);
  }
}

describe('TierPolicy', () => {
  it('sets r to the update time in frames over the duty share, 1..8', () => {
    const p = new TierPolicy('neural', false);
    feed(p, 70, 12);
    expect(p.r).toBe(Math.ceil(70 / ((1000 / 30) * DUTY)));
    feed(p, 5, 20);
    expect(p.r).toBe(1);
    // a learned update at 720p on this machine (10-15 ms): every 2nd frame at 30 fps
    feed(p, 12, 20);
    expect(p.r).toBe(2);
    expect(p.tier).toBe('neural');
  });

  it('does not count warm-up updates as slow, then steps down a tier when r would exceed 8', () => {
    const p = new TierPolicy('neural', false);
    feed(p, 900, 4);
    expect(p.tier).toBe('neural');
    feed(p, 900, 3);
    expect(p.tier).toBe('fast');
    expect(p.r).toBeLessThanOrEqual(MAX_R);
    feed(p, 900, 7);
    expect(p.tier).toBe('global');
  });

  it('sheds a too-slow learned tier straight to global (a fit costs more), and a failed one to fast', () => {
    const slow = new TierPolicy('learned', false);
    feed(slow, 900, 7);
    expect(slow.tier).toBe('global');
    expect(slow.level).toBe(3);
    const broken = new TierPolicy('learned', false);
    expect(broken.level).toBe(0);
    broken.failed();
    expect(broken.tier).toBe('fast');
    expect(broken.level).toBe(2);
  });

  it('keeps a forced tier and a fixed r', () => {
    const p = new TierPolicy('neural', true, 2);
    feed(p, 900, 20);
    expect(p.tier).toBe('neural');
    expect(p.r).toBe(2);
  });

  it('steps down after a failed update unless forced', () => {
    const auto = new TierPolicy('fast', false);
    auto.failed();
    expect(auto.tier).toBe('global');
    const forced = new TierPolicy('fast', true);
    forced.failed();
    expect(forced.tier).toBe('fast');
  });

  it('steps down when the machine drops camera frames, not for occasional drops; a forced tier stays', () => {
    const drops = (p: TierPolicy, frames: number, every: number) => {
      for (let k = 0; k < frames; k++) p.framesDropped(k % every === 0 ? 1 : 0);
    };
    const calm = new TierPolicy('neural', false);
    drops(calm, 400, 10); // 1 drop per 10 processed frames: ~9 %
    expect(calm.tier).toBe('neural');
    const behind = new TierPolicy('neural', false);
    drops(behind, DROP_WARMUP, 1); // warm-up: not counted
    expect(behind.tier).toBe('neural');
    drops(behind, DROP_WINDOW, 2); // 1 drop per 2 processed frames: a third of the camera's frames
    expect(behind.tier).toBe('fast');
    drops(behind, DROP_WARMUP + DROP_WINDOW - 1, 2); // the cheaper tier gets a warm-up to settle
    expect(behind.tier).toBe('fast');
    drops(behind, 1, 2);
    expect(behind.tier).toBe('global');
    expect(behind.level).toBe(3);
    // still behind at the global tier for two windows: half internal resolution, the last step
    drops(behind, DROP_WARMUP + DROP_WINDOW, 2);
    expect(behind.halfRes).toBe(false);
    drops(behind, DROP_WINDOW, 2);
    expect(behind.halfRes).toBe(true);
    expect(behind.level).toBe(4);
    // calm at half resolution: full resolution after 8 calm windows, the next time after 16
    drops(behind, 7 * DROP_WINDOW, 1_000_000);
    expect(behind.halfRes).toBe(true);
    drops(behind, DROP_WINDOW, 1_000_000);
    expect(behind.halfRes).toBe(false);
    expect(behind.tier).toBe('global');
    drops(behind, DROP_WARMUP + 2 * DROP_WINDOW, 2);
    expect(behind.halfRes).toBe(true);
    drops(behind, 8 * DROP_WINDOW, 1_000_000);
    expect(behind.halfRes).toBe(true);
    drops(behind, 8 * DROP_WINDOW, 1_000_000);
    expect(behind.halfRes).toBe(false);
    expect(behind.level).toBe(3); // full resolution again, at the global tier
    const forced = new TierPolicy('neural', true);
    drops(forced, 400, 1);
    expect(forced.tier).toBe('neural');
    expect(forced.halfRes).toBe(true); // the tier is pinned; the resolution still goes
  });

  it('steps back up to its best tier after a calm spell, twice as long after a step that had to be undone', () => {
    const drops = (p: TierPolicy, frames: number, every: number) => {
      for (let k = 0; k < frames; k++) p.framesDropped(k % every === 0 ? 1 : 0);
    };
    const calmWindows = (p: TierPolicy, want: string, max: number) => {
      let n = 0;
      while (p.tier !== want && n < max) {
        drops(p, DROP_WINDOW, 1_000_000);
        n++;
      }
      return n;
    };
    const p = new TierPolicy('learned', false);
    drops(p, DROP_WARMUP + DROP_WINDOW, 2); // a burst: a third of the camera's frames lost
    expect(p.tier).toBe('global');
    expect(p.bestTier).toBe('learned');
    // the load ends: the warm-up of the cheaper tier, then 8 calm windows (~12 s)
    const first = calmWindows(p, 'learned', 100);
    expect(p.tier).toBe('learned');
    expect(first).toBeGreaterThanOrEqual(8);
    expect(first).toBeLessThanOrEqual(10);
    // the machine cannot keep it: down again at once, and the next try waits twice as long
    drops(p, DROP_WARMUP + DROP_WINDOW, 2);
    expect(p.tier).toBe('global');
    const second = calmWindows(p, 'learned', 100);
    expect(p.tier).toBe('learned');
    expect(second).toBeGreaterThanOrEqual(16);
    // a session whose learned networks failed does not go back to them
    const broken = new TierPolicy('learned', false);
    broken.failed();
    expect(broken.tier).toBe('fast');
    calmWindows(broken, 'learned', 40);
    expect(broken.tier).toBe('neural');
  });

  it('reacts within seconds at a low frame rate: warm-up and windows also end by time', () => {
    const p = new TierPolicy('neural', false);
    // 2 processed frames per second, 2 camera frames dropped before each (two thirds lost)
    let t = 0,
      steps = 0;
    while (p.tier === 'neural' && t < 60_000) {
      p.framesDropped(2, t);
      t += 500;
      steps++;
    }
    expect(p.tier).toBe('fast');
    expect(t).toBeLessThanOrEqual(DROP_WARMUP_MS + DROP_WINDOW_MS + 4 * 500 + 4000);
    expect(steps).toBeLessThan(DROP_WARMUP + DROP_WINDOW);
  });

  it('reports the degradation level in the order load is shed: r, fast, global, half resolution', () => {
    const p = new TierPolicy('neural', false);
    expect(p.level).toBe(0);
    p.r = NOMINAL_R; // keyframes every 2nd frame: the default cadence, no degradation
    expect(p.level).toBe(0);
    p.r = NOMINAL_R + 1;
    expect(p.level).toBe(1);
    p.failed();
    expect([p.tier, p.level]).toEqual(['fast', 2]);
    p.failed();
    expect([p.tier, p.level]).toEqual(['global', 3]);
    expect(p.halfRes).toBe(false);
  });

  it('says whether the session sheds load (artistic looks then run smaller): below its best tier, or at half resolution', () => {
    const p = new TierPolicy('neural', false);
    p.r = 3; // a larger r is the neural tier's normal cadence, not shedding
    expect(p.load).toBe('full');
    p.failed();
    expect(p.load).toBe('shed');
    p.halfRes = true;
    expect(p.load).toBe('half');
    // a session that starts at a cheaper tier (forced or configured) is not shedding there
    expect(new TierPolicy('global', true).load).toBe('full');
  });

  it('shares the low-res budget between the live sessions: r grows with their number', () => {
    const one = new TierPolicy('neural', false),
      two = new TierPolicy('neural', false);
    two.share = 1 / 2;
    feed(one, 25, 8);
    feed(two, 25, 8);
    // half the share: about twice the frames between updates
    expect(two.r).toBeGreaterThanOrEqual(2 * one.r - 1);
    expect(two.r).toBeLessThanOrEqual(Math.min(MAX_R, 2 * one.r + 1));
  });
});
