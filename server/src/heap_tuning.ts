// V8's heap growth for this process (every thread's isolate). By default V8 sets the next
// full collection close above what the last one left alive: the main thread's ~26 MiB heap
// got a limit only 9 MiB higher, and with a stylized 480p session it started incremental
// marking about once a second (`--trace-gc --trace-incremental-marking`: "allocation limit"
// and "task", 26 / 35 MB), although the thread allocates only ~0.25 MB/s of JavaScript
// objects; the concurrent marking ran on V8's platform threads. Growing the heap 2x between
// collections cut that to ~1 every 2.5 s (`npm run bench:load -- --resolution 480p`: the
// platform threads' CPU per stylized session 47 -> 26 ms/s). The cost is memory: a heap may
// grow to twice what is alive before it is collected (tens of MiB in all on this server).
import { setFlagsFromString } from 'node:v8';

/** heap growth factor between full collections, percent over what was alive */
export const HEAP_GROWING_PERCENT = 100;

/** Applies the setting unless the command line chose one; returns the percent in force (null: V8's own). */
export function tuneHeap(execArgv: readonly string[] = process.execArgv): number | null {
  const given = execArgv.find((a) => /^--heap[-_]growing[-_]percent=/.test(a));
  if (given) return Number(given.split('=')[1]) || null;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return HEAP_GROWING_PERCENT;
}
