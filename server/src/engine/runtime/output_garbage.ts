// The dead outputs of a thread's onnxruntime runs, collected before they pile up. The Node
// binding returns every output as a copy in a new ArrayBuffer (even into preallocated fetches:
// onnx_session.ts), which V8 counts as external memory and collects only when its young
// generation fills or external memory grows ~64 MiB past the last collection. A thread that
// allocates few JavaScript objects of its own (a low-res worker: a few MiB of outputs per update)
// kept 30-49 MiB of dead outputs each in a 30-minute soak, growing resident memory by ~13 MiB
// per 10 min until it levels off near that bound. After every `budget` bytes of outputs, the
// next run starts with a young-generation collection (when the earlier outputs are done with),
// which frees them:
// measured 0.4-0.8 ms on a thread (the enc4 network's 393 KB output run 40 times:
// 34.3 -> 17.4 MiB of array buffers).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { InferenceSession } from 'onnxruntime-node';

/** bytes of outputs between two collections */
export const OUTPUT_GARBAGE_BUDGET = 16 * 1024 * 1024;

type Gc = (options: { type: 'minor' | 'major'; execution: 'sync' | 'async' }) => void;

/** V8's gc() for this thread (exposed to a fresh context: the flag only adds it to new contexts); null where that fails. */
function threadGc(): Gc | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as Gc) : null;
  } catch {
    return null;
  }
}

export class OutputGarbage {
  readonly #gc: Gc | null;
  readonly #budget: number;
  #bytes = 0;
  #collections = 0;

  constructor(budget = OUTPUT_GARBAGE_BUDGET) {
    this.#gc = threadGc();
    this.#budget = budget;
  }

  /** Young-generation collections run so far. */
  get collections(): number {
    return this.#collections;
  }

  /** Before a run: collects when `budget` bytes of outputs were handed out since the last collection. */
  beforeRun(): void {
    if (this.#bytes < this.#budget || !this.#gc) return;
    this.#bytes = 0;
    this.#collections++;
    this.#gc({ type: 'minor', execution: 'sync' });
  }

  /** Counts a run's outputs. */
  add(outputs: InferenceSession.ReturnType): void {
    for (const name in outputs) {
      const d = outputs[name].data;
      if (ArrayBuffer.isView(d)) this.#bytes += d.byteLength;
    }
  }
}
