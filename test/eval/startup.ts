// Start-up against steady state. Every other engine row starts warm (two updates on the clip's
// first frame before it), so all its frames are steady state. The start-up rows open a cold
// session on the clip's first frame, paced in real time like a camera: until the first low-res
// update lands the session shows its global grids, then it fades to the update's grid over
// FIRST_GRID_FADE_MS (session_engine.ts). evaluate.ts splits every record's warping error and TCC at that point (startup_frames);
// this file defines the cold runs and prints the split.
import type { Tier } from '../../server/src/engine/pool/thread_messages.js';
import type { EvalRecord } from './evaluate.js';
import { mean } from './metrics.js';
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

const f = (x: number | null, k = 3) => (x === null ? '–' : Number(x.toPrecision(k)).toString());

/** Per-system means of the start-up/steady split over the clips (start-up rows, and the warm r=auto rows beside them). */
export function startupRows(records: EvalRecord[]): string[][] {
  const ids = [...new Set(records.map((r) => r.system))].filter(
    (s) => s.startsWith(STARTUP_PREFIX) || s === 'learned r=auto' || s === 'neural r=auto',
  );
  const m = (rs: EvalRecord[], g: (r: EvalRecord) => number | null) => {
    const xs = rs.map(g).filter((x): x is number => x !== null);
    return xs.length ? mean(xs) : null;
  };
  return ids.map((id) => {
    const rs = records.filter((r) => r.system === id);
    const inputs = records.filter((r) => r.system === 'input (no stylization)' && rs.some((x) => x.clip === r.clip));
    return [
      id,
      f(m(rs, (r) => r.startup_frames)),
      f(m(rs, (r) => (r.warping_error_startup === null ? null : r.warping_error_startup * 1000))),
      f(m(rs, (r) => r.warping_error_steady * 1000)),
      f(m(inputs, (r) => r.warping_error * 1000)),
      f(m(rs, (r) => r.tcc_startup)),
      f(m(rs, (r) => r.tcc_steady)),
      f(m(rs, (r) => r.startup_peak_ratio)),
      rs.length ? `${Math.max(...rs.map((r) => r.startup_frames))}` : '–',
    ];
  });
}

export const STARTUP_COLUMNS = [
  'start-up frames (mean)',
  'warp×1e3 start-up',
  'warp×1e3 steady',
  'warp×1e3 input',
  'TCC start-up',
  'TCC steady',
  'start-up peak / steady peak',
  'start-up frames (max)',
];

/** The split as plain text (printed at the end of a run). */
export function startupText(records: EvalRecord[]): string {
  const rows = [['system', ...STARTUP_COLUMNS], ...startupRows(records)];
  if (rows.length < 2) return '';
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ')).join('\n');
}
