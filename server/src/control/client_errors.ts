// What an error means to a client: its code and message. Used by the socket handlers, and by
// a cluster node answering another node's request (the asker passes the same code on to its
// page), so a remote failure reads like a local one.
import type { ErrorCode } from '../../../shared/protocol.js';
import { EngineError } from '../engine/pool/engine_pool.js';
import { FanoutError } from '../fanout/fanout.js';
import { SessionError } from '../media/session.js';
import { ServerFullError } from '../media/session_manager.js';
import { RoomError } from './room_control.js';
import { PortError } from './session_port.js';

export function describeError(e: unknown): { code: ErrorCode; message: string } {
  if (e instanceof ServerFullError)
    return e.max === 0
      ? { code: 'shutting_down', message: 'the server is shutting down' }
      : { code: 'server_full', message: `server busy: all ${e.max} stylizer slots are in use, try again shortly` };
  if (e instanceof SessionError || e instanceof RoomError || e instanceof PortError)
    return { code: e.code, message: e.message };
  if (e instanceof EngineError)
    return { code: e.code === 'unknown_style' ? 'unknown_style' : 'internal', message: e.message };
  if (e instanceof FanoutError)
    return { code: e.code === 'no_publisher' ? 'no_publisher' : 'bad_request', message: e.message };
  return { code: 'internal', message: 'internal error' };
}
