#!/usr/bin/env node
// Runs the shipped MediaPipe Selfie segmenter (models/selfie_segmentation.onnx, Apache-2.0) on
// a batch of prepared inputs for models/data/build.py. Run from the repository root:
//   node models/data/segment.mjs IN.f32 OUT.f32
// IN: raw little-endian float32 [N,256,256,3] NHWC RGB in [0,1] (already letterboxed with 0.5
// grey bars, as server/src/engine/segmentation/segmenter.ts does); OUT: float32 [N,256,256]
// person probability (the model's sigmoid output `activation_10`).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODEL = path.join(HERE, '..', 'selfie_segmentation.onnx');
const SIZE = 256,
  INPUT = 'input_1:0',
  OUTPUT = 'activation_10';

const [inFile, outFile] = process.argv.slice(2);
if (!inFile || !outFile) {
  console.error('usage: node models/data/segment.mjs IN.f32 OUT.f32');
  process.exit(2);
}
const buf = readFileSync(inFile);
const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
const per = SIZE * SIZE * 3;
if (all.length % per !== 0) {
  console.error(`bad input size ${all.length}`);
  process.exit(2);
}
const n = all.length / per;
const session = await ort.InferenceSession.create(MODEL, {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
});
const out = new Float32Array(n * SIZE * SIZE);
for (let i = 0; i < n; i++) {
  const x = new ort.Tensor('float32', all.subarray(i * per, (i + 1) * per), [1, SIZE, SIZE, 3]);
  const r = await session.run({ [INPUT]: x });
  out.set(r[OUTPUT].data, i * SIZE * SIZE);
}
writeFileSync(outFile, Buffer.from(out.buffer));
console.log(`segmented ${n} frames`);
