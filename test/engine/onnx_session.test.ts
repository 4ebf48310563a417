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

  it('runs with the memory arena and pattern off (ONNX_MEM_ARENA=0) and gives the same outputs', async () => {
    const on = new OnnxRuntime({ provider: 'cpu', threads: 1 }),
      off = new OnnxRuntime({ provider: 'cpu', threads: 1, memArena: false });
    const feeds = { image: new ort.Tensor('float32', input(), [1, 3, 64, 96]) };
    const a = (await on.run(await on.session('vgg_enc4.onnx'), feeds, ['r41'])).r41.data as Float32Array;
    const b = (await off.run(await off.session('vgg_enc4.onnx'), feeds, ['r41'])).r41.data as Float32Array;
    expect(b.length).toBe(a.length);
    let maxErr = 0;
    for (let i = 0; i < a.length; i++) maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
    expect(maxErr).toBeLessThanOrEqual(1e-5);
  }, 60_000);
});
