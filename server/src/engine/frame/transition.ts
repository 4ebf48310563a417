// Style transitions (Xia et al. section 4.4): the grid moves from the old look to the new
// one along a smooth time weight.

export interface Transition {
  fromFg: string;
  fromBg: string;
  startMs: number;
  durationMs: number;
}

/** Linear progress 0..1 of a transition at time `nowMs`. */
export function transitionWeight(t: Transition, nowMs: number): number {
  if (t.durationMs <= 0) return 1;
  const x = (nowMs - t.startMs) / t.durationMs;
  return x <= 0 ? 0 : x >= 1 ? 1 : x;
}

/** C1-continuous ease: zero slope at both ends, so a transition has no visible start or stop. */
export function smoothstep(x: number): number {
  const t = x <= 0 ? 0 : x >= 1 ? 1 : x;
  return t * t * (3 - 2 * t);
}
