#!/usr/bin/env node
// Checks models/vgg_enc4.onnx and models/vgg_dec4.onnx (distilled VGG-19 relu4_1 pair) with
// onnxruntime-node against the torch reference outputs written by models/export_vgg.py to
// models/fixtures/vgg_check/, then times both models.
//
//   node models/check_vgg_onnx.mjs [--no-timing]
//
// Exit status 1 if any encoder relative error (max abs diff / max |torch value|) exceeds
// 1e-4, or any decoder image max abs diff exceeds 1e-4, or an output shape is wrong.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE_DIR = path.join(HERE, 'fixtures', 'vgg_check');
const REL_TOL = 1e-4; // encoder features: max abs diff / max abs value
const ABS_TOL_IMAGE = 1e-4; // decoder output in [0,1]
const THREADS = 2;

const sessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: THREADS,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

function readF32(file) {
  const buf = readFileSync(path.join(FIXTURE_DIR, file));
  // copy into an aligned buffer; data is little-endian float32 (as is every host we run on)
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** uint8 HWC RGB -> float32 NCHW in [0,1]; float32(u8 / 255) is exactly torch's fp32 division. */
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

function maxAbsDiff(a, b, offset = 0) {
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[offset + i] - b[i]);
    if (!(d <= m)) m = d; // also catches NaN
  }
  return m;
}

function meanStd(a, offset = 0, len = a.length - offset) {
  let s = 0;
  for (let i = 0; i < len; i++) s += a[offset + i];
  const mean = s / len;
  let v = 0;
  for (let i = 0; i < len; i++) v += (a[offset + i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / len) };
}

function repeatBatch(data, n) {
  const out = new Float32Array(data.length * n);
  for (let k = 0; k < n; k++) out.set(data, k * data.length);
  return out;
}

const sameShape = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
const fmt = (x) => (x === 0 ? '0' : x.toExponential(2));

const failures = [];
/** One table row; `diffs` holds the max abs diff of each batch item. */
function record(rows, c, n, tensor, compared, diffs, ref, relative, tol, extra = '') {
  const diff = Math.max(...diffs.map((d) => (Number.isNaN(d) ? Infinity : d)));
  const err = relative ? diff / ref : diff;
  const ok = err <= tol;
  rows.push({
    case: c,
    N: n,
    tensor,
    compared,
    'max |torch|': ref.toPrecision(4),
    'max abs diff': fmt(diff),
    error: `${fmt(err)} ${relative ? 'rel' : 'abs'}`,
    'mean/std diff': extra,
    ok: ok ? 'ok' : 'FAIL',
  });
  if (!ok) failures.push(`${c} N=${n} ${tensor}: ${fmt(err)} > ${tol}`);
}

function checkShape(caseName, name, tensor, expected) {
  if (!sameShape(tensor.dims, expected)) {
    failures.push(`${caseName} ${name}: shape [${tensor.dims}] != [${expected}]`);
    return false;
  }
  return true;
}

async function checkAccuracy(enc, dec, manifest) {
  const rows = [];
  for (const c of manifest.cases) {
    const { height: h, width: w } = c.input;
    const input = u8ToNchw(readFileSync(path.join(FIXTURE_DIR, c.input.file)), h, w);
    const refImg = readF32(c.decoder.output.file);

    // N=2 repeats the image; every batch item must match the N=1 torch reference.
    for (const n of [1, 2]) {
      const out = await enc.run({ image: new ort.Tensor('float32', repeatBatch(input, n), [n, 3, h, w]) });
      for (const name of ['r11', 'r21', 'r31', 'r41']) {
        const ref = c.encoder_outputs[name];
        const t = out[name];
        if (!checkShape(`${c.name} N=${n}`, name, t, [n, ...ref.shape.slice(1)])) continue;
        const per = t.data.length / n;
        const items = [...Array(n).keys()];
        if (ref.file) {
          const refData = readF32(ref.file);
          const diffs = items.map((k) => maxAbsDiff(t.data, refData, k * per));
          record(rows, c.name, n, name, 'all', diffs, ref.max_abs, true, REL_TOL);
        } else {
          // r11/r21/r31: values at fixed flat indices + mean/std of the whole tensor
          const diffs = items.map((k) => {
            let d = 0;
            ref.sample_indices.forEach((idx, j) => {
              const e = Math.abs(t.data[k * per + idx] - ref.sample_values[j]);
              if (!(e <= d)) d = e;
            });
            const s = meanStd(t.data, k * per, per);
            return { d, stats: Math.max(Math.abs(s.mean - ref.mean), Math.abs(s.std - ref.std)) };
          });
          const dStats = Math.max(...diffs.map((x) => x.stats));
          record(
            rows,
            c.name,
            n,
            name,
            `${ref.sample_indices.length} samples`,
            [...diffs.map((x) => x.d), dStats],
            ref.max_abs,
            true,
            REL_TOL,
            fmt(dStats),
          );
        }
      }
      // end to end (ORT encoder -> ORT decoder) vs torch, informational only
      if (n === 1) {
        const e2e = await dec.run({ feat: out.r41 });
        rows.push({
          case: c.name,
          N: n,
          tensor: 'image (ORT enc->dec)',
          compared: 'all (info)',
          'max |torch|': c.decoder.output.max_abs.toPrecision(4),
          'max abs diff': fmt(maxAbsDiff(e2e.image.data, refImg)),
          error: '',
          'mean/std diff': '',
          ok: '',
        });
      }
    }

    // decoder on the torch r41
    const r41 = c.encoder_outputs.r41;
    const feat = readF32(r41.file);
    for (const n of [1, 2]) {
      const out = await dec.run({ feat: new ort.Tensor('float32', repeatBatch(feat, n), [n, ...r41.shape.slice(1)]) });
      const img = out.image;
      if (!checkShape(`${c.name} N=${n}`, 'image', img, [n, ...c.decoder.output.shape.slice(1)])) continue;
      const per = img.data.length / n;
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of img.data) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (!(lo >= 0 && hi <= 1)) failures.push(`${c.name} N=${n} image: range [${lo}, ${hi}] not in [0,1]`);
      const diffs = [...Array(n).keys()].map((k) => maxAbsDiff(img.data, refImg, k * per));
      record(rows, c.name, n, 'image (dec of torch r41)', 'all', diffs, c.decoder.output.max_abs, false, ABS_TOL_IMAGE);
    }
  }
  return rows;
}

function lcgFill(len, seed = 12345) {
  const out = new Float32Array(len);
  let s = seed >>> 0;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296;
  }
  return out;
}

async function timeRun(session, feeds, warmup = 3, runs = 20) {
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const ts = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { median: (ts[runs / 2 - 1] + ts[runs / 2]) / 2, min: ts[0] };
}

async function timing(enc, dec) {
  const rows = [];
  for (const [h, w] of [
    [256, 144],
    [256, 256],
  ]) {
    for (const n of [1, 2]) {
      const image = new ort.Tensor('float32', lcgFill(n * 3 * h * w), [n, 3, h, w]);
      const te = await timeRun(enc, { image });
      const { r41 } = await enc.run({ image });
      const td = await timeRun(dec, { feat: r41 });
      rows.push({
        model: 'vgg_enc4 (r11..r41)',
        input: `${n}x3x${h}x${w}`,
        'median ms': te.median.toFixed(2),
        'min ms': te.min.toFixed(2),
        'ms / image': (te.median / n).toFixed(2),
      });
      rows.push({
        model: 'vgg_dec4',
        input: `${r41.dims.join('x')} -> ${h}x${w}`,
        'median ms': td.median.toFixed(2),
        'min ms': td.min.toFixed(2),
        'ms / image': (td.median / n).toFixed(2),
      });
    }
  }
  return rows;
}

async function main() {
  const manifest = JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'manifest.json'), 'utf8'));
  const enc = await ort.InferenceSession.create(path.join(HERE, 'vgg_enc4.onnx'), sessionOptions);
  const dec = await ort.InferenceSession.create(path.join(HERE, 'vgg_dec4.onnx'), sessionOptions);
  console.log(
    `onnxruntime-node ${ort.env.versions?.node ?? '?'}, CPU EP, intraOpNumThreads=${THREADS}, ` +
      `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`,
  );
  console.log(
    `encoder in [${enc.inputNames}] out [${enc.outputNames}]; decoder in [${dec.inputNames}] out [${dec.outputNames}]`,
  );

  console.log('\nAccuracy vs torch 1.13 fp32 (fixtures/vgg_check):');
  console.table(await checkAccuracy(enc, dec, manifest));
  console.log('(N=2: the image twice; the worst of both batch items is shown)\n');

  if (!process.argv.includes('--no-timing')) {
    console.log('Timing: median of 20 runs after 3 warm-ups:');
    console.table(await timing(enc, dec));
  }

  if (failures.length) {
    console.error(`FAIL (${failures.length}):\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`OK: encoder rel err <= ${REL_TOL}, decoder abs err <= ${ABS_TOL_IMAGE}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
