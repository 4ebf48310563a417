// onnxruntime-node sessions for the engine: one shared InferenceSession per model per thread,
// created with the execution provider chosen at start (cpu everywhere, webgpu on a GPU
// server) and with thread spinning off, so idle inference threads do not burn the cores the
// codec and the other sessions need (as in livekit/agents-js plugins/silero/src/onnx_model.ts).
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { repoRoot } from './wasm_kernels.js';

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

/** The thread's shared session for `file` (in models/). */
export function sharedSession(file: string, opt: OnnxOptions): Promise<ort.InferenceSession> {
  const key = `${file}|${opt.provider}|${opt.threads}`;
  let s = sessions.get(key);
  if (!s) {
    s = ort.InferenceSession.create(modelPath(file), {
      executionProviders: [opt.provider],
      intraOpNumThreads: opt.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
    s.catch(() => sessions.delete(key));
    sessions.set(key, s);
  }
  return s;
}

export { ort };
