#!/usr/bin/env node
// Checks the exported artistic stylizing networks (models/artistic_*.onnx and
// models/artistic/ablation/*.onnx) with onnxruntime-node against the torch reference outputs
// in models/fixtures/artistic/ (written by models/artistic/export.py), then times them.
//
//   node models/artistic/check_onnx.mjs [--no-timing] [--only NAME] [--sizes 256x192,320x240]
//
// Exit 1 if any output differs from torch by more than 1e-4 (max abs, output in [0,1]), if a
// shape is wrong, if an output leaves [0,1], or if the N=2 batch differs from N=1.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const FIXTURE_DIR = path.join(REPO, 'models', 'fixtures', 'artistic');
const TOL = 1e-4;
const args = process.argv.slice(2);
const flag = (n) => args.includes(n);
const opt = (n, d) => (args.includes(n) ? args[args.indexOf(n) + 1] : d);
const only = opt('--only', null);
const sizes = opt('--sizes', '256x192,256x144,320x240')
  .split(',')
  .map((s) => s.split('x').map(Number));

function readBin(file, Type) {
  const buf = readFileSync(path.join(FIXTURE_DIR, file));
  const out = new Type(buf.byteLength / Type.BYTES_PER_ELEMENT);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

function u8ToNchw(u8, h, w) {
  const plane = h * w;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    out[i] = u8[3 * i] / 255;
    out[plane + i] = u8[3 * i + 1] / 255;
    out[2 * plane + i] = u8[3 * i + 2] / 255;
  }
  return out;
}

function fill(len) {
  const a = new Float32Array(len);
  let s = 12345;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296;
  }
  return a;
}

const manifest = JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'manifest.json'), 'utf8'));
const failures = [];
const rows = [];
const timings = [];
console.log(`onnxruntime-node, CPU EP, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
for (const net of manifest.nets) {
  if (only && net.name !== only) continue;
  const file = path.join(REPO, net.onnx);
  const sess = await ort.InferenceSession.create(file, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  if (sess.inputNames.join() !== 'image' || sess.outputNames.join() !== 'stylized') {
    failures.push(`${net.name}: io names [${sess.inputNames}] -> [${sess.outputNames}]`);
  }
  const { height: h, width: w } = net.input;
  const x = u8ToNchw(readBin(net.input.file, Uint8Array), h, w);
  const ref = readBin(net.output.file, Float32Array);
  for (const n of [1, 2]) {
    const data = new Float32Array(x.length * n);
    for (let k = 0; k < n; k++) data.set(x, k * x.length);
    const out = (await sess.run({ image: new ort.Tensor('float32', data, [n, 3, h, w]) })).stylized;
    const want = [n, 3, h, w];
    if (out.dims.join() !== want.join()) {
      failures.push(`${net.name} N=${n}: shape [${out.dims}] != [${want}]`);
      continue;
    }
    let d = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < ref.length; i++) {
        const v = out.data[k * ref.length + i];
        const e = Math.abs(v - ref[i]);
        if (!(e <= d)) d = e;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    const ok = d <= TOL && lo >= 0 && hi <= 1;
    if (!ok) failures.push(`${net.name} N=${n}: max abs diff ${d} (tol ${TOL}), range [${lo}, ${hi}]`);
    rows.push({
      net: net.name,
      N: n,
      'in (WxH)': `${w}x${h}`,
      'max abs diff': d.toExponential(2),
      range: `[${lo.toFixed(3)}, ${hi.toFixed(3)}]`,
      ok: ok ? 'ok' : 'FAIL',
    });
  }
  if (!flag('--no-timing')) {
    for (const threads of [1, 2]) {
      const s =
        threads === 2
          ? sess
          : await ort.InferenceSession.create(file, {
              executionProviders: ['cpu'],
              intraOpNumThreads: threads,
              interOpNumThreads: 1,
              graphOptimizationLevel: 'all',
            });
      for (const [tw, th] of sizes) {
        const feeds = { image: new ort.Tensor('float32', fill(3 * tw * th), [1, 3, th, tw]) };
        for (let i = 0; i < 3; i++) await s.run(feeds);
        const ts = [];
        for (let i = 0; i < 20; i++) {
          const t0 = performance.now();
          await s.run(feeds);
          ts.push(performance.now() - t0);
        }
        ts.sort((a, b) => a - b);
        timings.push({
          net: net.name,
          size: `${tw}x${th}`,
          threads,
          'median ms': ts[10].toFixed(1),
          'min ms': ts[0].toFixed(1),
        });
      }
    }
  }
}
console.table(rows);
if (timings.length) {
  console.log('Timing: median/min of 20 runs after 3 warm-ups, CPU EP:');
  console.table(timings);
}
if (!rows.length) failures.push('no network checked');
if (failures.length) {
  console.error(`FAIL (${failures.length}):\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(`OK: ${rows.length / 2} networks match torch within ${TOL}`);
