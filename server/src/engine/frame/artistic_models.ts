// The artistic looks' networks on one engine thread: one onnxruntime session per look in the
// thread's OnnxRuntime (shared by all the thread's sessions), loaded as soon as the look's
// StyleImage (with its `artistic.model`) reaches the thread. A network that fails to load makes
// its look unavailable on this thread: a session choosing it gets a clear error, and nothing
// else changes.
import type { InferenceSession } from 'onnxruntime-node';
import { ort, type OnnxRuntime } from '../runtime/onnx_session.js';
import { UnknownStyleError, type StyleImage } from '../runtime/style_store.js';
import { artisticSize, ARTISTIC_WARM_FRAMES } from './artistic_input.js';
import { warmArtisticPath } from './artistic_warmup.js';

export const ARTISTIC_INPUT = 'image';
export const ARTISTIC_OUTPUT = 'stylized';
/** runs per shape before a look is offered (the first two of a session at a shape are slow) */
const WARM_RUNS = 3;

/** An artistic look whose network did not load here (or is not loaded yet where waiting is not allowed). */
export class ArtisticUnavailableError extends UnknownStyleError {
  constructor(styleId: string, reason: string) {
    super(styleId);
    this.message = `artistic look "${styleId}" is unavailable: ${reason}`;
  }
}

interface Entry {
  model: string;
  loading: Promise<InferenceSession>;
  session: InferenceSession | null;
  error: string | null;
}

export class ArtisticModels {
  readonly #onnx: OnnxRuntime;
  readonly #looks = new Map<string, Entry>();
  #pathWarm: Promise<unknown> | null = null;

  constructor(onnx: OnnxRuntime) {
    this.#onnx = onnx;
  }

  /** Registers the artistic looks among `images` and starts loading their networks. */
  put(images: readonly StyleImage[]): void {
    for (const img of images) if (img.artistic) this.add(img.id, img.artistic.model);
  }

  /** Registers look `id` with its network `model` (a file under models/); loading starts now. */
  add(id: string, model: string): void {
    if (this.#looks.get(id)?.model === model) return;
    const loading = this.#onnx.session(model).then(
      (s) => {
        if (!s.inputNames.includes(ARTISTIC_INPUT) || !s.outputNames.includes(ARTISTIC_OUTPUT))
          throw new Error(`${model} has inputs [${s.inputNames.join(', ')}], outputs [${s.outputNames.join(', ')}]`);
        return this.#warm(s).then(async () => {
          await this.#warmPath();
          entry.session = s;
          return s;
        });
      },
      (e: unknown) => {
        throw new Error(`its network ${model} failed to load: ${String(e).split('\n')[0].slice(0, 200)}`);
      },
    );
    const entry: Entry = { model, loading, session: null, error: null };
    loading.catch((e: unknown) => {
      entry.error = e instanceof Error ? e.message : String(e);
      console.error(`[engine] artistic look "${id}" unavailable on this thread: ${entry.error}`);
    });
    this.#looks.set(id, entry);
  }

  /**
   * Runs a network a few times at the internal sizes of 4:3 and 16:9 frames before its look is
   * offered: onnxruntime's first runs of a session at a shape are slow (~45-70 ms here instead
   * of ~15), which a session's first frames with the look would otherwise pay, a visible stall
   * on a look change. The smaller sizes of a session shedding load are not warmed: three times
   * the runs kept both cores busy for seconds after the server started listening (its first
   * sessions then shed load at once), for ~100 ms saved once per size when a session sheds.
   */
  async #warm(s: InferenceSession): Promise<void> {
    for (const [w, h] of ARTISTIC_WARM_FRAMES) {
      const size = artisticSize(w, h);
      const dims = [1, 3, size.height, size.width];
      const n = 3 * size.width * size.height;
      const x = new ort.Tensor('float32', new Float32Array(n).fill(0.5), dims);
      // as the layers run it: into a preallocated output
      const y = new ort.Tensor('float32', new Float32Array(n), dims);
      for (let k = 0; k < WARM_RUNS; k++) await this.#onnx.run(s, { [ARTISTIC_INPUT]: x }, { [ARTISTIC_OUTPUT]: y });
    }
  }

  /** The per-frame JavaScript's warm-up (artistic_warmup.ts): started by the first look to load on this thread, awaited by every look. */
  #warmPath(): Promise<unknown> {
    this.#pathWarm ??= warmArtisticPath();
    return this.#pathWarm;
  }

  remove(id: string): void {
    this.#looks.delete(id);
  }

  /** Whether `id` is an artistic look here (loaded, loading or failed). */
  has(id: string): boolean {
    return this.#looks.has(id);
  }

  /** The network file of look `id`. */
  model(id: string): string | undefined {
    return this.#looks.get(id)?.model;
  }

  /** Waits until the networks of the artistic looks among `ids` have loaded; throws for one that failed. */
  async ready(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const e = this.#looks.get(id);
      if (!e) continue;
      try {
        await e.loading;
      } catch (err) {
        throw new ArtisticUnavailableError(id, (err as Error).message);
      }
    }
  }

  /** The loaded network of look `id`; throws ArtisticUnavailableError while it is not loaded. */
  session(id: string): InferenceSession {
    const e = this.#looks.get(id);
    if (!e) throw new UnknownStyleError(id);
    if (!e.session) throw new ArtisticUnavailableError(id, e.error ?? 'its network is still loading');
    return e.session;
  }
}
