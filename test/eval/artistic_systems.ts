// The evaluation's systems for the artistic looks (to be listed beside systems.ts's by the
// report): each runs a clip through the product's own per-session frame path (FrameSession,
// the code the engine threads run: the network at the internal size, the guided upsampling,
// the compositing by the clip's mask) for one look and one network file, frame by frame, and
// returns the outputs like systems.ts's SystemResult. Systems per look:
// - `artistic <look>`: the shipped network (trained with the temporal loss), both regions;
// - `artistic <look>, ablation: no temporal loss`: models/artistic/ablation/artistic_<look>_notemporal.onnx;
// - `artistic <look>, ablation: bilinear upsampling`: the shipped network, no guide;
// - `artistic <look> on the background, photoreal speaker` (clips with a mask): the mixed look;
// - `baseline: artistic <look>, full-resolution network per frame`: the network on the whole
//   frame at its own size, no upsampling (what running it at camera resolution would give).
// Usage: const a = createArtisticSystems({ looks: ['starry-night-art'] }); for (const s of a.systems)
// await s.run(clip); ...; await a.close().
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtisticUpsampling } from '../../server/src/engine/frame/artistic_upsample.js';
import { cloneFrame } from '../../server/src/engine/image/frame_convert.js';
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import type { TierMode } from '../../server/src/engine/pool/thread_messages.js';
import { artisticHarness, GivenMasks, type ArtisticHarness } from '../support/artistic_harness.js';
import { ROOT } from '../support/media.js';
import type { EvalClip } from './clips.js';
import type { SystemResult } from './systems.js';

export interface ArtisticSystemDef {
  id: string;
  family: 'artistic' | 'baseline';
  /** the look (id in models/artistic/styles.json) */
  look: string;
  /** which network: the shipped one, or the no-temporal-loss ablation */
  network: 'temporal' | 'notemporal';
  /** only on clips with a mask */
  maskedOnly?: boolean;
  run(clip: EvalClip): Promise<SystemResult>;
}

export interface ArtisticSystemsOptions {
  /** looks to evaluate (default: every artistic look offered) */
  looks?: string[];
  /** the photoreal tier of the mixed system's speaker (default: the product's, auto) */
  tierMode?: TierMode;
  /** the photoreal look of the mixed system's speaker */
  photo?: string;
}

export interface RunOptions {
  network: 'temporal' | 'notemporal';
  fg: 'look' | string;
  bg: 'look' | string;
  upsample?: ArtisticUpsampling;
  /** the internal size's long side (default: the product's) */
  longSide?: number;
}

const meanStages = (list: Record<string, number>[]): Record<string, number> => {
  const acc: Record<string, number> = {};
  for (const s of list) for (const [k, v] of Object.entries(s)) acc[k] = (acc[k] ?? 0) + v / list.length;
  return acc;
};

/** The ablation network's file under models/, or null when it is not there. */
export function notemporalModel(look: string): string | null {
  const file = join('artistic', 'ablation', `artistic_${look}_notemporal.onnx`);
  return existsSync(join(ROOT, 'models', file)) ? file : null;
}

/**
 * Runs `clip` through FrameSession with `look` (under the id of the chosen network) where
 * asked and a photoreal look elsewhere. The first frame is processed twice first (outputs
 * dropped), like systems.ts's warm-up; frames are stamped at the clip's frame rate.
 */
export async function runArtistic(
  h: ArtisticHarness,
  clip: EvalClip,
  look: string,
  o: RunOptions,
): Promise<SystemResult> {
  let id = look;
  if (o.network === 'notemporal') {
    const file = notemporalModel(look);
    if (!file) throw new Error(`no ablation network for ${look} (models/artistic/ablation/)`);
    id = `${look}_notemporal`;
    h.ctx.artistic.add(id, file);
    await h.ctx.artistic.ready([id]);
  }
  const masks = clip.masks ? new GivenMasks(clip.masks) : null;
  const pick = (r: string) => (r === 'look' ? id : r);
  const s = h.open(pick(o.fg), pick(o.bg), masks, {
    artistic: {
      ...(o.upsample ? { upsample: { method: o.upsample } } : {}),
      ...(o.longSide ? { longSide: o.longSide } : {}),
    },
  });
  const dt = 1000 / clip.fps;
  for (let k = 0; k < 2; k++) {
    masks?.seek(0);
    await s.process(cloneFrame(clip.frames[0]), k * dt);
  }
  const outputs: I420Frame[] = [],
    ms: number[] = [],
    stages: Record<string, number>[] = [];
  let internal = '';
  for (let t = 0; t < clip.frames.length; t++) {
    masks?.seek(t);
    const f = cloneFrame(clip.frames[t]);
    const t0 = performance.now();
    const rep = await s.process(f, (t + 2) * dt);
    ms.push(performance.now() - t0);
    outputs.push(f);
    const st: Record<string, number> = { ...rep.stages };
    delete st.lowres;
    stages.push(st);
    internal = rep.artistic ?? internal;
  }
  s.close();
  return { outputs, msPerFrame: ms, stages: meanStages(stages), note: internal ? `internal ${internal}` : undefined };
}

/** The artistic systems for `looks`, sharing one harness (made at the first run; close() ends it). */
export function createArtisticSystems(opts: ArtisticSystemsOptions = {}): {
  systems: () => Promise<ArtisticSystemDef[]>;
  /** the shared harness (its style library has the looks' paintings) */
  harness: () => Promise<ArtisticHarness>;
  close: () => Promise<void>;
} {
  let harness: Promise<ArtisticHarness> | null = null;
  const get = () => (harness ??= artisticHarness(opts.tierMode ?? 'auto'));
  const photo = opts.photo ?? 'evening-glow';
  const systems = async (): Promise<ArtisticSystemDef[]> => {
    const h = await get();
    const looks = opts.looks ?? h.looks;
    const out: ArtisticSystemDef[] = [];
    for (const look of looks) {
      const def = (id: string, o: RunOptions, extra: Partial<ArtisticSystemDef> = {}): ArtisticSystemDef => ({
        id,
        family: 'artistic',
        look,
        network: o.network,
        run: (clip) => runArtistic(h, clip, look, o),
        ...extra,
      });
      out.push(def(`artistic ${look}`, { network: 'temporal', fg: 'look', bg: 'look' }));
      if (notemporalModel(look))
        out.push(
          def(`artistic ${look}, ablation: no temporal loss`, { network: 'notemporal', fg: 'look', bg: 'look' }),
        );
      out.push(
        def(`artistic ${look}, ablation: bilinear upsampling`, {
          network: 'temporal',
          fg: 'look',
          bg: 'look',
          upsample: 'bilinear',
        }),
      );
      out.push(
        def(
          `artistic ${look} on the background, photoreal speaker (${photo})`,
          { network: 'temporal', fg: photo, bg: 'look' },
          { maskedOnly: true },
        ),
      );
      // the network on the whole frame at its own size (the internal size = the frame's)
      out.push(
        def(
          `baseline: artistic ${look}, full-resolution network per frame`,
          { network: 'temporal', fg: 'look', bg: 'look', longSide: 1 << 14 },
          { family: 'baseline' },
        ),
      );
    }
    return out;
  };
  return {
    systems,
    harness: get,
    close: async () => {
      if (harness) await (await harness).close();
      harness = null;
    },
  };
}
