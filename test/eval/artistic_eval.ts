// The evaluation's artistic part: every clip through the artistic systems (artistic_systems.ts)
// measured like the photoreal ones (evaluate.ts; no halo: an artistic look repaints edges by
// design), with the style distance taken to the look's painting, and a summary of the seed's
// claim: the network trained with the two-frame temporal loss against the same network trained
// without it, on the same clips (warping error, TCC, style distance).
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import { createArtisticSystems, type ArtisticSystemDef } from './artistic_systems.js';
import type { EvalClip } from './clips.js';
import { evaluate, styleDistanceOf, type EvalRecord } from './evaluate.js';
import { labStats, type LabStats } from './metrics.js';

/** `all`: every system for every look; `first`: the first look's full set, the others' temporal pair; `none` */
export type ArtisticScope = 'all' | 'first' | 'none';

export interface ArtisticEval {
  /** runs every artistic system on `clip`; `show` gets each system's outputs for the report */
  clip(
    clip: EvalClip,
    log: (s: string) => void,
    show: (id: string, outputs: I420Frame[]) => Promise<void>,
  ): Promise<EvalRecord[]>;
  close(): Promise<void>;
}

const PHOTO = 'evening-glow';

export function artisticEval(scope: ArtisticScope): ArtisticEval {
  const a = createArtisticSystems({ photo: PHOTO });
  let prepared: Promise<{ systems: ArtisticSystemDef[]; lab: (id: string) => LabStats }> | null = null;
  const prepare = async () => {
    const all = await a.systems();
    const first = all[0]?.look;
    const systems = all.filter(
      (s) =>
        scope === 'all' ||
        s.look === first ||
        (s.family === 'artistic' && / temporal loss$|^artistic [^ ,]+$/.test(s.id)),
    );
    // the looks' paintings (and the photoreal speaker's style) as the style distance's targets
    const { library } = await a.harness();
    const labs = new Map<string, LabStats>();
    const lab = (id: string): LabStats => {
      let l = labs.get(id);
      if (!l) {
        const img = library.get(id)?.image;
        if (!img) throw new Error(`eval: no style image for ${id}`);
        l = labStats(new Uint8Array(img.rgb), undefined, 4);
        labs.set(id, l);
      }
      return l;
    };
    return { systems, lab };
  };
  return {
    async clip(clip, log, show) {
      if (scope === 'none') return [];
      const { systems, lab } = await (prepared ??= prepare());
      const records: EvalRecord[] = [];
      for (const sys of systems) {
        if (sys.maskedOnly && !clip.masks) continue;
        const ts = performance.now();
        const res = await sys.run(clip);
        const fgLab = lab(sys.maskedOnly ? PHOTO : sys.look),
          bgLab = lab(sys.look);
        const inputDistance = styleDistanceOf(clip.frames, clip, fgLab, bgLab);
        const rec = evaluate(
          sys.id,
          clip,
          res.outputs,
          res.msPerFrame,
          res.stages,
          null,
          { fgLab, bgLab, inputDistance },
          res.note,
        );
        records.push(rec);
        log(
          `  ${clip.id} | ${sys.id}: warp ${(rec.warping_error * 1000).toFixed(3)}e-3, TCC ${rec.tcc}, style ${rec.style_distance} (${rec.style_distance_input}), ${rec.ms_per_frame} ms/frame [${((performance.now() - ts) / 1000).toFixed(1)} s]`,
        );
        await show(sys.id, res.outputs);
      }
      return records;
    },
    close: () => a.close(),
  };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

/**
 * Per look, over the clips where both ran: the temporal-loss network against its no-temporal
 * ablation (warping error, TCC, style distance to the painting), and the reduction in warping
 * error; then the same over all looks. `baseline` is the per-frame decoder's mean warping error.
 */
export function artisticSummary(records: EvalRecord[], baselineWarp: number | null): string {
  const by = (id: string) => new Map(records.filter((r) => r.system === id).map((r) => [r.clip, r]));
  const looks = [
    ...new Set(
      records.map((r) => /^artistic ([^ ,]+)$/.exec(r.system)?.[1]).filter((x): x is string => typeof x === 'string'),
    ),
  ];
  const rows = [['look', 'clips', 'warp temporal', 'warp no-temporal', 'lower by', 'TCC t / nt', 'style t / nt']];
  const allT: number[] = [],
    allN: number[] = [];
  for (const look of looks) {
    const t = by(`artistic ${look}`),
      n = by(`artistic ${look}, ablation: no temporal loss`);
    const clips = [...t.keys()].filter((c) => n.has(c));
    if (!clips.length) continue;
    const f = (m: Map<string, EvalRecord>, k: 'warping_error' | 'tcc' | 'style_distance') =>
      mean(clips.map((c) => m.get(c)![k] as number));
    const wt = f(t, 'warping_error'),
      wn = f(n, 'warping_error');
    allT.push(wt);
    allN.push(wn);
    rows.push([
      look,
      String(clips.length),
      `${(wt * 1000).toFixed(3)}e-3`,
      `${(wn * 1000).toFixed(3)}e-3`,
      `${(100 * (1 - wt / wn)).toFixed(0)} %`,
      `${f(t, 'tcc').toFixed(3)} / ${f(n, 'tcc').toFixed(3)}`,
      `${f(t, 'style_distance').toFixed(1)} / ${f(n, 'style_distance').toFixed(1)}`,
    ]);
  }
  if (!allT.length) return 'artistic: no look with both networks evaluated';
  const wt = mean(allT),
    wn = mean(allN);
  rows.push([
    'all looks',
    '',
    `${(wt * 1000).toFixed(3)}e-3`,
    `${(wn * 1000).toFixed(3)}e-3`,
    `${(100 * (1 - wt / wn)).toFixed(0)} %`,
    '',
    '',
  ]);
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const table = rows.map((r) => r.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ')).join('\n');
  const base =
    baselineWarp === null
      ? ''
      : `\nper-frame decoder baseline (photoreal, same clips): ${(baselineWarp * 1000).toFixed(3)}e-3 (${(baselineWarp / wt).toFixed(1)}x the temporal-loss networks')`;
  return `artistic looks, trained with vs without the temporal loss (same networks, same clips):\n${table}${base}`;
}
