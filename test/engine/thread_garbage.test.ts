// A low-res worker's dead network outputs are collected between updates (thread_garbage.ts):
// onnxruntime-node hands back every output as a new ArrayBuffer, which V8 alone lets pile up.
import { describe, expect, it } from 'vitest';
import { OnnxRuntime, ort } from '../../server/src/engine/runtime/onnx_session.js';
import { ThreadGarbage } from '../../server/src/engine/runtime/thread_garbage.js';

const MIB = 2 ** 20;

/** 40 "updates" of 3 encoder runs each (393 KB outputs, alive through the update); peak growth of array buffers. */
async function updates(limitAbove: number | null): Promise<{ peak: number; collections: number }> {
  const rt = new OnnxRuntime({ provider: 'cpu', threads: 1 });
  const s = await rt.session('vgg_enc4.onnx');
  const feeds = { image: new ort.Tensor('float32', new Float32Array(3 * 192 * 256).fill(0.5), [1, 3, 192, 256]) };
  await rt.run(s, feeds, ['r41']);
  const before = process.memoryUsage().arrayBuffers;
  const garbage = limitAbove === null ? null : new ThreadGarbage(limitAbove, 500);
  let peak = 0;
  for (let u = 0; u < 40; u++) {
    garbage?.check(u * 250); // an update every 250 ms
    const held: unknown[] = [];
    for (let k = 0; k < 3; k++) held.push((await rt.run(s, feeds, ['r41'])).r41);
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
  }
  return { peak, collections: garbage?.collections ?? 0 };
}

/** 32 MiB of Float32Arrays that lived through collections (as a session's state does), then died. */
async function deadOldBuffers(): Promise<number> {
  const holder: { keep: Float32Array[] | null } = { keep: [] };
  for (let i = 0; i < 32; i++) holder.keep?.push(new Float32Array(MIB / 4));
  const promote = new ThreadGarbage(0, 0); // collects on every check: moves them to the old generation
  for (let i = 0; i < 2; i++) {
    promote.check(i);
    await new Promise((r) => setTimeout(r, 10));
  }
  holder.keep = null;
  await new Promise((r) => setTimeout(r, 10));
  return process.memoryUsage().arrayBuffers;
}

describe('thread garbage', () => {
  it('gives back the dead buffers of old objects at the first check past the limit', async () => {
    const before = await deadOldBuffers();
    const garbage = new ThreadGarbage(16 * MIB, 250);
    garbage.check(1000);
    const now = process.memoryUsage().arrayBuffers;
    // V8 frees old buffers' memory on a background thread once the collection has found them dead
    for (let k = 0; k < 50 && before - process.memoryUsage().arrayBuffers < 28 * MIB; k++)
      await new Promise((r) => setTimeout(r, 10));
    const after = process.memoryUsage().arrayBuffers;
    console.log(`right after the check: ${(now / MIB).toFixed(1)} MiB`);
    console.log(`32 MiB dead: array buffers ${(before / MIB).toFixed(1)} -> ${(after / MIB).toFixed(1)} MiB`);
    expect(garbage.collections).toBe(1);
    expect(before - after).toBeGreaterThan(28 * MIB);
  });

  it("collects a thread's dead onnxruntime outputs once its array buffers grow the limit past what was alive", async () => {
    const collected = await updates(4 * MIB),
      left = await updates(null);
    console.log(
      `120 runs, 45 MiB of outputs: array buffers at most +${(collected.peak / MIB).toFixed(1)} MiB with ` +
        `${collected.collections} collections, +${(left.peak / MIB).toFixed(1)} MiB left to V8`,
    );
    expect(collected.collections).toBeGreaterThanOrEqual(3);
    expect(collected.peak).toBeLessThan(12 * MIB);
  }, 60_000);
});
