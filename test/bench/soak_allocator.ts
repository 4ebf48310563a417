// The soak's look inside the server's allocator once every session has closed (--trim):
// gdb attaches for a moment and calls the allocator's own statistics (glibc malloc_stats(), or
// jemalloc's malloc_stats_print() when it is preloaded), then glibc's malloc_trim(0), which
// hands every free page of every arena back to the kernel. What RSS loses to the trim was
// free memory the allocator kept (fragmentation, arena caches), not memory anything still uses.
import { execFileSync } from 'node:child_process';
import type { ServerHandle } from '../support/server_process.js';
import { sleep } from './load_probe.js';

const MIB = 1024 * 1024;
const round1 = (x: number) => Math.round(x * 10) / 10;

export interface AllocatorReport {
  allocator: 'glibc' | 'jemalloc';
  /** bytes the allocator holds from the kernel, and of those in use by the program */
  system_mib: number | null;
  in_use_mib: number | null;
  arenas: number | null;
  /** the allocator's own report, as printed */
  text: string;
}

function gdbCall(pid: number, exprs: string[]): void {
  execFileSync('gdb', ['-p', String(pid), '-batch', '-nx', ...exprs.flatMap((e) => ['-ex', e])], {
    stdio: 'ignore',
    timeout: 60_000,
  });
}

/** Reads the allocator's statistics (they go to the server's stderr) and, for glibc, trims. */
export async function allocatorProbe(srv: ServerHandle, jemalloc: boolean, trim: boolean): Promise<AllocatorReport> {
  const pid = srv.proc.pid!;
  const from = srv.logs.length;
  const stats = jemalloc
    ? 'call ((void (*)(void *, void *, const char *))malloc_stats_print)(0, 0, "bxle")'
    : 'call ((void (*)(void))malloc_stats)()';
  gdbCall(pid, trim && !jemalloc ? [stats, 'call ((int (*)(unsigned long))malloc_trim)(0)'] : [stats]);
  await sleep(500); // the stderr lines arrive through a pipe
  const text = srv.logs.slice(from).join('\n');
  if (jemalloc) {
    // "Allocated: 1, active: 2, metadata: 3 (...), resident: 4, mapped: 5, retained: 6"
    const m = /Allocated: (\d+), active: \d+, metadata: \d+.*?resident: (\d+), mapped: (\d+)/.exec(text);
    const arenas = /narenas: (\d+)/.exec(text);
    return {
      allocator: 'jemalloc',
      system_mib: m ? round1(Number(m[2]) / MIB) : null,
      in_use_mib: m ? round1(Number(m[1]) / MIB) : null,
      arenas: arenas ? Number(arenas[1]) : null,
      text,
    };
  }
  // glibc: one block per arena, then "Total (incl. mmap):\nsystem bytes = N\nin use bytes = M"
  const total = /Total \(incl\. mmap\):\s*system bytes\s*=\s*(\d+)\s*in use bytes\s*=\s*(\d+)/.exec(text);
  return {
    allocator: 'glibc',
    system_mib: total ? round1(Number(total[1]) / MIB) : null,
    in_use_mib: total ? round1(Number(total[2]) / MIB) : null,
    arenas: (text.match(/^Arena \d+:/gm) ?? []).length || null,
    text,
  };
}
