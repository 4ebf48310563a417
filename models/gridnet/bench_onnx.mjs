#!/usr/bin/env node
// Times the grid network's graphs with onnxruntime-node (CPU EP, 1 and 2 intra-op threads):
// mask / style / main at L = 128 and 256, and the seed's conv guidance learner (G1/G2 alone)
// at 1280x720. The graphs come from `models/gridnet/export.py --run RUN --bench-dir DIR`.
//
//   node models/gridnet/bench_onnx.mjs DIR [--runs 20]
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node models/gridnet/bench_onnx.mjs DIR [--runs N]');
  process.exit(2);
}
const ri = process.argv.indexOf('--runs');
const RUNS = ri > 0 ? Number(process.argv[ri + 1]) : 20;

const lcg = (n, seed = 1) => {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296;
  }
  return a;
};
const T = (d, dims) => new ort.Tensor('float32', d, dims);

function feeds(kind, L, S) {
  if (kind === 'mask') return { image: T(lcg(3 * L * L), [1, 3, L, L]), mask: T(lcg(L * L, 2), [1, 1, L, L]) };
  if (kind === 'style') return { style: T(lcg(3 * L * L), [1, 3, L, L]) };
  if (kind === 'main') {
    const st = lcg(2 * S, 3).map((v) => v + 0.1);
    return {
      image: T(lcg(3 * L * L), [1, 3, L, L]),
      mask: T(lcg(L * L, 2), [1, 1, L, L]),
      style_stats: T(st, [2, S]),
      prev_state: T(st.slice(), [2, S]),
      alpha: T(Float32Array.of(0.5), [1]),
    };
  }
  return { rgbm: T(lcg(4 * 720 * 1280), [1, 4, 720, 1280]) };
}

async function time(file, f, threads) {
  const sess = await ort.InferenceSession.create(file, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  for (let i = 0; i < 3; i++) await sess.run(f);
  const ts = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await sess.run(f);
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { median: ts[Math.floor(RUNS / 2)], min: ts[0] };
}

const rows = [];
let S = 112;
for (const L of [128, 256]) {
  for (const kind of ['mask', 'style', 'main']) {
    const file = path.join(dir, `${kind}_L${L}.onnx`);
    if (!existsSync(file)) continue;
    if (kind === 'main') {
      const s = await ort.InferenceSession.create(file);
      // S from the style graph's output (fallback 112)
      const sf = path.join(dir, `style_L${L}.onnx`);
      if (existsSync(sf)) {
        const ss = await ort.InferenceSession.create(sf);
        S = (await ss.run(feeds('style', L))).style_stats.dims[1];
      }
      void s;
    }
    for (const th of [1, 2]) {
      const r = await time(file, feeds(kind, L, S), th);
      rows.push({
        graph: kind,
        input: `L=${L}`,
        threads: th,
        'median ms': r.median.toFixed(2),
        'min ms': r.min.toFixed(2),
      });
    }
  }
}
const g = path.join(dir, 'convguide_720p.onnx');
if (existsSync(g))
  for (const th of [1, 2]) {
    const r = await time(g, feeds('guide'), th);
    rows.push({
      graph: 'conv guide G1+G2',
      input: '1280x720',
      threads: th,
      'median ms': r.median.toFixed(2),
      'min ms': r.min.toFixed(2),
    });
  }
console.log(
  `onnxruntime-node CPU EP, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load avg ${os
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(' ')}`,
);
console.table(rows);
