#!/usr/bin/env node
// Checks models/gridnet_mask.onnx, gridnet_style.onnx and gridnet.onnx (the trained grid network,
// models/gridnet/) with onnxruntime-node against the torch reference written by
// models/gridnet/export.py to models/fixtures/gridnet/, then times every graph at 1 and 2 threads.
//
//   node models/gridnet/check_onnx.mjs [--no-timing] [--dir models] [--prefix gridnet] [--fixtures models/fixtures/gridnet]
//
// Exit status 1 on a shape mismatch, a non-finite output, or an error above the manifest's
// tolerances (max abs diff for mask_enh; max abs diff / max |torch| for style_stats, grids, state).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const MODEL_DIR = path.resolve(arg('--dir', path.join(HERE, '..')));
const FIX = path.resolve(arg('--fixtures', path.join(HERE, '..', 'fixtures', 'gridnet')));
const manifest = JSON.parse(readFileSync(path.join(FIX, 'manifest.json'), 'utf8'));
const tol = manifest.tolerance;
const L = manifest.L,
  S = manifest.S;
const failures = [];

const opts = (threads) => ({
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
});

function readF32(file) {
  const buf = readFileSync(path.join(FIX, file));
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}
const readU8 = (file) => new Uint8Array(readFileSync(path.join(FIX, file)));
function rgbU8ToNchw(u8) {
  const n = L * L,
    out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[c * n + i] = u8[3 * i + c] / 255;
  return out;
}
const maskU8ToF32 = (u8) => Float32Array.from(u8, (v) => v / 255);
const T = (data, dims) => new ort.Tensor('float32', data, dims);

function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}
const fmt = (x) => (x === 0 ? '0' : x.toExponential(2));
const rows = [];
function compare(what, t, ref, relTol, absTol) {
  if (t.dims.join() !== ref.shape.join()) {
    failures.push(`${what}: shape [${t.dims}] != [${ref.shape}]`);
    return;
  }
  for (const v of t.data)
    if (!Number.isFinite(v)) {
      failures.push(`${what}: non-finite output`);
      return;
    }
  let diff;
  if (ref.file) diff = maxAbsDiff(t.data, readF32(ref.file));
  else {
    diff = 0;
    ref.sample_indices.forEach((idx, j) => {
      const d = Math.abs(t.data[idx] - ref.sample_values[j]);
      if (!(d <= diff)) diff = d;
    });
  }
  const err = relTol !== undefined ? diff / ref.max_abs : diff;
  const lim = relTol !== undefined ? relTol : absTol;
  const ok = err <= lim;
  rows.push({
    output: what,
    compared: ref.file ? 'all' : `${ref.sample_indices.length} samples`,
    'max |torch|': ref.max_abs.toPrecision(4),
    'max abs diff': fmt(diff),
    error: `${fmt(err)} ${relTol !== undefined ? 'rel' : 'abs'}`,
    ok: ok ? 'ok' : 'FAIL',
  });
  if (!ok) failures.push(`${what}: ${fmt(err)} > ${lim}`);
}

async function main() {
  const files = manifest.files;
  const paths = {
    mask: path.join(MODEL_DIR, files.mask),
    style: path.join(MODEL_DIR, files.style),
    main: path.join(MODEL_DIR, files.main),
  };
  const s = {};
  for (const k of Object.keys(paths)) s[k] = await ort.InferenceSession.create(paths[k], opts(2));
  console.log(`onnxruntime-node, CPU EP, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}); L=${L}, S=${S}`);
  for (const k of Object.keys(s))
    console.log(`  ${path.basename(paths[k])}: in [${s[k].inputNames}] out [${s[k].outputNames}]`);

  // style side
  const styleStats = [];
  for (const st of manifest.styles) {
    const out = await s.style.run({ style: T(rgbU8ToNchw(readU8(st.input)), [1, 3, L, L]) });
    compare(`style_stats (${st.role}: ${st.source})`, out.style_stats, st.style_stats, tol.style_stats_rel);
    styleStats.push(readF32(st.style_stats.file));
  }
  const stats = new Float32Array(2 * S);
  stats.set(styleStats[0], 0);
  stats.set(styleStats[1], S);

  for (const c of manifest.cases) {
    const image = T(rgbU8ToNchw(readU8(c.image.file)), [1, 3, L, L]);
    const mask = T(maskU8ToF32(readU8(c.mask.file)), [1, 1, L, L]);
    const m = await s.mask.run({ image, mask });
    compare(`${c.name} mask_enh`, m.mask_enh, c.mask_enh, undefined, tol.mask_enh_abs);
    // the main graph on torch's mask_enh (so the comparison isolates each graph)
    const prev =
      typeof c.main_inputs.prev_state === 'object' ? readF32(c.main_inputs.prev_state.file) : new Float32Array(2 * S);
    const out = await s.main.run({
      image,
      mask: T(readF32(c.mask_enh.file), [1, 1, L, L]),
      style_stats: T(stats, [2, S]),
      prev_state: T(prev, [2, S]),
      alpha: T(Float32Array.of(c.main_inputs.alpha), [1]),
    });
    compare(`${c.name} grids (alpha ${c.main_inputs.alpha})`, out.grids, c.grids, tol.grids_rel);
    compare(`${c.name} state`, out.state, c.state, tol.state_rel);
  }
  console.log('\nAccuracy vs torch fp32 (fixtures/gridnet):');
  console.table(rows);

  if (!process.argv.includes('--no-timing')) {
    const feeds = {
      mask: {
        image: T(new Float32Array(3 * L * L).fill(0.5), [1, 3, L, L]),
        mask: T(new Float32Array(L * L).fill(0.5), [1, 1, L, L]),
      },
      style: { style: T(new Float32Array(3 * L * L).fill(0.5), [1, 3, L, L]) },
      main: {
        image: T(rgbU8ToNchw(readU8(manifest.cases[0].image.file)), [1, 3, L, L]),
        mask: T(readF32(manifest.cases[0].mask_enh.file), [1, 1, L, L]),
        style_stats: T(stats, [2, S]),
        prev_state: T(readF32(manifest.cases[0].state.file), [2, S]),
        alpha: T(Float32Array.of(0.5), [1]),
      },
    };
    const trows = [];
    for (const threads of [1, 2]) {
      for (const k of ['mask', 'style', 'main']) {
        const sess = await ort.InferenceSession.create(paths[k], opts(threads));
        for (let i = 0; i < 3; i++) await sess.run(feeds[k]);
        const ts = [];
        for (let i = 0; i < 20; i++) {
          const t0 = performance.now();
          await sess.run(feeds[k]);
          ts.push(performance.now() - t0);
        }
        ts.sort((a, b) => a - b);
        trows.push({
          graph: path.basename(paths[k]),
          L,
          threads,
          'median ms': ((ts[9] + ts[10]) / 2).toFixed(2),
          'min ms': ts[0].toFixed(2),
        });
      }
    }
    console.log('Timing (median of 20 after 3 warm-ups; per low-res update: mask + main; style once per style):');
    console.table(trows);
  }
  if (failures.length) {
    console.error(`FAIL (${failures.length}):\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('OK: every output within the manifest tolerances');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
