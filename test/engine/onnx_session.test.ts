// The execution provider chosen at start: cpu everywhere; webgpu where a GPU adapter exists,
// with the same outputs within tolerance, and a fallback to cpu where none does.
import { describe, expect, it } from 'vitest';
import { OnnxRuntime, ort } from '../../server/src/engine/runtime/onnx_session.js';

function input(): Float32Array {
  const x = new Float32Array(3 * 64 * 96);
  for (let i = 0; i < x.length; i++) x[i] = 0.5 + 0.4 * Math.sin(i * 0.013) * Math.cos(i * 0.0007);
  return x;
}

describe('onnx sessions', () => {
  it('runs the encoder on webgpu (or falls back to cpu) with the cpu outputs', async () => {
    const cpuRt = new OnnxRuntime({ provider: 'cpu', threads: 1 }),
      gpuRt = new OnnxRuntime({ provider: 'webgpu', threads: 1 });
    const [cpu, gpu] = await Promise.all([cpuRt.session('vgg_enc4.onnx'), gpuRt.session('vgg_enc4.onnx')]);
    const feeds = { image: new ort.Tensor('float32', input(), [1, 3, 64, 96]) };
    const a = (await cpu.run(feeds, ['r41'])).r41.data as Float32Array;
    const b = (await gpu.run(feeds, ['r41'])).r41.data as Float32Array;
    let maxErr = 0,
      maxAbs = 0;
    for (let i = 0; i < a.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
      maxAbs = Math.max(maxAbs, Math.abs(a[i]));
    }
    const provider = gpuRt.provider('vgg_enc4.onnx');
    console.log(
      `requested webgpu, running on ${provider}; max |cpu - it| ${maxErr.toExponential(2)} (max |feature| ${maxAbs.toFixed(2)})`,
    );
    expect(['webgpu', 'cpu']).toContain(provider);
    expect(maxErr).toBeLessThanOrEqual(1e-3 * maxAbs);
  }, 60_000);

  it('collects the copies of its outputs every few MiB, so dead outputs do not pile up', async () => {
    // onnxruntime-node hands back every output as a new ArrayBuffer; V8 alone would let ~64 MiB
    // of them build up before collecting (output_garbage.ts)
    const rt = new OnnxRuntime({ provider: 'cpu', threads: 1 }, 2 * 1024 * 1024);
    const s = await rt.session('vgg_enc4.onnx');
    const feeds = { image: new ort.Tensor('float32', new Float32Array(3 * 192 * 256).fill(0.5), [1, 3, 192, 256]) };
    const r41 = (await rt.run(s, feeds, ['r41'])).r41.data as Float32Array; // 128 x 24 x 32: 393 KB
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    for (let k = 0; k < 120; k++) {
      await rt.run(s, feeds, ['r41']);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    const mib = (b: number) => (b / 2 ** 20).toFixed(1);
    console.log(
      `120 runs, ${mib(120 * r41.byteLength)} MiB of outputs: ${rt.outputCollections} collections, array buffers at most +${mib(peak)} MiB`,
    );
    expect(rt.outputCollections).toBeGreaterThanOrEqual(15);
    expect(peak).toBeLessThan(24 * 2 ** 20);
  }, 60_000);
});
