import { describe, expect, it } from 'vitest';
import { FramePump } from './frame_pump.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('FramePump', () => {
  it('processes the newest frame and drops the ones in between', async () => {
    const seen: number[] = [];
    const pump = new FramePump<number>(async (f) => {
      seen.push(f);
      await tick(20);
    });
    for (let i = 0; i < 5; i++) pump.push(i);
    await tick(80);
    expect(seen).toEqual([0, 4]);
    expect(pump.dropped).toBe(3);
    expect(pump.received).toBe(5);
    expect(pump.completed).toBe(2);
  });

  it('keeps going after a failed frame and reports the error', async () => {
    const errors: unknown[] = [];
    const seen: number[] = [];
    const pump = new FramePump<number>(
      async (f) => {
        seen.push(f);
        if (f === 0) throw new Error('boom');
      },
      (e) => errors.push(e),
    );
    pump.push(0);
    pump.push(1);
    await tick(10);
    expect(seen).toEqual([0, 1]);
    expect(errors).toHaveLength(1);
    expect(pump.failed).toBe(1);
  });

  it('takes no frames after close', async () => {
    const seen: number[] = [];
    const pump = new FramePump<number>(async (f) => {
      seen.push(f);
      await tick(10);
    });
    pump.push(0);
    pump.push(1);
    pump.close();
    pump.push(2);
    await tick(40);
    expect(seen).toEqual([0]);
  });
});
