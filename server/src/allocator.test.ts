import { describe, expect, it } from 'vitest';
import { allocatorInfo } from './allocator.js';

const JEMALLOC_MAPS = '7f00-7f10 r-xp 00000000 fe:00 123 /usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n';
const GLIBC_MAPS = '7f00-7f10 r-xp 00000000 fe:00 124 /usr/lib/x86_64-linux-gnu/libc.so.6\n';

describe('allocatorInfo', () => {
  it('names a preloaded jemalloc and its settings, with no advice', () => {
    const a = allocatorInfo({ MALLOC_CONF: 'background_thread:true' }, () => JEMALLOC_MAPS);
    expect(a).toEqual({ allocator: 'jemalloc', settings: 'background_thread:true', advice: null });
  });

  it('advises jemalloc under glibc, with or without MALLOC_ARENA_MAX', () => {
    expect(allocatorInfo({}, () => GLIBC_MAPS).advice).toMatch(/LD_PRELOAD=.*libjemalloc/);
    const arena = allocatorInfo({ MALLOC_ARENA_MAX: '2' }, () => GLIBC_MAPS);
    expect(arena.settings).toBe('MALLOC_ARENA_MAX=2');
    expect(arena.advice).not.toBeNull();
  });

  it('says glibc where the mappings cannot be read', () => {
    const a = allocatorInfo({}, () => {
      throw new Error('no /proc');
    });
    expect(a.allocator).toBe('glibc');
  });
});
