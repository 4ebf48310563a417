// The artistic looks' rows of `npm run bench` (engine.bench.ts): the network alone at several
// internal sizes and at the full frame size (the per-frame full-resolution design it avoids),
// the three upsamplings, and the product's frame path (FrameSession: segmentation on the frame
// path, the photoreal grid path, the artistic layers, the compositing) at 480p and 720p with
// an artistic look on both regions and mixed with a photoreal speaker; then the memory one
// such session holds, what one more look costs a thread, and a look change in a fresh process
// (the first artistic frame after photoreal ones, look_change.mjs).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ArtisticUpsampler, type ArtisticUpsampling } from '../../server/src/engine/frame/artistic_upsample.js';
import { cloneFrame } from '../../server/src/engine/image/frame_convert.js';
import { i420Size, type I420Frame } from '../../server/src/engine/image/i420.js';
import { Downscaler } from '../../server/src/engine/image/downscale.js';
import { OnnxRuntime, ort } from '../../server/src/engine/runtime/onnx_session.js';
import type { Segmenter } from '../../server/src/engine/segmentation/segmenter.js';
import { SpeakerMask } from '../../server/src/engine/segmentation/speaker_mask.js';
import { artisticHarness, type ArtisticHarness } from '../support/artistic_harness.js';
import { memArenaFromEnv } from '../support/engine_harness.js';
import { ROOT } from '../support/media.js';
import { percentile, type BenchRecord } from './report.js';

const r1 = (x: number) => Math.round(x * 10) / 10;
const FRAME_MS = 1000 / 30;
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const gc = () => {
  const g = (globalThis as { gc?: () => void }).gc;
  g?.();
  g?.();
};

export interface ArtisticBench {
  records: BenchRecord[];
  stageRows: BenchRecord[];
  summary: string[];
}

/** ms of one network run at w x h, 1 intra-op thread (the frame thread's), p50/p95 over `runs`. */
async function netSpeed(
  file: string,
  w: number,
  h: number,
  runs: number,
): Promise<{ p50: number; p95: number; cpu: number }> {
  const onnx = new OnnxRuntime({ provider: 'cpu', threads: 1, memArena: memArenaFromEnv() });
  const s = await onnx.session(file);
  const x = new ort.Tensor(
    'float32',
    new Float32Array(3 * w * h).map((_, i) => (i % 97) / 97),
    [1, 3, h, w],
  );
  await onnx.run(s, { image: x }, ['stylized']);
  const ts: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    await onnx.run(s, { image: x }, ['stylized']);
    ts.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  await s.release();
  return { p50: percentile(ts, 50), p95: percentile(ts, 95), cpu: (cpu.user + cpu.system) / 1000 / runs };
}

/** ms of one upsampling of a 256-wide network output to the frame's size. */
function upsampleSpeed(
  frame: I420Frame,
  method: ArtisticUpsampling,
  runs: number,
): { p50: number; p95: number; cpu: number } {
  const w = 256,
    h = Math.round((256 * frame.height) / frame.width / 4) * 4;
  const up = new ArtisticUpsampler({ method });
  const low = new Downscaler().i420(frame, w, h).yuv;
  up.fromNetwork(
    new Float32Array(3 * w * h).map((_, i) => (i % 89) / 89),
    w,
    h,
  );
  const out = new Uint8Array(i420Size(frame.width, frame.height));
  const ts: number[] = [];
  for (let k = 0; k < 3; k++) up.upsample(frame, low, out);
  const cpu0 = process.cpuUsage();
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    up.upsample(frame, low, out);
    ts.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  return { p50: percentile(ts, 50), p95: percentile(ts, 95), cpu: (cpu.user + cpu.system) / 1000 / runs };
}

/** The product's frame path over the clip for `seconds`, frames back to back (a 30 fps clock for the policy). */
async function runSession(
  h: ArtisticHarness,
  frames: I420Frame[],
  fg: string,
  bg: string,
  seg: Segmenter,
  seconds: number,
): Promise<{ rec: BenchRecord; stages: Record<string, number[]> }> {
  const s = h.open(fg, bg, new SpeakerMask(seg.stream(h.ctx.kernels), { budgetMs: Infinity }, h.ctx.kernels));
  const work = frames.map(cloneFrame);
  let n = 0;
  for (; n < 20; n++) {
    const f = work[n % work.length];
    f.data.set(frames[n % frames.length].data);
    await s.process(f, n * FRAME_MS);
    await new Promise((r) => setImmediate(r));
  }
  const totals: number[] = [],
    stages: Record<string, number[]> = {};
  let size = '',
    count = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const f = work[n % work.length];
    f.data.set(frames[n % frames.length].data);
    const t = performance.now();
    const rep = await s.process(f, n * FRAME_MS);
    totals.push(performance.now() - t);
    for (const [k, v] of Object.entries(rep.stages)) if (k !== 'lowres') (stages[k] ??= []).push(v);
    size = rep.artistic ?? size;
    n++;
    count++;
    await new Promise((r) => setImmediate(r)); // let the low-res results in
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const tier = s.engine.tier;
  s.close();
  return {
    rec: {
      stage: fg === bg ? 'frame+seg+artistic' : 'frame+seg+mixed',
      resolution: `${frames[0].width}x${frames[0].height}`,
      tier: fg === bg ? 'artistic' : `${tier} fg + artistic bg`,
      r: '-',
      provider: 'cpu',
      fps: r1(count / elapsed),
      p50_ms: r1(percentile(totals, 50)),
      p95_ms: r1(percentile(totals, 95)),
      rss_mb: Math.round(rssMb()),
      frames: count,
      // CPU of the whole process (frame path, low-res worker, inference) per frame: the cost
      // on an idle machine, whatever the wall clock says on a loaded one
      cpu_ms_per_frame: r1((cpu.user + cpu.system) / 1000 / count),
      note: `internal ${size}, model every frame or as its cadence allows`,
    },
    stages,
  };
}

/** Memory one artistic session holds (its layers, input, mask state), measured as what its close releases. */
async function memoryPerSession(h: ArtisticHarness, frames: I420Frame[], look: string, seg: Segmenter) {
  gc();
  const before = process.memoryUsage();
  const count = 4;
  const sessions = Array.from({ length: count }, () =>
    h.open('evening-glow', look, new SpeakerMask(seg.stream(h.ctx.kernels), { budgetMs: Infinity }, h.ctx.kernels)),
  );
  for (let k = 0; k < 6; k++) for (const s of sessions) await s.process(cloneFrame(frames[k % frames.length]), k * 33);
  gc();
  const open = process.memoryUsage();
  for (const s of sessions) s.close();
  gc();
  const closed = process.memoryUsage();
  const heap = (m: NodeJS.MemoryUsage) => m.heapUsed + m.arrayBuffers;
  return {
    heapMb: (heap(open) - heap(closed)) / count / 2 ** 20,
    rssMb: Math.max(0, open.rss - before.rss) / count / 2 ** 20,
  };
}

/**
 * A look change as a server's engine thread meets it (test/bench/look_change.mjs, a fresh
 * process per run): ms of the first artistic frame after 60 photoreal ones, and of the next
 * frames; medians over `runs`.
 */
function lookChange(width: number, height: number, runs: number): { look: string; first: number; next: number } {
  const script = join(ROOT, 'test', 'bench', 'look_change.mjs');
  const out = Array.from({ length: runs }, () => {
    const lines = execFileSync(process.execPath, [script, String(width), String(height)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return JSON.parse(lines.split('\n').at(-1)!) as { look: string; first: number; next: number[] };
  });
  return {
    look: out[0].look,
    first: percentile(
      out.map((o) => o.first),
      50,
    ),
    next: percentile(
      out.flatMap((o) => o.next),
      50,
    ),
  };
}

export async function artisticRows(
  frames: Partial<Record<'480p' | '720p', I420Frame[]>>,
  seg: Segmenter,
  seconds: number,
): Promise<ArtisticBench> {
  const records: BenchRecord[] = [],
    stageRows: BenchRecord[] = [],
    summary: string[] = [];
  const h = await artisticHarness('auto');
  const look = h.looks.includes('starry-night-art') ? 'starry-night-art' : h.looks[0];
  if (!look) return { records, stageRows, summary: ['no artistic look offered: no artistic rows'] };
  const file = h.ctx.artistic.model(look)!;
  for (const [res, fs] of Object.entries(frames)) {
    if (!fs) continue;
    const c = lookChange(fs[0].width, fs[0].height, 3);
    records.push({
      stage: 'artistic:look-change-first-frame',
      resolution: res,
      tier: 'artistic',
      r: '-',
      provider: 'cpu',
      fps: null,
      p50_ms: r1(c.first),
      p95_ms: null,
      rss_mb: null,
      note: `first frame after evening-glow -> ${c.look} in a fresh process; the next frames ${r1(c.next)} ms`,
    });
    summary.push(
      `${res} look change evening-glow -> ${c.look} (fresh process, 60 photoreal frames first; median of 3): first artistic frame ${r1(c.first)} ms, the next ${r1(c.next)} ms`,
    );
  }
  // the network alone: internal sizes, and the full frame (a per-frame full-resolution network)
  for (const [w, hh, what] of [
    [192, 144, 'internal'],
    [256, 144, 'internal (16:9, shipped)'],
    [256, 192, 'internal (4:3, shipped)'],
    [320, 240, 'internal'],
    [640, 480, 'baseline: full-resolution network per frame'],
    [1280, 720, 'baseline: full-resolution network per frame'],
  ] as const) {
    const t = await netSpeed(file, w, hh, w > 400 ? 5 : 30);
    records.push({
      stage: w > 400 ? 'baseline:artistic-net-fullres' : 'artistic:net',
      resolution: `${w}x${hh}`,
      tier: 'artistic',
      r: '-',
      provider: 'cpu',
      fps: r1(1000 / t.p50),
      p50_ms: r1(t.p50),
      p95_ms: r1(t.p95),
      rss_mb: null,
      cpu_ms_per_frame: r1(t.cpu),
      note: `${what}, 1 thread`,
    });
  }
  for (const [res, fs] of Object.entries(frames)) {
    if (!fs) continue;
    for (const method of ['bilinear', 'detail', 'guided'] as const) {
      const t = upsampleSpeed(fs[0], method, 20);
      records.push({
        stage: `artistic:upsample:${method}`,
        resolution: res,
        tier: 'artistic',
        r: '-',
        provider: 'cpu',
        fps: null,
        p50_ms: r1(t.p50),
        p95_ms: r1(t.p95),
        rss_mb: null,
        cpu_ms_per_frame: r1(t.cpu),
        note: method === 'guided' ? 'shipped' : '',
      });
    }
    for (const [fg, bg] of [
      [look, look],
      ['evening-glow', look],
    ]) {
      const run = await runSession(h, fs, fg, bg, seg, seconds);
      run.rec.resolution = res;
      records.push(run.rec);
      console.log(JSON.stringify(run.rec));
      for (const [stage, xs] of Object.entries(run.stages))
        stageRows.push({
          stage: `${run.rec.stage}:${stage}`,
          resolution: res,
          tier: run.rec.tier,
          r: '-',
          provider: 'cpu',
          p50_ms: r1(percentile(xs, 50)),
          p95_ms: r1(percentile(xs, 95)),
        });
      summary.push(
        `${res} ${run.rec.tier} (${look}), ${run.rec.tier === 'artistic' ? 'segmenter on (not run: one look covers both regions)' : 'segmentation on'}: ${run.rec.fps} fps, p50 ${run.rec.p50_ms} ms, p95 ${run.rec.p95_ms} ms per frame, ${run.rec.cpu_ms_per_frame} CPU-ms per frame (process); ${run.rec.note}`,
      );
    }
  }
  const memFrames = frames['720p'] ?? frames['480p']!;
  const mem = await memoryPerSession(h, memFrames, look, seg);
  const res = `${memFrames[0].width}x${memFrames[0].height}`;
  records.push({
    stage: 'memory-per-session:artistic',
    resolution: res,
    tier: 'photo fg + artistic bg',
    r: '-',
    provider: 'cpu',
    fps: null,
    p50_ms: null,
    p95_ms: null,
    rss_mb: r1(mem.rssMb),
    heap_mb: r1(mem.heapMb),
  });
  summary.push(
    `memory per session at ${res} (photoreal speaker + artistic background, segmentation): ${r1(mem.heapMb)} MB heap + buffers released at close, ${r1(mem.rssMb)} MB process RSS`,
  );
  // one more look on a thread: its onnxruntime session and the arena of its first runs
  const other = h.looks.find((x) => x !== look);
  if (other) {
    gc();
    const r0 = rssMb();
    const s = h.open(other, other);
    for (let k = 0; k < 3; k++) await s.process(cloneFrame(memFrames[k]), k * 33);
    s.close();
    gc();
    summary.push(
      `the first runs of a further look on a thread (its network loads at start): +${r1(rssMb() - r0)} MB RSS`,
    );
  }
  await h.close();
  return { records, stageRows, summary };
}
