// onnxruntime-node sessions for the engine: one shared InferenceSession per model per thread,
// created with the execution provider chosen at start (cpu everywhere, webgpu on a GPU
// server) and with thread spinning off, so idle inference threads do not burn the cores the
// codec and the other sessions need (as in livekit/agents-js plugins/silero/src/onnx_model.ts).
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { repoRoot } from '../../repo_root.js';

export type ExecutionProvider = 'cpu' | 'webgpu';

export interface OnnxOptions {
  provider: ExecutionProvider;
  /** intra-op threads for the cpu provider */
  threads: number;
}

export function modelPath(file: string): string {
  return join(repoRoot(), 'models', file);
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();
const used = new Map<string, ExecutionProvider>();

function create(file: string, provider: ExecutionProvider, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelPath(file), {
    executionProviders: [provider],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
}

/**
 * The thread's shared session for `file` (in models/). A webgpu session that cannot start
 * (no GPU adapter) falls back to cpu, with a warning: the same code path runs everywhere.
 */
export function sharedSession(file: string, opt: OnnxOptions): Promise<ort.InferenceSession> {
  const key = `${file}|${opt.provider}|${opt.threads}`;
  let s = sessions.get(key);
  if (!s) {
    s = create(file, opt.provider, opt.threads).then((session) => {
      used.set(key, opt.provider);
      return session;
    }, (e: unknown) => {
      if (opt.provider === 'cpu') throw e;
      console.warn(`[onnx] ${file}: ${opt.provider} unavailable (${String(e).split('\n')[0].slice(0, 160)}); using cpu`);
      used.set(key, 'cpu');
      return create(file, 'cpu', opt.threads);
    });
    s.catch(() => sessions.delete(key));
    sessions.set(key, s);
  }
  return s;
}

/** The provider a shared session actually runs on (after any fallback); null before it exists. */
export function sessionProvider(file: string, opt: OnnxOptions): ExecutionProvider | null {
  return used.get(`${file}|${opt.provider}|${opt.threads}`) ?? null;
}

/** Inference runs in flight on this thread (a thread must not end while one runs: thread_exit.ts). */
export const inference = { inflight: 0 };

/** session.run, counted in `inference.inflight`. */
export async function runModel(session: ort.InferenceSession, feeds: ort.InferenceSession.FeedsType, fetches: string[]): Promise<ort.InferenceSession.ReturnType> {
  inference.inflight++;
  try {
    return await session.run(feeds, fetches);
  } finally {
    inference.inflight--;
  }
}

export { ort };
