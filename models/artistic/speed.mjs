#!/usr/bin/env node
// Times stylizing networks (ONNX) with onnxruntime-node, CPU EP, at several internal sizes and
// thread counts. Run from the repository root:
//   node models/artistic/speed.mjs models/artistic_starry-night-art.onnx [more.onnx] [--sizes 256x192,320x240] [--threads 1,2] [--runs 30]
// or with a JSON list of {path, ...} objects: node models/artistic/speed.mjs --list cfgs.json
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import ort from 'onnxruntime-node';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const sizes = opt('--sizes', '256x192,320x240')
  .split(',')
  .map((s) => s.split('x').map(Number));
const threads = opt('--threads', '1,2').split(',').map(Number);
const runs = Number(opt('--runs', '30'));
const list = opt('--list', null);
let models = args.map((p) => ({ path: p }));
if (list) models = JSON.parse(readFileSync(list, 'utf8'));

function fill(len) {
  const a = new Float32Array(len);
  let s = 12345;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296;
  }
  return a;
}

console.log(
  `onnxruntime-node, CPU EP, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), loadavg ${os.loadavg().map((x) => x.toFixed(1))}`,
);
const rows = [];
for (const m of models) {
  for (const t of threads) {
    const sess = await ort.InferenceSession.create(m.path, {
      executionProviders: ['cpu'],
      intraOpNumThreads: t,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    for (const [w, h] of sizes) {
      const feeds = { image: new ort.Tensor('float32', fill(3 * h * w), [1, 3, h, w]) };
      for (let i = 0; i < 3; i++) await sess.run(feeds);
      const ts = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await sess.run(feeds);
        ts.push(performance.now() - t0);
      }
      ts.sort((a, b) => a - b);
      const { path, ...rest } = m;
      rows.push({
        model: path.split('/').pop(),
        ...rest,
        size: `${w}x${h}`,
        threads: t,
        'median ms': ts[Math.floor(runs / 2)].toFixed(1),
        'p10 ms': ts[Math.floor(runs / 10)].toFixed(1),
        'min ms': ts[0].toFixed(1),
      });
      console.log(JSON.stringify(rows[rows.length - 1]));
    }
    await sess.release?.();
  }
}
console.table(rows);
