// Which tier a session runs and how often its low-res path updates (r, Xia et al. section 7):
// r is the measured low-res update time in frames divided by DUTY (1..8): the low-res work
// of all sessions together should keep a core busy only that share of the time (each session
// gets DUTY / live sessions), so on a small machine the codecs and the per-frame path keep
// the rest. DUTY is 0.3, not the 0.5 it was: at 0.5 a lone session's learned updates (10-15 ms
// here) ran every frame and took a third of a core, as much as its codecs; at 0.3 they run
// every 2nd frame on this machine (every frame on a faster one), interpolated between
// keyframes (`npm run bench:load`, 480p: the session's server CPU 914 -> 826 ms per second),
// and a quiet session's r is at most NOMINAL_R (level 0). A tier that stays too slow for
// several updates in a row gives way to the next cheaper one (neural -> fast -> global;
// learned -> global, since the learned network costs less than a fit) when its updates take
// longer than 8 frames even at full duty; a failed update does the same (a failed learned
// update falls back to fast, which needs no network), and so does a machine that cannot keep
// up: when the frame pump drops more than 15 % of the camera's frames over ~1.5 s (the cores
// are shared with the codecs, other sessions and browsers), the low-res path's share goes
// first. A forced tier never changes.
//
// Degradation, in the order load is shed before the output frame rate drops (the level shown
// in the HUD and /metrics): 0 full quality (learned or neural, r <= NOMINAL_R); 1 larger r
// (keyframe grids every r frames); 2 the fast tier; 3 the global tier; 4 half internal
// resolution (the frame is stylized and encoded at half width and height: the last step, when
// the global tier still drops frames).
// Quality comes back when the headroom does: full resolution after ~12 s without drops,
// then the session's best tier (where it started; or the best one whose networks did not
// fail) after another ~12 s without drops. Each step that has to be undone doubles
// the calm spell the next one needs (24 s, 48 s... up to ~3 min), so a machine at its limit
// does not oscillate. A tier whose networks failed is not tried again. A forced tier still
// sheds resolution.
import type { Tier } from '../pool/thread_messages.js';

export const MAX_R = 8;
const SLOW_UPDATES = 3;
/** the first updates of a thread pay for JIT and model warm-up: they do not count as slow */
const WARMUP_UPDATES = 4;
const EMA = 0.3;
/** drop accounting: a window of this many processed frames, after this many at the start */
export const DROP_WINDOW = 45;
export const DROP_WARMUP = 45;
/** ... or this long (with at least DROP_MIN_FRAMES), so a session at a few fps still reacts within seconds */
export const DROP_WINDOW_MS = 1500;
export const DROP_WARMUP_MS = 3000;
const DROP_MIN_FRAMES = 8;
/** half resolution ends after this many windows with under CALM_SHARE dropped (~12 s), none over DROP_SHARE between them */
const CALM_WINDOWS = 8;
/** the longest calm spell a step back up may have to wait for (~3 min) */
const MAX_CALM_WINDOWS = 128;
const CALM_SHARE = 0.03;
const DROP_SHARE = 0.15;
/** share of the time the low-res path may run */
export const DUTY = 0.3;
/** the largest r that is no degradation: keyframes every 2nd frame are the learned tier's default here */
export const NOMINAL_R = 2;

export const MAX_DEGRADATION = 4;

/** The tier a session falls back to: to shed load, or (`failed`) when its networks failed. */
export function nextTier(t: Tier, failed = false): Tier {
  if (t === 'learned') return failed ? 'fast' : 'global';
  return t === 'neural' ? 'fast' : 'global';
}

/** The tiers from best to cheapest (the order they are given up in). */
const LADDER: readonly Tier[] = ['learned', 'neural', 'fast', 'global'];

/** The best tier a session at `t` may step back up to: its `best`, else the best one that did not fail. */
export function betterTier(t: Tier, best: Tier, failed: ReadonlySet<Tier> = new Set()): Tier {
  for (let i = LADDER.indexOf(best); i < LADDER.indexOf(t); i++) if (!failed.has(LADDER[i])) return LADDER[i];
  return t;
}

export class TierPolicy {
  tier: Tier;
  r = 1;
  /** EMA of low-res update time, ms (0 until measured) */
  updateMs = 0;
  /** EMA of the frame interval, ms */
  frameMs = 1000 / 30;
  private lastFrame = -1;
  private slow = 0;
  private samples = 0;
  private processed = 0;
  /** this session's share of the low-res budget (1 / live sessions on the server) */
  share = 1;
  private window = { frames: 0, dropped: 0, startMs: -1 };
  private warmupStartMs = -1;
  /** consecutive windows behind at the cheapest tier */
  private behindAtCheapest = 0;
  /** at half resolution: consecutive calm windows, and how many bring full resolution back */
  private calmWindows = 0;
  private calmNeeded = CALM_WINDOWS;
  /** level 4: frames are stylized and encoded at half width and height */
  halfRes = false;
  /** the session's best tier (where it started), the tiers whose networks failed */
  readonly #best: Tier;
  readonly #failed = new Set<Tier>();
  /** below its best tier: consecutive calm windows, and how many bring the next tier up back */
  #tierCalm = 0;
  #tierCalmNeeded = CALM_WINDOWS;
  /** the last step was a step back up (a degrade now means it came too early) */
  #steppedUp = false;

  constructor(
    start: Tier,
    private readonly forced: boolean,
    private readonly fixedR: number | null = null,
  ) {
    this.tier = start;
    this.#best = start;
    if (fixedR) this.r = fixedR;
  }

  /** The tier this session starts from and returns to when the machine has room again. */
  get bestTier(): Tier {
    return this.#best;
  }

  /** A frame arrived at `nowMs`. */
  frame(nowMs: number): void {
    if (this.lastFrame >= 0) {
      const d = nowMs - this.lastFrame;
      if (d > 0 && d < 1000) this.frameMs += EMA * (d - this.frameMs);
    }
    this.lastFrame = nowMs;
  }

  /** A low-res update took `ms` (request to result). */
  updated(ms: number): void {
    this.samples++;
    // warm-up updates are not representative: the estimate starts after them
    this.updateMs =
      this.updateMs && this.samples > WARMUP_UPDATES + 1 ? this.updateMs + EMA * (ms - this.updateMs) : ms;
    const need = Math.ceil(this.updateMs / (this.frameMs * DUTY * this.share));
    if (!this.fixedR) this.r = Math.max(1, Math.min(MAX_R, need));
    if (this.forced || this.tier === 'global' || this.samples <= WARMUP_UPDATES) return;
    // too slow: an update that cannot finish within MAX_R frames even with the whole core
    this.slow = this.updateMs > MAX_R * this.frameMs ? this.slow + 1 : 0;
    if (this.slow >= SLOW_UPDATES) this.degrade();
  }

  /**
   * A frame is being processed at `nowMs`; `dropped` camera frames were skipped since the last
   * one. Warm-up and windows end after a number of frames or a time, whichever comes first.
   */
  framesDropped(dropped: number, nowMs?: number): void {
    const elapsed = (start: number) => (nowMs === undefined || start < 0 ? 0 : nowMs - start);
    if (this.processed === 0) this.warmupStartMs = nowMs ?? -1;
    this.processed++;
    if (
      this.processed <= DROP_WARMUP &&
      !(this.processed >= DROP_MIN_FRAMES && elapsed(this.warmupStartMs) >= DROP_WARMUP_MS)
    )
      return;
    const w = this.window;
    if (w.frames === 0) w.startMs = nowMs ?? -1;
    w.frames++;
    w.dropped += dropped;
    if (w.frames < DROP_WINDOW && !(w.frames >= DROP_MIN_FRAMES && elapsed(w.startMs) >= DROP_WINDOW_MS)) return;
    const share = w.dropped / (w.frames + w.dropped);
    this.window = { frames: 0, dropped: 0, startMs: -1 };
    this.processed = DROP_WARMUP + 1; // past the warm-up until a step resets it
    if (share <= DROP_SHARE) {
      this.behindAtCheapest = 0;
      // full resolution comes back after a calm spell (a start-up or a passing spike should
      // not cost it for good); each return doubles the next spell, so it cannot oscillate fast
      if (this.halfRes && share < CALM_SHARE && ++this.calmWindows >= this.calmNeeded) {
        this.halfRes = false;
        this.calmWindows = 0;
        this.calmNeeded *= 2;
        this.processed = 0;
      } else if (!this.halfRes) this.#maybeStepUp(share);
      return;
    }
    this.calmWindows = 0;
    this.#tierCalm = 0;
    if (this.halfRes) return;
    // at the cheapest tier allowed (global, or a forced one) the resolution goes, after two
    // windows in a row: a short stall (another process starting) does not cost resolution
    if (this.forced || this.tier === 'global') {
      if (++this.behindAtCheapest >= 2) this.halfRes = true;
      return;
    }
    this.degrade();
    this.processed = 0; // the cheaper setting gets a warm-up to settle
  }

  /** 0 (full quality) .. MAX_DEGRADATION; see the top of this file. */
  get level(): number {
    if (this.halfRes) return 4;
    if (this.tier === 'global') return 3;
    if (this.tier === 'fast') return 2;
    return this.r > NOMINAL_R ? 1 : 0;
  }

  /** Whether the session sheds load: at half resolution, or below its best tier (artistic looks then run smaller). */
  get load(): 'full' | 'shed' | 'half' {
    return this.halfRes ? 'half' : this.tier !== this.#best ? 'shed' : 'full';
  }

  /** A low-res update failed. */
  failed(): void {
    if (!this.forced) this.degrade(true);
  }

  /** A calm window below the best tier: after enough of them, one rung back up. */
  #maybeStepUp(share: number): void {
    if (this.forced || share >= CALM_SHARE) {
      this.#tierCalm = 0;
      return;
    }
    const up = betterTier(this.tier, this.#best, this.#failed);
    if (up === this.tier || ++this.#tierCalm < this.#tierCalmNeeded) return;
    this.tier = up;
    this.#tierCalm = 0;
    this.#steppedUp = true;
    this.slow = 0;
    this.updateMs = 0;
    this.samples = 0;
    this.processed = 0; // the better tier gets a warm-up to settle
  }

  private degrade(failed = false): void {
    if (failed) this.#failed.add(this.tier);
    // a step back up that has to be undone: the next one waits twice as long
    if (this.#steppedUp) this.#tierCalmNeeded = Math.min(MAX_CALM_WINDOWS, this.#tierCalmNeeded * 2);
    this.#steppedUp = false;
    this.#tierCalm = 0;
    this.tier = nextTier(this.tier, failed);
    this.slow = 0;
    this.updateMs = 0;
    this.samples = 0;
  }
}
