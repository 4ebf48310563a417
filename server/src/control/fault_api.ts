// Fault injection for the fault-tolerance tests, mounted only with ENGINE_FAULTS=1 and only
// for requests from this machine: POST /api/_faults/sessions/:sid/engine?what=throw|exit
// makes that session's engine thread throw (or exit), as a crashing native addon or a bug
// would. The pool replaces the thread; the other sessions must not notice.
import { Router } from 'express';
import type { SessionManager } from '../media/session_manager.js';
import { isLoopback } from './loopback.js';

export function faultRouter(sessions: SessionManager): Router {
  const r = Router();
  r.post('/api/_faults/sessions/:sid/engine', async (req, res) => {
    // Unix-socket connections (the tests' path) have no remote address
    const addr = req.socket.remoteAddress;
    if (addr !== undefined && !isLoopback(addr))
      return void res.status(403).json({ error: 'forbidden', message: 'fault injection is local only' });
    const what = req.query.what === 'exit' ? 'exit' : 'throw';
    const s = sessions.get(String(req.params.sid));
    if (!s) return void res.status(404).json({ error: 'no_session', message: `no session ${req.params.sid}` });
    await s.injectEngineFault(what);
    res.status(202).json({ injected: what });
  });
  return r;
}
