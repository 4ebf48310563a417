// The socket.io connection (same origin) with typed events, and call(): an emit that waits
// for the server's Ack and never throws (a timeout or a lost connection becomes a failed Ack).
import { io, type Socket } from 'socket.io-client';
import type { Ack, ErrorMsg } from '../../shared/protocol';
import type { AckData, ClientToServer, ServerToClient } from '../../shared/socket_events';

export type RestyleSocket = Socket<ServerToClient, ClientToServer>;

/** A client-side failure code (alongside the server's ErrorCode values). */
export type CallErrorCode = ErrorMsg['code'] | 'timeout' | 'disconnected';

export interface CallError {
  code: CallErrorCode;
  message: string;
  event?: string;
}

export interface CallResult<T> {
  ok: boolean;
  data?: T;
  error?: CallError;
}

export function connectSocket(): RestyleSocket {
  return io({
    path: '/socket.io',
    transports: ['websocket', 'polling'],
    reconnection: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10_000,
    randomizationFactor: 0.2,
    timeout: 10_000,
  });
}

type Payload<E extends keyof ClientToServer> = Parameters<ClientToServer[E]>[0];

type Timed = ReturnType<RestyleSocket['timeout']>;

/**
 * One typed emitWithAck per event: socket.io types each event's call from the event map, and
 * this record lets call() reach them with a generic event name (no cast).
 */
const EMIT: { [E in keyof ClientToServer]: (t: Timed, p: Payload<E>) => Promise<unknown> } = {
  start: (t, p) => t.emitWithAck('start', p),
  offer: (t, p) => t.emitWithAck('offer', p),
  ice: (t, p) => t.emitWithAck('ice', p),
  setStyle: (t, p) => t.emitWithAck('setStyle', p),
  setOptions: (t, p) => t.emitWithAck('setOptions', p),
  ping: (t, p) => t.emitWithAck('ping', p),
  stop: (t, p) => t.emitWithAck('stop', p),
  publish: (t, p) => t.emitWithAck('publish', p),
  unpublish: (t, p) => t.emitWithAck('unpublish', p),
  room: (t, p) => t.emitWithAck('room', p),
  view: (t, p) => t.emitWithAck('view', p),
  viewAnswer: (t, p) => t.emitWithAck('viewAnswer', p),
  viewIce: (t, p) => t.emitWithAck('viewIce', p),
  unview: (t, p) => t.emitWithAck('unview', p),
  selfView: (t, p) => t.emitWithAck('selfView', p),
};

/** Emits `event` with an ack; resolves with the server's Ack, or a failed one on timeout/disconnect. */
export async function call<E extends keyof ClientToServer>(
  socket: RestyleSocket,
  event: E,
  payload: Payload<E>,
  timeoutMs = 10_000,
): Promise<CallResult<AckData<E>>> {
  if (!socket.connected) {
    return { ok: false, error: { code: 'disconnected', message: 'not connected to the server', event } };
  }
  try {
    const emit: (t: Timed, p: Payload<E>) => Promise<unknown> = EMIT[event];
    const ack = await emit(socket.timeout(timeoutMs), payload);
    if (isAck<AckData<E>>(ack)) return ack;
    return { ok: false, error: { code: 'internal', message: `${event}: malformed reply`, event } };
  } catch {
    return {
      ok: false,
      error: socket.connected
        ? { code: 'timeout', message: `${event}: no reply from the server within ${timeoutMs / 1000}s`, event }
        : { code: 'disconnected', message: 'lost the connection to the server', event },
    };
  }
}

/** A reply shaped like the server's Ack (the server's own type; anything else is malformed). */
function isAck<T>(a: unknown): a is Ack<T> {
  return !!a && typeof a === 'object' && 'ok' in a && typeof a.ok === 'boolean';
}
