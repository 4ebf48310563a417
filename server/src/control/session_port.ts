// What a socket connection needs of its stylized session, wherever the media runs: a local
// Session (media/session.ts, this process) or, in a cluster, a session on another node driven
// over the bus (cluster/remote_session.ts). Both are made by a SessionFactory: the session
// manager alone, or the cluster's placement.
import type { ErrorCode, IceMsg, MaskMode, MaskOptions, Resolution, StatsMsg } from '../../../shared/protocol.js';
import type { SessionManager } from '../media/session_manager.js';

export interface SessionPort {
  readonly id: string;
  readonly closed: boolean;
  /** the offer is answered: the stylized stream exists (it can be published) */
  readonly streaming: boolean;
  handleOffer(sdp: string): Promise<string>;
  addIce(c: IceMsg): Promise<void>;
  setStyle(fg: string, bg: string, transitionMs: number): Promise<void>;
  setOptions(o: { maskMode?: MaskMode; showMask?: boolean }, transitionMs: number): Promise<MaskOptions>;
  /** the last second's figures, asked for once a second (a local session) */
  snapshot(): StatsMsg;
  /** a remote session pushes its figures instead (each second, as its node sends them) */
  onStats?(fn: (m: StatsMsg) => void): void;
  /** pause (false) or resume (true) the return leg while the publisher watches itself through the SFU */
  setReturnVideo(on: boolean): void;
  close(reason: string): void;
  on(event: 'ice', fn: (c: IceMsg) => void): unknown;
  once(event: 'closed', fn: (reason: string) => void): unknown;
}

export interface SessionRequest {
  fg: string;
  bg: string;
  echo: boolean;
  resolution?: Resolution;
  /** the socket it is for (logs) */
  socket: string;
}

export interface SessionFactory {
  create(r: SessionRequest): Promise<SessionPort>;
}

/** A failure to report to the client as it is (a remote node's answer, a lost node). */
export class PortError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Sessions of this process only (no cluster). */
export class LocalSessions implements SessionFactory {
  constructor(private readonly manager: SessionManager) {}

  create(r: SessionRequest): Promise<SessionPort> {
    return this.manager.create(r.fg, r.bg, r.echo, r.resolution);
  }
}
