// The socket.io event maps of both directions, for typed sockets on both sides:
// server `Server<ClientToServer, ServerToClient>`, client `Socket<ServerToClient, ClientToServer>`.
// Payload schemas and types are in protocol.ts; the server validates every client payload
// there before any handler sees it.
import type {
  Ack,
  AnswerMsg,
  ErrorMsg,
  IceMsg,
  MaskOptions,
  OfferMsg,
  PingMsg,
  PongData,
  PublishAck,
  PublishMsg,
  RoomAck,
  RoomChangedMsg,
  RoomMsg,
  SelfViewMsg,
  SetOptionsMsg,
  SetStyleMsg,
  ShutdownMsg,
  StartAck,
  StartMsg,
  StatsMsg,
  UnviewMsg,
  ViewAck,
  ViewAnswerMsg,
  ViewClosedMsg,
  ViewIceMsg,
  ViewMsg,
} from './protocol.js';

/** The ack callback a client event may take: the server answers with an Ack (or an `error` event without one). */
export type AckCallback<T = undefined> = (a: Ack<T>) => void;

/** Client -> server events, with their ack data. */
export interface ClientToServer {
  start: (m: StartMsg, ack?: AckCallback<StartAck>) => void;
  offer: (m: OfferMsg, ack?: AckCallback) => void;
  ice: (m: IceMsg, ack?: AckCallback) => void;
  setStyle: (m: SetStyleMsg, ack?: AckCallback) => void;
  /** the ack's data: the options now in force */
  setOptions: (m: SetOptionsMsg, ack?: AckCallback<MaskOptions>) => void;
  ping: (m: PingMsg, ack?: AckCallback<PongData>) => void;
  stop: (m: Record<string, never>, ack?: AckCallback) => void;
  publish: (m: PublishMsg, ack?: AckCallback<PublishAck>) => void;
  unpublish: (m: Record<string, never>, ack?: AckCallback) => void;
  room: (m: RoomMsg, ack?: AckCallback<RoomAck>) => void;
  view: (m: ViewMsg, ack?: AckCallback<ViewAck>) => void;
  viewAnswer: (m: ViewAnswerMsg, ack?: AckCallback) => void;
  viewIce: (m: ViewIceMsg, ack?: AckCallback) => void;
  unview: (m: UnviewMsg, ack?: AckCallback) => void;
  selfView: (m: SelfViewMsg, ack?: AckCallback) => void;
}

/** Server -> client events. */
export interface ServerToClient {
  answer: (m: AnswerMsg) => void;
  ice: (m: IceMsg) => void;
  stats: (m: StatsMsg) => void;
  error: (m: ErrorMsg) => void;
  styleApplied: (m: { foreground: string; background: string; transitionMs: number }) => void;
  stylesChanged: () => void;
  shutdown: (m: ShutdownMsg) => void;
  viewIce: (m: ViewIceMsg) => void;
  viewClosed: (m: ViewClosedMsg) => void;
  roomChanged: (m: RoomChangedMsg) => void;
}

/** The data a client event's ack carries. */
export type AckData<E extends keyof ClientToServer> =
  Parameters<NonNullable<Parameters<ClientToServer[E]>[1]>>[0] extends Ack<infer T> ? T : never;
