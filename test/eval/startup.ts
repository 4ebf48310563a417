// Start-up against steady state. Every other engine row starts warm (two updates on the clip's
// first frame before it), so all its frames are steady state. The start-up rows open a cold
// session on the clip's first frame, paced in real time like a camera: until the first low-res
// update lands the session shows its global grids, then it fades to the update's grid over
// FIRST_GRID_FADE_MS (session_engine.ts). evaluate.ts splits every record's warping error and
// TCC at that point (startup_frames); report_html.ts prints the split.
import type { Tier } from '../../server/src/engine/pool/thread_messages.js';
import { runEngine, tierHarness, type SystemDef } from './systems.js';

export const STARTUP_PREFIX = 'start-up: ';

/** The cold-session rows: the learned tier's (when its network is in models/) and the neural tier's. */
export function startupSystems(learned: boolean): SystemDef[] {
  const tiers: Tier[] = learned ? ['learned', 'neural'] : ['neural'];
  return tiers.map((tier) => ({
    id: `${STARTUP_PREFIX}${tier} r=auto, cold session`,
    family: tier,
    haloRef: tier,
    run: (clip, env) => runEngine(tierHarness(env, tier), clip, env, { r1: false, cold: true }),
  }));
}
