// Every shipped artistic network (models/artistic_<id>.onnx and the no-temporal ablations in
// models/artistic/ablation/) against the torch output on its fixture
// (models/fixtures/artistic/manifest.json, written by models/artistic/export.py), with
// onnxruntime-node as the server runs it: max |onnx − torch| within 1e-4 (the tolerance of
// models/artistic/check_onnx.mjs; outputs in 0..1). Every look the server offers must have one.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxRuntime, ort } from '../../server/src/engine/runtime/onnx_session.js';
import { readArtisticCatalog } from '../../server/src/styles/artistic_catalog.js';
import { ROOT } from '../support/media.js';

const FIXTURES = join(ROOT, 'models', 'fixtures', 'artistic');
const TOL = 1e-4;

interface NetFixture {
  name: string;
  style: string;
  temporal: boolean;
  onnx: string;
  input: { file: string; width: number; height: number };
  output: { file: string; shape: number[] };
}

const readU8 = (file: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, file)));

/** float32 little-endian (copied: the file's bytes need not be 4-aligned in the Buffer pool) */
function readF32(file: string): Float32Array {
  const bytes = readU8(file);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

const manifest = existsSync(join(FIXTURES, 'manifest.json'))
  ? (JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as { nets: NetFixture[] })
  : { nets: [] };
const shipped = manifest.nets.filter((n) => existsSync(join(ROOT, n.onnx)));

describe('artistic networks in onnxruntime-node', () => {
  it('has a torch fixture for every artistic look the server offers', async () => {
    const catalog = await readArtisticCatalog(
      join(ROOT, 'models'),
      join(ROOT, 'server', 'assets', 'styles', 'artistic'),
    );
    console.log(`offered: ${catalog.looks.map((l) => l.id).join(', ')}; not offered: ${catalog.problems.join(' | ')}`);
    expect(catalog.looks.length).toBeGreaterThan(0);
    for (const look of catalog.looks)
      expect(
        shipped.some((n) => n.onnx === `models/artistic_${look.id}.onnx`),
        look.id,
      ).toBe(true);
  }, 60_000);

  it.each(shipped.map((n) => [n.name, n] as const))(
    '%s matches torch within 1e-4',
    async (_name, net) => {
      const onnx = new OnnxRuntime({ provider: 'cpu', threads: 1 });
      const session = await onnx.session(net.onnx.replace(/^models\//, ''));
      const { width: w, height: h } = net.input;
      const u8 = readU8(net.input.file),
        n = w * h;
      const x = new Float32Array(3 * n);
      for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) x[c * n + i] = u8[3 * i + c] / 255;
      const y = (await onnx.run(session, { image: new ort.Tensor('float32', x, [1, 3, h, w]) }, ['stylized'])).stylized;
      expect(y.dims).toEqual(net.output.shape);
      const got = y.data as Float32Array,
        want = readF32(net.output.file);
      expect(got.length).toBe(want.length);
      let maxErr = 0;
      for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
      console.log(`${net.name}: max |onnx - torch| = ${maxErr.toExponential(2)} over ${got.length} values`);
      expect(maxErr).toBeLessThanOrEqual(TOL);
      await session.release();
    },
    60_000,
  );
});
