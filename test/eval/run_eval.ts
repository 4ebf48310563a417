// `npm run eval [-- --quick] [--media DIR] [--out DIR] [--frames N]`: the quality evaluation.
// Loads the clips (clips.ts), runs every system on each (systems.ts), measures each output
// (evaluate.ts), times the engine at 480p/720p/1080p (speed.ts), and writes
// <out>/index.html (report_html.ts, pictures.ts) and <out>/results.json.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import type { Tier } from '../../server/src/engine/pool/thread_messages.js';
import { cloneFrame } from '../../server/src/engine/image/frame_convert.js';
import { FIRST_GRID_FADE_MS } from '../../server/src/engine/frame/session_engine.js';
import { engineHarness, settle, type Harness } from '../support/engine_harness.js';
import { loadRgb, ROOT } from '../support/media.js';
import { NetBaseline } from './baselines.js';
import { loadClips, mediaSet, type EvalClip } from './clips.js';
import { evaluate, haloFrames, styleDistanceOf, type EvalRecord, type HaloIdeal } from './evaluate.js';
import { frameDifference, labStats, warpResidual } from './metrics.js';
import { Pictures } from './pictures.js';
import { renderReport, startupText, textSummary, textTable, type ClipSection } from './report_html.js';
import { measureSpeed, type Res, type SpeedRecord } from './speed.js';
import { regionRuns, systems, tierHarness, type SystemEnv, type SystemResult } from './systems.js';
import { artisticEval, artisticSummary, type ArtisticScope } from './artistic_eval.js';
import { startupSystems } from './startup.js';

export interface EvalOptions {
  quick: boolean;
  /** a folder with clips/, photos/, styles/ (default: ../shared/media) */
  media?: string;
  out: string;
  /** frames per clip */
  frames: number;
  /** long side of the evaluation clips (px, rounded to multiples of 8) */
  longSide: number;
  speedRes: Res[];
  speedFrames: number;
  netFrames: number;
  /** artistic looks: all systems for every look, the first look's full set, or none */
  artistic: ArtisticScope;
}

export function parseArgs(argv: string[]): EvalOptions {
  const quick = argv.includes('--quick');
  const o: EvalOptions = {
    quick,
    out: join(ROOT, 'eval-report'),
    frames: quick ? 5 : 24,
    longSide: quick ? 320 : 640,
    speedRes: quick ? ['480p'] : ['480p', '720p', '1080p'],
    speedFrames: quick ? 3 : 10,
    netFrames: quick ? 1 : 2,
    artistic: quick ? 'none' : 'first',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') continue;
    else if (a === '--media') o.media = resolve(argv[++i]);
    else if (a === '--out') o.out = resolve(argv[++i]);
    else if (a === '--frames') o.frames = Math.max(3, Number(argv[++i]));
    else if (a === '--artistic') o.artistic = scopeArg(argv[++i]);
    else
      throw new Error(
        `unknown option ${a} (use --quick, --media DIR, --out DIR, --frames N, --artistic all|first|none)`,
      );
  }
  return o;
}

function scopeArg(v: string | undefined): ArtisticScope {
  if (v === 'all' || v === 'first' || v === 'none') return v;
  throw new Error(`--artistic takes all, first or none (got ${v})`);
}

const NOTES = [
  'warping error (Lai et al. 2018): mean over non-occluded pixels of the squared RGB difference (values in [0,1], mean of 3 channels) between output frame t and output frame t−1 warped to t by the input\'s flow, averaged over t; shown ×10³. Synthetic clips: exact flow (pan, zoom; pasted person: its exact shift, solid person/background only, edges and uncovered background excluded). Real clips: flow estimated by a dense pyramidal Lucas–Kanade (4 levels, 9×9 windows, 4 iterations per level; flow.ts), occlusions by a forward–backward check (Sundaram et al. 2010). The "input" row is each clip\'s floor (resampling, I420 chroma, flow errors).',
  'TCC (temporal change consistency, Wang et al. 2020): SSIM between |O_t − O_{t−1}| and |I_t − I_{t−1}| (luma, 8×8 windows every 4 px), averaged over the clip; 1 = the output changes exactly where the input does.',
  'grad SSIM (photorealism): SSIM of the luminance gradient magnitudes of output and input (test/support/image_metrics.ts gradientSsim), mean over ~6 frames per clip.',
  'style distance: per region, the 2-Wasserstein distance between Gaussians fitted to the region\'s CIE Lab colours (mean and covariance) and its style image\'s, mean over the regions (fg; bg too where there is a mask) and ~6 frames; "(input)" is the same for the unstylized input (before).',
  'halo px: at the middle and last frame, the ideal is each region\'s own look over the whole frame (the same tier run at r = 1 with the fg look on both regions and with the bg look on both; baselines: their own per-region outputs) blended per pixel by the soft reference mask (so the pixel-space blend ablation is the reference and scores 0 by construction); per 1-px band of distance to the mask edge (Euclidean distance transform of the mask), the mean |ΔY,ΔU,ΔV| to the ideal; halo = the largest distance < 24 px whose band error exceeds the far field (bands 24–47 px) by more than 3 code values. "–": clip without a mask.',
  "ms/frame: the frame path only (engine: SessionEngine.processFrame; the asynchronous low-res update is in the stages table; segmentation is not included). r = 1: each frame waits for its own low-res update; r = auto: frames paced in real time at the clip's frame rate. Pixel-space blend: both runs added. Baselines: the whole per-frame function.",
  `engine runs: the first frame is processed twice (waiting for each low-res update) and once more after the first grid's fade-in (${FIRST_GRID_FADE_MS} ms) has ended, before the clip, so no run starts on the global fallback grid or mid-fade; every frame of those rows is steady state.`,
  `start-up rows ("start-up: <tier> r=auto, cold session"): a session opened on the clip's first frame with no warm-up, paced in real time like a camera; it shows its global grids until the first low-res update lands, then fades to it over ${FIRST_GRID_FADE_MS} ms (FIRST_GRID_FADE_MS; before session 11 it jumped to it over r frames). Start-up = the frames before the update landed plus that fade (startup_frames in results.json); warping error and TCC are split there (frame pairs ending in a start-up frame or at the first steady one count as start-up); "start-up peak / steady peak" = the largest per-frame warping error of the start-up over the largest of the steady state (above 1: a jump no steady frame has).`,
  'temporal-loss pair (when models/gridnet_control* and gridnet_notemporal* are there): the shipped learned network fine-tuned for the same time with the same schedule, data and seed, once with its temporal loss ("control") and once without ("ablation: no temporal loss"); models/gridnet/README.md.',
  'ablations: no TC-AdaIN = tcAdainAlpha 0; pixel-space blend = the session run twice (fg look on both regions, bg look on both) and the outputs blended per pixel by the soft mask instead of in grid space; no mask enhancement = synthetic clips: the exact mask area-downscaled to 256 px and upsampled bilinearly; real clips: SpeakerMask with enhancement "bilinear".',
  "baselines: per-frame encoder→AdaIN→decoder at the clip's resolution (distilled VGG pair, as fullResNetBaseline in test/bench/engine.bench.ts; two regions by masked content statistics and a feature-space blend, one decode; no grid, no temporal state); 3D LUT: the global tier's transform (the closed-form colour transfer of global_transfer.ts) per region, fitted on the clip's first frame and baked into a 33³ LUT (a fixed grade, as a streamer's LUT is), applied by trilinear lookup as ffmpeg's lut3d does (the .cube files are in luts/: `ffmpeg -i in -vf lut3d=file=luts/<clip>_speaker.cube` reproduces the speaker's look), the two LUT outputs blended per pixel by the mask.",
  "artistic looks (models/artistic): each look's network through the product's frame path (internal size, guided upsampling, compositing by the mask) on both regions; \"ablation: no temporal loss\" = the same network trained without the two-frame temporal term (same schedule, seed and data); style distance to the look's painting; no halo measure (an artistic look repaints edges by design). `--artistic first` (default) runs every artistic system for the first look and the temporal pair for the others; `all` every system for every look. The artistic networks never saw these clips in training (models/data/MANIFEST.md).",
  'speed: a few frames per configuration from the first real clip scaled to each resolution (aspect not kept), no mask, not paced; the full engine benchmark is `npm run bench`.',
];

export async function runEval(
  o: EvalOptions,
  log: (s: string) => void = console.log,
): Promise<{ records: EvalRecord[]; speed: SpeedRecord[]; wallS: number }> {
  const t0 = performance.now();
  rmSync(join(o.out, 'img'), { recursive: true, force: true });
  mkdirSync(o.out, { recursive: true });
  const media = mediaSet(o.media);
  const stylePaths = media.shared
    ? [join(media.dir, 'styles', 'kde_eveningglow.jpg'), join(media.dir, 'styles', 'kde_darkesthour.jpg')]
    : [media.styles[0], media.styles[1 % media.styles.length]];
  if (!stylePaths[0]) throw new Error(`no style images in ${media.dir}/styles`);
  const [fgImg, bgImg] = await Promise.all(stylePaths.map((p) => loadRgb(p)));
  const harness: Partial<Record<Tier, Harness>> = {};
  for (const t of ['learned', 'neural', 'fast', 'global'] as const) {
    const h = await engineHarness(t);
    if (t === 'learned' && !h.ctx.learnedAvailable) {
      await h.close(); // no grid network in models/: no learned rows
      continue;
    }
    h.addStyle('eval-fg', fgImg.rgb, fgImg.width, fgImg.height);
    h.addStyle('eval-bg', bgImg.rgb, bgImg.width, bgImg.height);
    harness[t] = h;
  }
  const neural = tierHarness({ harness }, 'neural');
  const fgLab = labStats(fgImg.rgb, undefined, 4),
    bgLab = labStats(bgImg.rgb, undefined, 4);
  const fgStyle = neural.ctx.styles.get('eval-fg'),
    bgStyle = neural.ctx.styles.get('eval-bg');
  const net = await NetBaseline.create(fgStyle, bgStyle);
  log(`eval: styles fg=${basename(stylePaths[0])} bg=${basename(stylePaths[1])}; loading clips from ${media.dir}`);
  const clips = await loadClips(media, { frames: o.frames, longSide: o.longSide, quick: o.quick });
  if (!clips.length) throw new Error(`no clips: ${media.dir} has neither photos/ nor clips/`);
  log(`eval: ${clips.length} clips loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // warm-up (JIT, style statistics in the low-res worker, first updates) so the first clip's timings are like the others'
  for (const h of Object.values(harness)) {
    const c = clips[0],
      s = h.open('eval-fg', 'eval-bg', { fixedR: 1 });
    for (let k = 0; k < 4; k++) {
      s.processFrame(cloneFrame(c.frames[k % c.frames.length]), k * 33, c.masks?.[k % c.frames.length]);
      await settle(s);
    }
    s.close();
  }
  const pics = new Pictures(o.out);
  const artistic = artisticEval(o.artistic);
  const records: EvalRecord[] = [],
    sections: ClipSection[] = [];
  for (const clip of clips) {
    const tc = performance.now();
    const base: SystemEnv = {
      harness,
      fg: 'eval-fg',
      bg: 'eval-bg',
      fgLab,
      bgLab,
      fgStyle,
      bgStyle,
      net,
      haloFrames: haloFrames(clip.frames.length),
    };
    const regionMemo = new Map<Tier, Promise<{ fg: SystemResult; bg: SystemResult }>>();
    const regionCache = (tier: Tier) => {
      let p = regionMemo.get(tier);
      if (!p) {
        p = regionRuns(tierHarness(base, tier), clip, base);
        regionMemo.set(tier, p);
      }
      return p;
    };
    const inputDistance = styleDistanceOf(clip.frames, clip, fgLab, bgLab);
    const gallery: [string, string][] = [];
    let ours: I420Frame[] = clip.frames;
    for (const sys of [...systems(regionCache, !!harness.learned), ...startupSystems(!!harness.learned)]) {
      if ((sys.maskedOnly && !clip.masks) || (sys.only && !sys.only(clip))) continue;
      const ts = performance.now();
      const res = await sys.run(clip, base);
      for (const [name, text] of Object.entries(res.files ?? {})) {
        mkdirSync(join(o.out, dirname(name)), { recursive: true });
        writeFileSync(join(o.out, name), text);
      }
      const haloRef = clip.masks ? sys.haloRef : null;
      const ref = haloRef && haloRef !== 'own' ? await regionCache(haloRef) : null;
      const ideal: ((t: number) => HaloIdeal | undefined) | null = !haloRef
        ? null
        : ref
          ? (t) => ({ fg: ref.fg.outputs[t], bg: ref.bg.outputs[t] })
          : (t) => res.idealParts?.get(t);
      const rec = evaluate(
        sys.id,
        clip,
        res.outputs,
        res.msPerFrame,
        res.stages,
        ideal,
        { fgLab, bgLab, inputDistance },
        res.note,
        res.startupFrames,
      );
      records.push(rec);
      log(
        `  ${clip.id} | ${sys.id}: warp ${(rec.warping_error * 1000).toFixed(3)}e-3, TCC ${rec.tcc}, gradSSIM ${rec.grad_ssim}, style ${rec.style_distance} (${rec.style_distance_input}), halo ${rec.halo_px ?? '-'}, ${rec.ms_per_frame} ms/frame [${((performance.now() - ts) / 1000).toFixed(1)} s]`,
      );
      gallery.push([sys.id, await pics.frame(`${clip.id}_last_${sys.id}`, res.outputs.at(-1)!)]);
      if (sys.id === `${harness.learned ? 'learned' : 'neural'} r=auto`) ours = res.outputs;
    }
    records.push(
      ...(await artistic.clip(clip, log, async (id, outputs) => {
        gallery.push([id, await pics.frame(`${clip.id}_last_${id}`, outputs.at(-1)!)]);
      })),
    );
    sections.push(await clipSection(clip, ours, gallery, pics));
    log(`eval: ${clip.id} done in ${((performance.now() - tc) / 1000).toFixed(1)} s`);
  }

  const speedClip = media.shared ? join(media.dir, 'clips', 'iot_asl_again.mkv') : media.clips[0];
  const speed = speedClip
    ? await measureSpeed(
        speedClip,
        harness,
        'eval-fg',
        'eval-bg',
        net,
        { fgStyle, bgStyle },
        { resolutions: o.speedRes, frames: o.speedFrames, netFrames: o.netFrames },
        log,
      )
    : [];
  for (const h of Object.values(harness)) await h.close();
  await artistic.close();

  const decoder = records.filter((r) => r.system === 'baseline: per-frame enc→AdaIN→dec');
  const artisticText =
    o.artistic === 'none'
      ? ''
      : `\n\n${artisticSummary(records, decoder.length ? decoder.reduce((s, r) => s + r.warping_error, 0) / decoder.length : null)}`;
  const wallS = (performance.now() - t0) / 1000;
  const options = {
    quick: o.quick,
    media: media.dir,
    frames: o.frames,
    longSide: o.longSide,
    speedRes: o.speedRes,
    cpus: availableParallelism(),
  };
  const generated = new Date().toISOString();
  writeFileSync(
    join(o.out, 'results.json'),
    `${JSON.stringify(
      {
        generated,
        options,
        wall_s: Math.round(wallS),
        notes: artisticText ? [...NOTES, artisticText.trim()] : NOTES,
        clips: clips.map((c) => ({
          id: c.id,
          kind: c.kind,
          note: c.note,
          width: c.width,
          height: c.height,
          frames: c.frames.length,
          fps: c.fps,
          flow: c.flowKind,
          mask: c.maskKind,
        })),
        records,
        speed,
      },
      null,
      1,
    )}\n`,
  );
  writeFileSync(
    join(o.out, 'index.html'),
    renderReport({
      title: 'Restyle quality evaluation',
      generated,
      options,
      wallS,
      records,
      speed,
      clips: sections,
      notes: artisticText ? [...NOTES, artisticText.trim()] : NOTES,
    }),
  );
  log(
    `\n${textSummary(records)}\n\n${startupText(records)}\n\n${textTable(records)}${artisticText}\n\neval: report in ${join(o.out, 'index.html')} (${wallS.toFixed(0)} s)`,
  );
  return { records, speed, wallS };
}

async function clipSection(
  clip: EvalClip,
  ours: I420Frame[],
  gallery: [string, string][],
  pics: Pictures,
): Promise<ClipSection> {
  const T = clip.frames.length,
    { width: W, height: H } = clip;
  const shown = [
    ...new Set([1, Math.round(T / 3), Math.round((2 * T) / 3), T - 1].map((t) => Math.max(1, Math.min(T - 1, t)))),
  ];
  const rows: [string, string[]][] = [
    ['input', []],
    ['ours (the default tier, r=auto)', []],
    ['mask', []],
    ['|Δ input|', []],
    ['|Δ ours|', []],
    ['|ours − warped previous ours| (black: occluded)', []],
  ];
  for (const t of shown) {
    rows[0][1].push(await pics.frame(`${clip.id}_in_${t}`, clip.frames[t]));
    rows[1][1].push(await pics.frame(`${clip.id}_out_${t}`, ours[t]));
    rows[2][1].push(
      clip.masks
        ? await pics.mask(`${clip.id}_mask_${t}`, clip.masks[t], W, H)
        : await pics.mask(`${clip.id}_mask_${t}`, new Uint8Array(W * H).fill(255), W, H),
    );
    rows[3][1].push(await pics.diff(`${clip.id}_din_${t}`, frameDifference(clip.frames[t], clip.frames[t - 1]), W, H));
    rows[4][1].push(await pics.diff(`${clip.id}_dout_${t}`, frameDifference(ours[t], ours[t - 1]), W, H));
    rows[5][1].push(
      await pics.diff(`${clip.id}_dwarp_${t}`, warpResidual(ours[t], ours[t - 1], clip.flows[t], clip.valid[t]), W, H),
    );
  }
  return { id: clip.id, note: clip.note, width: W, height: H, frames: T, strip: { frames: shown, rows }, gallery };
}
