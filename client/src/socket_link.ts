// The socket.io connection (same origin) with typed events, and call(): an emit that waits
// for the server's Ack and never throws (a timeout or a lost connection becomes a failed Ack).
import { io, type Socket } from 'socket.io-client';
import type {
  Ack, ErrorMsg, IceMsg, OfferMsg, PingMsg, PublishAck, PublishMsg, ServerToClient, SetOptionsMsg, SetStyleMsg, StartAck, StartMsg,
} from '../../shared/protocol';
import type { MaskOptions } from './test_hooks';

/** The ping ack's data (socket_control.ts answers { t, server }). */
export interface PongData { t: number; server: number }

type AckCb<T = undefined> = (a: Ack<T>) => void;

/** Client -> server events; every one can take an ack callback. */
export interface ClientToServer {
  start: (m: StartMsg, ack: AckCb<StartAck>) => void;
  offer: (m: OfferMsg, ack: AckCb) => void;
  ice: (m: IceMsg, ack: AckCb) => void;
  setStyle: (m: SetStyleMsg, ack: AckCb) => void;
  /** the ack's data: the options now in force (session.ts) */
  setOptions: (m: SetOptionsMsg, ack: AckCb<MaskOptions>) => void;
  ping: (m: PingMsg, ack: AckCb<PongData>) => void;
  stop: (m: Record<string, never>, ack: AckCb) => void;
  publish: (m: PublishMsg, ack: AckCb<PublishAck>) => void;
}

export type RestyleSocket = Socket<ServerToClient, ClientToServer>;

/** A client-side failure code (alongside the server's ErrorCode values). */
export type CallErrorCode = ErrorMsg['code'] | 'timeout' | 'disconnected';

export interface CallError { code: CallErrorCode; message: string; event?: string }

export interface CallResult<T> { ok: boolean; data?: T; error?: CallError }

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

type EmitArgs<E extends keyof ClientToServer> = Parameters<ClientToServer[E]>;
type AckData<E extends keyof ClientToServer> = Parameters<EmitArgs<E>[1]>[0] extends Ack<infer T> ? T : never;

/** Emits `event` with an ack; resolves with the server's Ack, or a failed one on timeout/disconnect. */
export async function call<E extends keyof ClientToServer>(
  socket: RestyleSocket, event: E, payload: EmitArgs<E>[0], timeoutMs = 10_000,
): Promise<CallResult<AckData<E>>> {
  if (!socket.connected) {
    return { ok: false, error: { code: 'disconnected', message: 'not connected to the server', event } };
  }
  try {
    // the typed emitWithAck wants a literal event name; this generic form is the same call
    const timed = socket.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p: unknown): Promise<unknown> };
    const ack = await timed.emitWithAck(event, payload);
    if (ack && typeof ack === 'object' && 'ok' in ack) return ack as CallResult<AckData<E>>;
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
