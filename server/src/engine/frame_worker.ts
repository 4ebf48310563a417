// Engine worker thread: owns one WebAssembly slicer, a style cache, the low-res worker its
// sessions share, and the SessionEngine of every session assigned to it. Frames arrive as
// transferred ArrayBuffers and go back the same way (no copy across threads).
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineWorkerData, FromWorker, ToWorker } from './engine_protocol.js';
import { createEngineContext } from './engine_context.js';
import { SessionEngine, type EngineContext } from './session_engine.js';
import { UnknownStyleError } from './style_store.js';

const port = parentPort;
if (!port) throw new Error('frame_worker must run in a worker thread');

const data = workerData as EngineWorkerData;
const ctx: EngineContext = createEngineContext(data.tierMode, data.onnx);
// load the networks now; where they cannot run, sessions start at the fast tier
if (ctx.lowres && (data.tierMode === 'auto' || data.tierMode === 'neural')) {
  void ctx.lowres.neuralReady().then((ok) => { ctx.neuralAvailable = ok; });
}
const sessions = new Map<string, SessionEngine>();

function send(m: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(m, transfer);
}

function fail(id: number, err: unknown, buffer?: ArrayBuffer): void {
  const code = err instanceof UnknownStyleError ? 'unknown_style' : 'internal';
  const message = err instanceof Error ? err.message : String(err);
  send({ kind: 'error', id, code, message, buffer }, buffer ? [buffer] : []);
}

port.on('message', (m: ToWorker) => {
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
      try {
        sessions.get(m.sid)?.dispose();
        sessions.set(m.sid, new SessionEngine(ctx, m.fg, m.bg, {}, m.sid));
        send({ kind: 'ok', id: m.id });
      } catch (e) { fail(m.id, e); }
      return;
    case 'frame': {
      const s = sessions.get(m.sid);
      if (!s) { send({ kind: 'error', id: m.id, code: 'no_session', message: `no session ${m.sid}`, buffer: m.buffer }, [m.buffer]); return; }
      try {
        const report = s.processFrame({ width: m.width, height: m.height, data: new Uint8Array(m.buffer) }, m.now);
        send({ kind: 'frameDone', id: m.id, buffer: m.buffer, report }, [m.buffer]);
      } catch (e) { fail(m.id, e, m.buffer); }
      return;
    }
    case 'setStyle': {
      const s = sessions.get(m.sid);
      if (!s) { send({ kind: 'error', id: m.id, code: 'no_session', message: `no session ${m.sid}` }); return; }
      try { s.setStyle(m.fg, m.bg, m.transitionMs, m.now); send({ kind: 'ok', id: m.id }); } catch (e) { fail(m.id, e); }
      return;
    }
    case 'close':
      sessions.get(m.sid)?.dispose();
      sessions.delete(m.sid);
      send({ kind: 'ok', id: m.id });
      return;
    case 'census':
      send({ kind: 'census', id: m.id, sessions: [...sessions.keys()] });
      return;
    case 'fault':
      // fault injection for the fault-tolerance tests (enabled by the pool only when configured)
      if (m.what === 'exit') process.exit(3);
      setImmediate(() => { throw new Error(`injected fault in session ${m.sid}`); });
      return;
  }
});

send({ kind: 'ready' });
