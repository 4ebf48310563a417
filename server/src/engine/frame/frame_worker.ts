// Engine worker thread: owns one WebAssembly slicer, a style cache, the low-res worker its
// sessions share, the segmentation model session, and the WorkerSession (stylizer, speaker
// mask, options) of every session assigned to it. Frames arrive as transferred ArrayBuffers
// and go back the same way (no copy across threads).
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineWorkerData, FromWorker, ToWorker } from '../pool/thread_messages.js';
import { createEngineContext } from './engine_context.js';
import { Segmenter } from '../segmentation/segmenter.js';
import { exitOnFatal, whenIdle } from '../runtime/thread_exit.js';
import { SpeakerMask } from '../segmentation/speaker_mask.js';
import type { EngineContext } from './session_engine.js';
import { UnknownStyleError } from '../runtime/style_store.js';
import { WorkerSession } from './frame_session.js';

const port = parentPort;
if (!port) throw new Error('frame_worker must run in a worker thread');

const data = workerData as EngineWorkerData;
const ctx: EngineContext = createEngineContext(data.tierMode, data.onnx);
// load the networks now; where they cannot run, sessions start at the fast tier
if (ctx.lowres && (data.tierMode === 'auto' || data.tierMode === 'neural')) {
  void ctx.lowres.neuralReady().then((ok) => { ctx.neuralAvailable = ok; });
}
// one segmentation model session per thread; without it sessions use the whole frame
let segmenter: Segmenter | null = null;
const segmenterReady = data.segmentation === 'off' ? Promise.resolve() : Segmenter.create(data.onnx).then((s) => { segmenter = s; }, (e: unknown) => {
  console.warn(`[engine] segmentation unavailable, the whole frame is the speaker: ${String(e).split('\n')[0]}`);
});
const sessions = new Map<string, WorkerSession>();
let sessionCount = 1;

function send(m: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(m, transfer);
}

/** An error reply; the frame and mask buffers, when given, go back with it. */
function replyError(id: number, code: 'unknown_style' | 'no_session' | 'internal', message: string, buffer?: ArrayBuffer, mask?: ArrayBuffer): void {
  send({ kind: 'error', id, code, message, buffer, mask }, [buffer, mask].filter((b): b is ArrayBuffer => !!b));
}

function fail(id: number, err: unknown, buffer?: ArrayBuffer, mask?: ArrayBuffer): void {
  replyError(id, err instanceof UnknownStyleError ? 'unknown_style' : 'internal', err instanceof Error ? err.message : String(err), buffer, mask);
}

/** The thread's work ends: stop taking work, let the low-res worker and the model runs finish, exit. */
async function finish(code: number): Promise<never> {
  ending = true;
  await ctx.lowres?.drain();
  await whenIdle();
  process.exit(code);
}
let ending = false;
const dying = exitOnFatal(async (e) => {
  ending = true;
  send({ kind: 'fatal', message: e instanceof Error ? e.message : String(e) });
  await ctx.lowres?.drain();
});

port.on('message', (m: ToWorker) => {
  if (ending || dying()) return;
  switch (m.kind) {
    case 'styles':
      for (const img of m.images) ctx.styles.put(img);
      ctx.lowres?.putStyles(m.images);
      return;
    case 'styleRemoved':
      ctx.styles.delete(m.id);
      ctx.lowres?.removeStyle(m.id);
      return;
    case 'open':
      void segmenterReady.then(() => {
        try {
          sessions.get(m.sid)?.dispose();
          const ws = new WorkerSession(ctx, m.fg, m.bg, segmenter ? new SpeakerMask(segmenter.stream()) : null, m.sid);
          ws.engine.setSessionCount(sessionCount);
          sessions.set(m.sid, ws);
          send({ kind: 'ok', id: m.id });
        } catch (e) { fail(m.id, e); }
      });
      return;
    case 'frame': {
      const s = sessions.get(m.sid);
      if (!s) { replyError(m.id, 'no_session', `no session ${m.sid}`, m.buffer, m.mask); return; }
      s.process({ width: m.width, height: m.height, data: new Uint8Array(m.buffer) }, m.now, m.mask ? new Uint8Array(m.mask) : undefined, m.dropped ?? 0).then(
        (report) => send({ kind: 'frameDone', id: m.id, buffer: m.buffer, report, mask: m.mask }, m.mask ? [m.buffer, m.mask] : [m.buffer]),
        (e: unknown) => fail(m.id, e, m.buffer, m.mask));
      return;
    }
    case 'setStyle': {
      const s = sessions.get(m.sid);
      if (!s) { replyError(m.id, 'no_session', `no session ${m.sid}`); return; }
      try { s.setStyle(m.fg, m.bg, m.transitionMs, m.now); send({ kind: 'ok', id: m.id }); } catch (e) { fail(m.id, e); }
      return;
    }
    case 'setOptions': {
      const s = sessions.get(m.sid);
      if (!s) { replyError(m.id, 'no_session', `no session ${m.sid}`); return; }
      try { s.setOptions({ maskMode: m.maskMode, showMask: m.showMask }, m.transitionMs, m.now); send({ kind: 'ok', id: m.id }); } catch (e) { fail(m.id, e); }
      return;
    }
    case 'close':
      sessions.get(m.sid)?.dispose();
      sessions.delete(m.sid);
      send({ kind: 'ok', id: m.id });
      return;
    case 'load':
      sessionCount = m.sessions;
      for (const s of sessions.values()) s.engine.setSessionCount(m.sessions);
      return;
    case 'shutdown':
      void finish(0);
      return;
    case 'census':
      send({ kind: 'census', id: m.id, sessions: [...sessions.keys()], masks: [...sessions.values()].filter((s) => s.hasMaskState).map((s) => s.sid) });
      return;
    case 'fault':
      // fault injection for the fault-tolerance tests (enabled by the pool only when configured)
      if (m.what === 'exit') { void finish(3); return; }
      setImmediate(() => { throw new Error(`injected fault in session ${m.sid}`); });
      return;
  }
});

void segmenterReady.then(() => send({ kind: 'ready' }));
