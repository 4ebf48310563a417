// The room side of one socket connection: publishing its session into a room, listing a
// room's participants, and watching participants through the SFU (each watch is one viewer
// peer, signalled over this socket). Every request carries a room token; the viewers this
// connection opened are released with it. The rooms themselves are a RoomService: this
// process's SFU, or in a cluster rooms that span nodes (the token is checked here, on the
// node that holds the socket, before anything crosses the bus).
import type {
  PublishAck,
  PublishMsg,
  RoomAck,
  RoomMsg,
  SelfViewMsg,
  UnviewMsg,
  ViewAck,
  ViewAnswerMsg,
  ViewIceMsg,
  ViewMsg,
} from '../../../shared/protocol.js';
import { FanoutError } from '../fanout/fanout.js';
import { TokenError, type RoomRole, type RoomTokens } from '../fanout/room_tokens.js';
import type { RestyleSocket } from './restyle_socket.js';
import type { RoomService } from './room_service.js';
import type { SessionPort } from './session_port.js';

export class RoomError extends Error {
  constructor(
    readonly code: 'unauthorized' | 'no_publisher' | 'no_session' | 'bad_request' | 'room_full',
    message: string,
  ) {
    super(message);
  }
}

export interface RoomDeps {
  rooms: RoomService;
  tokens: RoomTokens;
  maxViewersPerRoom: number;
  /** ICE servers for one viewer (TURN credentials minted for it) */
  iceServers: (clientId: string) => ViewAck['iceServers'];
}

const channel = (room: string) => `room:${room}`;

export class RoomControl {
  /** this connection's viewers: id -> what each watches */
  private readonly viewers = new Map<string, { room: string; participant: string }>();
  private published: { room: string; name: string; session: SessionPort; alpha: boolean } | null = null;
  /** this connection's viewer of its own published stream (its self view) */
  private selfViewer: string | null = null;

  constructor(
    private readonly socket: RestyleSocket,
    private readonly d: RoomDeps,
  ) {}

  private check(token: string, room: string, role: RoomRole): void {
    try {
      this.d.tokens.verify(token, room, role);
    } catch (e) {
      if (e instanceof TokenError) throw new RoomError('unauthorized', e.message);
      throw e;
    }
  }

  /** Tells the room's sockets (on every node, through the socket.io adapter) who publishes now. */
  private async announce(room: string): Promise<void> {
    const participants = await this.d.rooms.participants(room);
    this.socket.nsp.to(channel(room)).emit('roomChanged', { room, participants });
  }

  async publish(m: PublishMsg, session: SessionPort | null): Promise<PublishAck> {
    this.check(m.token, m.room, 'publish');
    if (!session || session.closed) throw new RoomError('no_session', 'start a session before publishing it');
    if (!session.streaming) throw new RoomError('no_session', 'the session is not streaming yet: send the offer first');
    const name = m.name ?? `guest-${session.id.slice(0, 6)}`;
    const taken =
      (await this.d.rooms.participants(m.room)).includes(name) &&
      !(this.published?.room === m.room && this.published.name === name);
    if (taken) throw new RoomError('bad_request', `"${name}" already publishes in room "${m.room}"`);
    this.unpublish();
    await this.d.rooms.publish(m.room, name, session, m.alpha ?? false);
    this.published = { room: m.room, name, session, alpha: m.alpha ?? false };
    session.once('closed', () => {
      if (this.published?.name === name) this.unpublish();
    });
    void this.announce(m.room).catch(() => {});
    return { room: m.room, name };
  }

  unpublish(): void {
    const p = this.published;
    if (!p) return;
    this.published = null;
    this.endSelfView(p.session);
    void this.d.rooms
      .unpublish(p.room, p.name, p.session)
      .catch(() => {})
      .then(() => this.announce(p.room))
      .catch(() => {});
  }

  async room(m: RoomMsg): Promise<RoomAck> {
    this.check(m.token, m.room, 'view');
    await this.socket.join(channel(m.room));
    return { room: m.room, participants: await this.d.rooms.participants(m.room) };
  }

  async view(m: ViewMsg): Promise<ViewAck> {
    this.check(m.token, m.room, 'view');
    const participant = m.participant ?? (await this.d.rooms.participants(m.room))[0];
    if (!participant) throw new RoomError('no_publisher', `nobody publishes in room "${m.room}" yet`);
    if ((await this.d.rooms.viewerCount(m.room)) >= this.d.maxViewersPerRoom) {
      throw new RoomError('room_full', `room "${m.room}" has ${this.d.maxViewersPerRoom} viewers already (the limit)`);
    }
    await this.socket.join(channel(m.room));
    let id = '';
    try {
      const v = await this.d.rooms.view(m.room, participant, {
        ice: (c) => this.socket.emit('viewIce', { viewerId: id, ...c }),
        closed: (reason) => {
          this.viewers.delete(id);
          if (id === this.selfViewer) this.endSelfView(this.published?.session);
          this.socket.emit('viewClosed', { viewerId: id, reason });
        },
      });
      id = v.viewerId;
      this.viewers.set(id, { room: m.room, participant });
      return {
        viewerId: id,
        participant,
        offer: v.offer,
        alpha: v.alpha,
        iceServers: this.d.iceServers(`${this.socket.id}-${id}`),
      };
    } catch (e) {
      if (e instanceof FanoutError && e.code === 'no_publisher') throw new RoomError('no_publisher', e.message);
      throw e;
    }
  }

  async answer(m: ViewAnswerMsg): Promise<void> {
    this.own(m.viewerId);
    try {
      await this.d.rooms.answer(m.viewerId, m.sdp);
    } catch (e) {
      if (e instanceof FanoutError) throw new RoomError('bad_request', e.message);
      throw e;
    }
  }

  async ice(m: ViewIceMsg): Promise<void> {
    this.own(m.viewerId);
    if (!m.candidate) return;
    await this.d.rooms.addIce(m.viewerId, m).catch((e: unknown) => {
      throw new RoomError('bad_request', `candidate rejected: ${(e as Error).message}`);
    });
  }

  unview(m: UnviewMsg): void {
    this.own(m.viewerId);
    this.d.rooms.leave(m.viewerId);
  }

  /**
   * The page shows its own colour stream through viewer `m.viewerId` (frames arrive): the
   * session's return leg pauses until that viewer ends (or the publication does).
   */
  selfView(m: SelfViewMsg): void {
    this.own(m.viewerId);
    const v = this.viewers.get(m.viewerId)!,
      pub = this.published;
    if (!pub || pub.room !== v.room || pub.name !== v.participant)
      throw new RoomError('bad_request', `viewer ${m.viewerId} does not watch this connection's own stream`);
    if (pub.alpha || pub.session.closed) return; // a packed stream is no picture to show
    this.selfViewer = m.viewerId;
    pub.session.setReturnVideo(false);
  }

  private endSelfView(session: SessionPort | undefined): void {
    if (!this.selfViewer) return;
    this.selfViewer = null;
    session?.setReturnVideo(true);
  }

  /** The connection ended: its viewers go, and its published stream leaves the room. */
  close(): void {
    for (const id of [...this.viewers.keys()]) this.d.rooms.leave(id);
    this.viewers.clear();
    this.unpublish();
  }

  private own(viewerId: string): void {
    if (!this.viewers.has(viewerId)) throw new RoomError('bad_request', `no viewer ${viewerId} on this connection`);
  }
}
