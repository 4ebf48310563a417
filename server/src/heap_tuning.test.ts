import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, tuneHeap } from './heap_tuning.js';

describe('tuneHeap', () => {
  it("sets the server's heap growth unless the command line chose one", () => {
    expect(tuneHeap(['--heap-growing-percent=40'])).toBe(40);
    expect(tuneHeap(['--max-old-space-size=512', '--heap_growing_percent=0'])).toBeNull();
    expect(tuneHeap(['--max-old-space-size=512'])).toBe(HEAP_GROWING_PERCENT);
  });
});
