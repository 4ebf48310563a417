// A worker thread's dead array buffers, collected before they pile up. onnxruntime-node returns
// every output of a run as a copy in a new ArrayBuffer (even into preallocated fetches:
// onnx_session.ts), and messages bring more; V8 counts them as external memory and collects
// them only when its heap needs it or external memory has grown ~64 MiB past the last
// collection. A thread that allocates few JavaScript objects of its own, as a low-res worker
// (a few MiB of network outputs per update, little else), kept 30-49 MiB of them each in a
// 30-minute soak, and resident memory rose ~13 MiB per 10 min until that bound. Between two
// pieces of work, check() runs a full collection once the thread's array buffers have grown a
// limit past the lowest level seen since the last collection (what was alive then), at most
// once per interval. The interval is shorter than the time between two updates: with 1 s,
// updates 0.3-0.4 s apart in a soak piled 2-5 MiB each onto a thread between collections,
// which swung from 12 to 40 MiB. The limit was absolute (16 MiB in all) until a 480p session's
// low-res worker, holding 7-9 MiB of live buffers, ran a full collection every ~0.4 s
// (84 in 40 s, `--trace-gc`) for ~8 MiB of garbage each.
// The collection is gc() with no argument. Measured on Node 20.20: after 40 MiB of dead
// Float32Arrays (young or old), gc() gave all of it back at once; gc(true) and
// gc({ type: 'major', execution: 'sync' }) gave back none of it, even 500 ms later. This check
// called the latter until the 2-hour soak showed a low-res worker's array buffers creeping from
// 16 to 37 MiB over 70 minutes with it running.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** growth of a thread's array buffers past what was alive that starts a collection */
export const THREAD_GARBAGE_LIMIT = 16 * 1024 * 1024;

type Gc = () => void;

/** V8's gc() for this thread (the flag only adds it to new contexts); null where that fails. */
function threadGc(): Gc | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as Gc) : null;
  } catch {
    return null;
  }
}

export class ThreadGarbage {
  readonly #gc = threadGc();
  readonly #limit: number;
  readonly #minIntervalMs: number;
  #lastMs = -Infinity;
  #collections = 0;
  /** the lowest array-buffer level seen since the last collection (0 before the first) */
  #floor = 0;

  constructor(limitBytes = THREAD_GARBAGE_LIMIT, minIntervalMs = 250) {
    this.#limit = limitBytes;
    this.#minIntervalMs = minIntervalMs;
  }

  /** Collections run so far. */
  get collections(): number {
    return this.#collections;
  }

  /** Between two pieces of work: collects when this thread's array buffers have grown the limit past the floor. */
  check(nowMs = performance.now()): void {
    if (!this.#gc) return;
    const bytes = process.memoryUsage().arrayBuffers;
    this.#floor = Math.min(this.#floor, bytes);
    if (nowMs - this.#lastMs < this.#minIntervalMs || bytes < this.#floor + this.#limit) return;
    this.#floor = Infinity;
    this.#lastMs = nowMs;
    this.#collections++;
    this.#gc();
  }
}
