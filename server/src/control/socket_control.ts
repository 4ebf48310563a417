// socket.io: signalling (offer/answer/ICE) and control (styles, options) for one browser
// connection, plus its live stats each second. Every incoming payload is validated against
// shared/protocol.ts before anything acts on it; a bad message gets an `error` (or a failed
// ack) naming the problem and touches nothing else.
import type { Logger } from 'pino';
import {
  CLIENT_EVENTS,
  ClientMessage,
  describeZodError,
  type Ack,
  type ErrorCode,
  type ErrorMsg,
  type MaskOptions,
  type PongData,
  type StartAck,
} from '../../../shared/protocol.js';
import type { RestyleServer, RestyleSocket } from './restyle_socket.js';
import { RoomControl, type RoomDeps } from './room_control.js';
import { describeError } from './client_errors.js';
import type { StyleLibrary } from '../styles/style_library.js';
import type { Metrics } from './metrics.js';
import { TokenBucket } from './token_bucket.js';
import type { SessionFactory, SessionPort } from './session_port.js';

export interface ControlDeps {
  /** makes a session for a connection: the session manager, or the cluster's placement */
  sessions: SessionFactory;
  styles: StyleLibrary;
  metrics: Metrics;
  log: Logger;
  /** ICE servers for one client (TURN credentials minted for it) */
  iceServers: (clientId: string) => StartAck['iceServers'];
  messagesPerSecond: number;
  rooms: RoomDeps;
}

type AckFn = (a: Ack<unknown>) => void;

class ClientError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function toClientError(e: unknown): ClientError {
  if (e instanceof ClientError) return e;
  const d = describeError(e);
  return new ClientError(d.code, d.message);
}

/** One browser connection. */
class Connection {
  private session: SessionPort | null = null;
  private statsTimer: NodeJS.Timeout;
  private readonly bucket: TokenBucket;
  /** socket id on every line, and the session id once there is a session */
  private log: Logger;
  private readonly rooms: RoomControl;

  constructor(
    private readonly socket: RestyleSocket,
    private readonly d: ControlDeps,
  ) {
    this.log = d.log.child({ socket: socket.id });
    this.rooms = new RoomControl(socket, d.rooms);
    this.bucket = new TokenBucket(d.messagesPerSecond, d.messagesPerSecond * 2);
    socket.onAny((event: string, ...args: unknown[]) => {
      void this.dispatch(event, args);
    });
    socket.on('disconnect', (reason) => {
      this.rooms.close();
      this.endSession(`socket ${reason}`);
    });
    this.statsTimer = setInterval(() => {
      // a remote session pushes its figures itself (onStats below)
      if (this.session && !this.session.closed && !this.session.onStats) socket.emit('stats', this.session.snapshot());
    }, 1000);
    this.statsTimer.unref();
  }

  private async dispatch(event: string, args: unknown[]): Promise<void> {
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as AckFn) : null;
    try {
      if (!this.bucket.take())
        throw new ClientError('rate_limited', `more than ${this.d.messagesPerSecond} messages per second`);
      if (!CLIENT_EVENTS.some((e) => e === event))
        throw new ClientError('unknown_event', `unknown event "${event.slice(0, 40)}"`);
      const parsed = ClientMessage.safeParse({ event, msg: args[0] });
      if (!parsed.success) throw new ClientError('bad_request', `${event}: ${describeZodError(parsed.error, ['msg'])}`);
      const data = await this.handle(parsed.data);
      ack?.({ ok: true, data });
    } catch (e) {
      const ce = toClientError(e);
      if (ce.code === 'internal')
        this.log.error({ event, err: e instanceof Error ? e.stack : String(e) }, 'handler failed');
      const err: ErrorMsg = { code: ce.code, message: ce.message, event: event.slice(0, 40) };
      this.d.metrics.clientErrors.inc({ code: ce.code });
      if (ack) ack({ ok: false, error: err });
      else this.socket.emit('error', err);
    }
  }

  private needSession(): SessionPort {
    if (!this.session || this.session.closed) throw new ClientError('no_session', 'start a session first');
    return this.session;
  }

  private checkStyle(id: string): void {
    if (!this.d.styles.has(id)) throw new ClientError('unknown_style', `unknown style "${id}"`);
  }

  /** Acts on one validated message; resolves with its ack's data. */
  private async handle({ event, msg }: ClientMessage): Promise<unknown> {
    switch (event) {
      case 'start': {
        const m = msg;
        this.checkStyle(m.fg);
        this.checkStyle(m.bg);
        this.endSession('restarted');
        const s = await this.d.sessions.create({
          fg: m.fg,
          bg: m.bg,
          echo: m.echo ?? false,
          resolution: m.resolution,
          socket: this.socket.id,
        });
        this.session = s;
        this.log = this.d.log.child({ socket: this.socket.id, sid: s.id });
        s.on('ice', (c) => this.socket.emit('ice', c));
        s.onStats?.((st) => {
          if (this.session === s) this.socket.emit('stats', st);
        });
        s.once('closed', (reason) => {
          if (this.session === s) this.session = null;
          if (this.socket.connected && !reason.startsWith('socket')) {
            this.socket.emit('error', { code: 'internal', message: `session ended: ${reason}` } satisfies ErrorMsg);
          }
        });
        return { sessionId: s.id, iceServers: this.d.iceServers(s.id) } satisfies StartAck;
      }
      case 'offer': {
        const s = this.needSession();
        const sdp = await s.handleOffer(msg.sdp);
        this.socket.emit('answer', { type: 'answer', sdp });
        return undefined;
      }
      case 'ice':
        await this.needSession().addIce(msg);
        return undefined;
      case 'setStyle': {
        this.checkStyle(msg.foreground);
        this.checkStyle(msg.background);
        const t = msg.transitionMs;
        await this.needSession().setStyle(msg.foreground, msg.background, t);
        this.socket.emit('styleApplied', { foreground: msg.foreground, background: msg.background, transitionMs: t });
        return undefined;
      }
      case 'setOptions': {
        const { transitionMs, ...o } = msg;
        return this.needSession().setOptions(o, transitionMs ?? 500) satisfies Promise<MaskOptions>;
      }
      case 'ping':
        return { t: msg.t, server: Date.now() } satisfies PongData;
      case 'stop':
        this.endSession('client stop');
        return undefined;
      case 'publish':
        return this.rooms.publish(msg, this.session);
      case 'unpublish':
        this.rooms.unpublish();
        return undefined;
      case 'room':
        return this.rooms.room(msg);
      case 'view':
        return this.rooms.view(msg);
      case 'viewAnswer':
        return this.rooms.answer(msg);
      case 'viewIce':
        return this.rooms.ice(msg);
      case 'unview':
        return this.rooms.unview(msg);
      case 'selfView':
        return this.rooms.selfView(msg);
    }
  }

  private endSession(reason: string): void {
    const s = this.session;
    this.session = null;
    s?.close(reason);
    if (reason.startsWith('socket')) clearInterval(this.statsTimer);
  }
}

export function attachControl(io: RestyleServer, deps: ControlDeps): void {
  io.on('connection', (socket) => {
    new Connection(socket, deps);
  });
}
