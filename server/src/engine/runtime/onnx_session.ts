// onnxruntime-node for the engine: one OnnxRuntime per thread holds one shared
// InferenceSession per model, created with the execution provider chosen at start (cpu
// everywhere, webgpu on a GPU server) and with thread spinning off, so idle inference threads
// do not burn the cores the codec and the other sessions need (as in livekit/agents-js
// plugins/silero/src/onnx_model.ts). It also counts the runs in flight: a thread must not end
// while one runs (thread_exit.ts).
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { repoRoot } from '../../repo_root.js';

export type ExecutionProvider = 'cpu' | 'webgpu';

export interface OnnxOptions {
  provider: ExecutionProvider;
  /** intra-op threads for the cpu provider */
  threads: number;
  /** onnxruntime's CPU memory arena and memory pattern (default on; ONNX_MEM_ARENA=0 turns them off) */
  memArena?: boolean;
}

export function modelPath(file: string): string {
  return join(repoRoot(), 'models', file);
}

function create(file: string, provider: ExecutionProvider, o: OnnxOptions): Promise<ort.InferenceSession> {
  const arena = o.memArena ?? true;
  return ort.InferenceSession.create(modelPath(file), {
    executionProviders: [provider],
    intraOpNumThreads: o.threads,
    enableCpuMemArena: arena,
    enableMemPattern: arena,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
}

/** A thread's onnxruntime: its shared sessions (one per model file) and its runs in flight. */
export class OnnxRuntime {
  readonly #sessions = new Map<string, Promise<ort.InferenceSession>>();
  readonly #used = new Map<string, ExecutionProvider>();
  #inflight = 0;

  constructor(readonly options: OnnxOptions) {}

  /**
   * The shared session for `file` (in models/). A webgpu session that cannot start (no GPU
   * adapter) falls back to cpu, with a warning: the same code path runs everywhere.
   */
  session(file: string): Promise<ort.InferenceSession> {
    let s = this.#sessions.get(file);
    if (!s) {
      const { provider } = this.options;
      s = create(file, provider, this.options).then(
        (session) => {
          this.#used.set(file, provider);
          return session;
        },
        (e: unknown) => {
          if (provider === 'cpu') throw e;
          console.warn(
            `[onnx] ${file}: ${provider} unavailable (${String(e).split('\n')[0].slice(0, 160)}); using cpu`,
          );
          this.#used.set(file, 'cpu');
          return create(file, 'cpu', this.options);
        },
      );
      s.catch(() => this.#sessions.delete(file));
      this.#sessions.set(file, s);
    }
    return s;
  }

  /** The provider a shared session actually runs on (after any fallback); null before it exists. */
  provider(file: string): ExecutionProvider | null {
    return this.#used.get(file) ?? null;
  }

  /** Inference runs in flight on this runtime. */
  get inflight(): number {
    return this.#inflight;
  }

  /**
   * session.run, counted in `inflight`; `fetches` may map output names to preallocated tensors.
   * onnxruntime-node (1.30) writes those in place but still returns every output as a copy in a
   * new ArrayBuffer: preallocating saves no JavaScript allocation per run (thread_garbage.ts).
   */
  async run(
    session: ort.InferenceSession,
    feeds: ort.InferenceSession.FeedsType,
    fetches: ort.InferenceSession.FetchesType,
  ): Promise<ort.InferenceSession.ReturnType> {
    this.#inflight++;
    try {
      return await session.run(feeds, fetches);
    } finally {
      this.#inflight--;
    }
  }
}

export { ort };
