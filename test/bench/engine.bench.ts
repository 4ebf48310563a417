// `npm run bench [-- --json FILE] [--seconds N]`: the stylizer engine alone, on frames of the
// webcam clip, single session: ms per stage, frame-time percentiles and fps at 480p, 720p and
// 1080p, per tier, at r = 1 (every frame waits for a fresh low-res update) and at the default
// (adaptive) r, plus memory; then two baselines on the same 720p frames: ffmpeg's lut3d with
// a 33^3 LUT and a per-frame full-resolution encoder -> AdaIN -> decoder with the same
// distilled networks, and our frame time as a ratio to each. Segmentation (model, smoothing,
// enhancement) is measured on its own per resolution and together with the engine
// (rows with seg = selfie), as the engine threads run it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { cloneFrame } from '../../server/src/engine/image/frame_convert.js';
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import { OnnxRuntime, ort } from '../../server/src/engine/runtime/onnx_session.js';
import { adain, channelStats, maskedStats } from '../../server/src/engine/lowres/st_adain.js';
import { NeuralTargets, rgbPlanarToYuv, yuvToRgbPlanar } from '../../server/src/engine/lowres/neural_targets.js';
import { downscaleI420 } from '../../server/src/engine/image/downscale.js';
import type { Tier } from '../../server/src/engine/pool/thread_messages.js';
import { Segmenter } from '../../server/src/engine/segmentation/segmenter.js';
import { DEFAULT_SPEAKER_MASK, SpeakerMask } from '../../server/src/engine/segmentation/speaker_mask.js';
import { webcamFrames } from '../support/clips.js';
import { engineHarness, memArenaFromEnv, settle, type Harness } from '../support/engine_harness.js';
import { artisticRows } from './artistic_rows.js';
import { benchSeconds, percentile, table, writeJson, type BenchRecord } from './report.js';

const RES = { '480p': [640, 480], '720p': [1280, 720], '1080p': [1920, 1080] } as const;
type Res = keyof typeof RES;
const PROVIDER = 'cpu';
const rssMb = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const r1 = (x: number) => Math.round(x * 10) / 10;
const CAMERA_FPS = 30;
const FRAME_MS = 1000 / CAMERA_FPS;

function loadFrames(res: Res, count: number): I420Frame[] {
  const [w, h] = RES[res];
  return webcamFrames(w, h, count, 3); // every 3rd frame: more motion
}

/**
 * where the speaker mask's model runs: as the product runs it (DEFAULT_SPEAKER_MASK.budgetMs:
 * on the frame path while it fits), or always beside it (started by a frame that is served
 * the latest mask; what a machine too slow for the budget gets)
 */
type MaskPath = 'product' | 'off-path';

interface Run {
  rec: BenchRecord;
  stages: Record<string, number[]>;
  /** per second of 30 fps video: frames, and low-res updates (the stages' ms times these are their CPU-ms/s) */
  rates: { frame: number; lowres: number };
}

async function runEngine(
  h: Harness,
  frames: I420Frame[],
  tier: Tier,
  fixedR: number | null,
  seconds: number,
  seg: Segmenter | null = null,
  maskPath: MaskPath = 'product',
  paced = false,
): Promise<Run> {
  const s = h.open('evening-glow', 'darkest-hour', fixedR ? { fixedR } : {});
  const budgetMs = maskPath === 'off-path' ? 0 : DEFAULT_SPEAKER_MASK.budgetMs;
  const mask = seg ? new SpeakerMask(seg.stream(h.ctx.kernels), { budgetMs }, h.ctx.kernels) : null;
  // warm-up: JIT, first updates
  for (let k = 0; k < 20; k++) {
    const f = cloneFrame(frames[k % frames.length]);
    s.processFrame(f, performance.now(), mask ? (await mask.update(f, k * FRAME_MS)).plane : undefined);
    await settle(s);
  }
  const totals: number[] = [],
    stages: Record<string, number[]> = {};
  const work = frames.map(cloneFrame);
  let n = 0,
    rSum = 0,
    kSum = 0,
    updates = 0,
    lastLowres: Record<string, number> | null = null;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const f = work[n % work.length];
    f.data.set(frames[n % frames.length].data);
    const t = performance.now();
    const m = mask ? await mask.update(f, (20 + n) * FRAME_MS) : null; // a 30 fps camera
    if (mask) kSum += mask.cadence;
    const segMs = performance.now() - t;
    const rep = s.processFrame(f, performance.now(), m?.plane);
    totals.push(rep.totalMs + segMs);
    for (const [k, v] of Object.entries(rep.stages)) if (k !== 'lowres') (stages[k] ??= []).push(v);
    if (m) for (const [k, v] of Object.entries(m.stages)) (stages[`seg.${k}`] ??= []).push(v);
    // each low-res update once (the report repeats the last one's stages until the next)
    if (rep.lowres !== lastLowres && Object.keys(rep.lowres).length) {
      for (const [k, v] of Object.entries(rep.lowres)) (stages[`lowres.${k}`] ??= []).push(v);
      updates++;
    }
    lastLowres = rep.lowres;
    rSum += rep.r;
    n++;
    if (fixedR === 1)
      await settle(s); // r = 1: each frame's update is waited for
    else if (paced)
      // a live camera: the next frame comes FRAME_MS after this one was due (the policy sizes r
      // to the camera's interval; unpaced, frames come as fast as the pipeline takes them)
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + n * FRAME_MS - performance.now())));
    else await new Promise((r) => setImmediate(r)); // let the low-res results in
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await settle(s);
  s.close();
  const rec: BenchRecord = {
    stage: `${seg ? (maskPath === 'off-path' ? 'frame+seg(model off path)' : 'frame+seg') : 'frame'}${paced ? '@30fps' : ''}`,
    resolution: '',
    tier: s.tier,
    r: fixedR ?? `auto (${r1(rSum / n)})`,
    provider: PROVIDER,
    fps: r1(n / elapsed),
    p50_ms: r1(percentile(totals, 50)),
    p95_ms: r1(percentile(totals, 95)),
    // CPU of the whole process (every thread: frame path, low-res worker, inference) per second
    // of 30 fps video: what one session costs the server, codecs aside
    cpu_ms_per_s: Math.round((cpu.user + cpu.system) / 1000 / (n / CAMERA_FPS)),
    rss_mb: rssMb(),
    frames: n,
  };
  if (s.tier !== tier) rec.note = `degraded from ${tier}`;
  if (mask) rec.note = `${rec.note ? `${rec.note}; ` : ''}model every ${r1(kSum / n)} frames at 30 fps input`;
  mask?.close();
  return { rec, stages, rates: { frame: CAMERA_FPS, lowres: (updates / n) * CAMERA_FPS } };
}

/**
 * Memory one open session holds at 720p in the engine thread (JS heap + typed arrays: grids,
 * statistics, buffers), measured as what is released when the sessions close; and the
 * process RSS growth while they ran.
 */
async function memoryPerSession(h: Harness, frames: I420Frame[]): Promise<{ heapMb: number; rssMb: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const snap = () => {
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss };
  };
  const count = 8;
  const start = snap();
  const sessions = Array.from({ length: count }, () => h.open('blue-hour', 'evening-glow'));
  for (let k = 0; k < 10; k++)
    for (const s of sessions) {
      s.processFrame(cloneFrame(frames[k % frames.length]), performance.now());
      await settle(s);
    }
  const open = snap();
  for (const s of sessions) s.close();
  sessions.length = 0;
  const closed = snap();
  return {
    heapMb: (open.heap - closed.heap) / count / 2 ** 20,
    rssMb: Math.max(0, open.rss - start.rss) / count / 2 ** 20,
  };
}

/** ffmpeg lut3d (33^3 .cube) on the same 720p frames: ms per frame. */
function lut3dBaseline(frames: I420Frame[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'rs-lut-'));
  const raw = join(dir, 'in.yuv'),
    cube = join(dir, 'warm.cube');
  const N = 33;
  const lines = ['LUT_3D_SIZE 33'];
  for (let b = 0; b < N; b++)
    for (let g = 0; g < N; g++)
      for (let r = 0; r < N; r++) {
        const [R, G, B] = [r / (N - 1), g / (N - 1), b / (N - 1)];
        lines.push(
          `${Math.min(1, R * 1.08 + 0.02).toFixed(6)} ${(G * 0.98 + 0.01).toFixed(6)} ${(B * 0.85).toFixed(6)}`,
        );
      }
  writeFileSync(cube, `${lines.join('\n')}\n`);
  const reps = 4;
  writeFileSync(raw, Buffer.concat(Array.from({ length: reps }, () => frames.map((f) => Buffer.from(f.data))).flat()));
  const count = frames.length * reps;
  const t0 = performance.now();
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    '-s',
    `${frames[0].width}x${frames[0].height}`,
    '-i',
    raw,
    '-vf',
    `lut3d=file=${cube},format=yuv420p`,
    '-f',
    'rawvideo',
    '-y',
    '/dev/null',
  ]);
  const tRun = performance.now() - t0;
  const t1 = performance.now();
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    '-s',
    `${frames[0].width}x${frames[0].height}`,
    '-i',
    raw,
    '-vf',
    'format=yuv420p',
    '-f',
    'rawvideo',
    '-y',
    '/dev/null',
  ]);
  const tIo = performance.now() - t1;
  return (tRun - tIo) / count; // the filter's own cost (process start and raw I/O subtracted)
}

/** Per-frame full-resolution encoder -> AdaIN -> decoder (no grid): ms per frame. */
async function fullResNetBaseline(h: Harness, frames: I420Frame[], count: number): Promise<number> {
  const onnx = new OnnxRuntime({ provider: PROVIDER, threads: 2, memArena: memArenaFromEnv() });
  const [enc, dec] = await Promise.all([onnx.session('vgg_enc4.onnx'), onnx.session('vgg_dec4.onnx')]);
  const { width: W, height: H } = frames[0];
  const n = W * H,
    fn = (W >> 3) * (H >> 3);
  // style statistics as the engine computes and caches them (not timed)
  const style = await (await NeuralTargets.create(onnx)).styleStats(h.ctx.styles.get('evening-glow'));
  const content = channelStats(128);
  const rgb = new Float32Array(3 * n),
    feats = new Float32Array(128 * fn),
    yuvOut = new Float32Array(3 * n);
  const times: number[] = [];
  for (let k = 0; k < count; k++) {
    const t0 = performance.now();
    const low = downscaleI420(frames[k % frames.length], W, H); // I420 -> interleaved YUV at full size
    yuvToRgbPlanar(low.yuv, n, rgb);
    const x = (await enc.run({ image: new ort.Tensor('float32', rgb, [1, 3, H, W]) }, ['r41'])).r41
      .data as Float32Array;
    maskedStats(x, 128, fn, null, content);
    adain(x, 128, fn, content, style, feats, 0);
    const img = (await dec.run({ feat: new ort.Tensor('float32', feats, [1, 128, H >> 3, W >> 3]) }, ['image'])).image
      .data as Float32Array;
    rgbPlanarToYuv(img, n, 0, yuvOut);
    times.push(performance.now() - t0);
  }
  return percentile(times.slice(1), 50);
}

it('engine benchmark', async () => {
  const seconds = benchSeconds(5);
  const quick = process.env.BENCH_QUICK === '1';
  const records: BenchRecord[] = [];
  const stageRows: BenchRecord[] = [];
  const harness: Partial<Record<Tier, Harness>> = {};
  for (const t of ['neural', 'fast', 'global'] as const) harness[t] = await engineHarness(t, PROVIDER);
  // the learned tier when its networks are in models/ (gridnet*.onnx)
  const learned = await engineHarness('learned', PROVIDER);
  if (learned.ctx.learnedAvailable) harness.learned = learned;
  else await learned.close();
  const seg = await Segmenter.create(new OnnxRuntime({ provider: PROVIDER, threads: 1, memArena: memArenaFromEnv() }));
  type BenchRun = [Tier, number | null, Segmenter | null, MaskPath?, boolean?];
  const learnedRuns: BenchRun[] = [
    ['learned', 1, null],
    ['learned', null, null],
    ['learned', null, seg],
    // at the camera's rate: the r a live session settles at (unpaced runs feed frames faster)
    ['learned', null, seg, 'product', true],
    ['learned', null, seg, 'off-path'],
  ];
  const runs: BenchRun[] = [
    ...(harness.learned ? learnedRuns : []),
    ['neural', 1, null],
    ['neural', null, null],
    ['neural', null, seg],
    ['neural', null, seg, 'off-path'],
    ['fast', 1, null],
    ['fast', null, null],
    ['global', 1, null],
  ];
  const frames720 = loadFrames('720p', 24);
  for (const res of (quick ? ['720p'] : ['480p', '720p', '1080p']) as Res[]) {
    const frames = res === '720p' ? frames720 : loadFrames(res, 24);
    for (const [tier, r, sg, path, paced] of runs) {
      const run = await runEngine(harness[tier]!, frames, tier, r, seconds, sg, path, paced);
      run.rec.resolution = res;
      records.push(run.rec);
      console.log(JSON.stringify(run.rec));
      for (const [stage, xs] of Object.entries(run.stages)) {
        const row = {
          stage: `${run.rec.stage}:${stage}`,
          resolution: res,
          tier: run.rec.tier,
          r: run.rec.r,
          provider: PROVIDER,
          p50_ms: r1(percentile(xs, 50)),
          p95_ms: r1(percentile(xs, 95)),
          // mean ms x how often the stage runs per second of 30 fps video
          cpu_ms_per_s: Math.round(
            (xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) *
              (stage.startsWith('lowres.') ? run.rates.lowres : run.rates.frame),
          ),
        };
        stageRows.push(row);
      }
    }
  }
  // the artistic looks (a network per painting on the frame thread): artistic_rows.ts
  const art = await artisticRows(
    quick ? { '720p': frames720 } : { '480p': loadFrames('480p', 24), '720p': frames720 },
    seg,
    seconds,
  );
  records.push(...art.records);
  stageRows.push(...art.stageRows);
  const mem = await memoryPerSession(harness.neural!, frames720);
  const lut = lut3dBaseline(frames720.slice(0, 12));
  const net = await fullResNetBaseline(harness.neural!, frames720, 4);
  for (const h of Object.values(harness)) await h?.close();

  const auto720 = (tier: Tier) =>
    records.find(
      (x) => x.stage === 'frame' && x.resolution === '720p' && x.tier === tier && String(x.r).startsWith('auto'),
    );
  const ours = auto720('learned') ?? auto720('neural') ?? records.find((x) => x.resolution === '720p')!;
  const ourMs = ours.p50_ms as number;
  ours.ratio_vs_lut3d = Math.round((ourMs / lut) * 100) / 100;
  ours.ratio_vs_fullres_net = Math.round((ourMs / net) * 1000) / 1000;
  // the pipeline with segmentation (issue 20 compares it with lut3d), model on and off the frame path
  const segStages = new Set(['frame+seg', 'frame+seg(model off path)', 'frame+seg@30fps']);
  const withSeg = records.filter((x) => segStages.has(String(x.stage)) && x.resolution === '720p');
  for (const x of withSeg) x.ratio_vs_lut3d = Math.round(((x.p50_ms as number) / lut) * 100) / 100;
  records.push({
    stage: 'baseline:ffmpeg-lut3d-33',
    resolution: '720p',
    tier: '-',
    r: '-',
    provider: 'ffmpeg',
    fps: r1(1000 / lut),
    p50_ms: r1(lut),
    p95_ms: null,
    rss_mb: null,
  });
  records.push({
    stage: 'baseline:fullres-enc-adain-dec',
    resolution: '720p',
    tier: '-',
    r: '-',
    provider: PROVIDER,
    fps: r1(1000 / net),
    p50_ms: r1(net),
    p95_ms: null,
    rss_mb: null,
  });
  records.push({
    stage: 'memory-per-session',
    resolution: '720p',
    tier: 'neural',
    r: '-',
    provider: PROVIDER,
    fps: null,
    p50_ms: null,
    p95_ms: null,
    rss_mb: r1(mem.rssMb),
    heap_mb: r1(mem.heapMb),
  });

  console.log(
    `\nengine, single session, provider ${PROVIDER} (no GPU in this run: webgpu not measured), ${seconds} s per run; cpu_ms_per_s: the process CPU (all threads) per second of 30 fps video\n` +
      table(records, ['stage', 'resolution', 'tier', 'r', 'fps', 'p50_ms', 'p95_ms', 'cpu_ms_per_s', 'rss_mb', 'note']),
  );
  console.log(
    `\nms per stage (lowres.* = the asynchronous low-res update, off the frame path, one row per update; cpu_ms_per_s = mean ms x runs per second of 30 fps video)\n` +
      table(stageRows, ['stage', 'resolution', 'tier', 'r', 'p50_ms', 'p95_ms', 'cpu_ms_per_s']),
  );
  console.log(
    `\n720p, ${ours.tier} tier, default r: ${ourMs} ms per frame = ${ours.ratio_vs_lut3d}x ffmpeg lut3d (${r1(lut)} ms) ` +
      `and ${ours.ratio_vs_fullres_net}x a per-frame full-res encoder->AdaIN->decoder (${r1(net)} ms); memory per extra session: ${r1(mem.heapMb)} MB heap + buffers in the engine thread, ${r1(mem.rssMb)} MB process RSS`,
  );
  for (const x of withSeg)
    console.log(
      `720p with segmentation ${x.stage === 'frame+seg(model off path)' ? 'beside the frame path' : 'as the product runs it (on the frame path while it fits)'}${String(x.stage).endsWith('@30fps') ? ', frames paced at 30 fps' : ', frames unpaced'} (selfie model + smoothing + guided enhancement), ${x.tier} r ${x.r}: ${x.fps} fps, p50 ${x.p50_ms} ms = ${x.ratio_vs_lut3d}x lut3d, p95 ${x.p95_ms} ms per frame`,
    );
  console.log(`\nartistic looks:\n${art.summary.join('\n')}`);
  writeJson([...records, ...stageRows].map((x) => ({ bench: 'engine', ...x })));
});
