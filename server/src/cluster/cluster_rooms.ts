// Rooms that span nodes (RoomService for a cluster): who publishes where comes from the room
// directory in Redis; a session publishes on the node that stylizes it (its uplink: one
// encode); a viewer is served by the node that holds its socket, from the publisher's stream
// piped there when it is published elsewhere. With Redis away, a node keeps serving what it
// knows: its own publishers and the mirrors it already has.
import { FanoutError, type Fanout, type IceCandidate, type ViewerSignal } from '../fanout/fanout.js';
import { localSession, type RoomService } from '../control/room_service.js';
import type { SessionPort } from '../control/session_port.js';
import type { NodeBus } from './node_bus.js';
import type { PipeLinks } from './pipe_links.js';
import type { Publications } from './publications.js';
import { portError, RemoteSession } from './remote_session.js';
import type { RoomDirectory, RoomEntry } from './room_directory.js';

export class ClusterRooms implements RoomService {
  constructor(
    private readonly fanout: Fanout,
    private readonly directory: RoomDirectory,
    private readonly publications: Publications,
    /** null: this node's SFU (werift) has no pipes; viewers here see only its own publishers */
    private readonly pipes: PipeLinks | null,
    private readonly bus: NodeBus,
  ) {}

  private local(room: string): string[] {
    return [...new Set([...this.directory.hosted(room), ...this.fanout.publishers(room)])];
  }

  async participants(room: string): Promise<string[]> {
    try {
      return [...(await this.directory.entries(room)).keys()];
    } catch {
      return this.local(room);
    }
  }

  async publish(room: string, name: string, session: SessionPort, alpha: boolean): Promise<void> {
    if (session instanceof RemoteSession) {
      await this.bus
        .request(session.node, 'room.publish', { sid: session.id, room, name, alpha })
        .catch((e: unknown) => {
          throw portError(e, session.node);
        });
      return;
    }
    await this.publications.publish(localSession(session), room, name, alpha);
  }

  async unpublish(room: string, name: string, session: SessionPort): Promise<void> {
    if (session instanceof RemoteSession) {
      await this.bus.request(session.node, 'room.unpublish', { sid: session.id }, 3000).catch(() => {});
      // its node may be gone: its entry goes with it
      await this.directory.remove(room, name, session.node).catch(() => {});
      return;
    }
    await this.publications.unpublish(room, name);
  }

  async viewerCount(room: string): Promise<number> {
    try {
      return await this.directory.viewerCount(room);
    } catch {
      return this.fanout.viewerCount(room);
    }
  }

  async view(
    room: string,
    participant: string,
    signal: ViewerSignal,
  ): Promise<{ viewerId: string; offer: string; alpha: boolean }> {
    let entry: RoomEntry | undefined;
    try {
      entry = (await this.directory.entries(room)).get(participant);
    } catch {
      entry = undefined; // Redis away: what this node has
    }
    if (!entry && !this.fanout.publishers(room).includes(participant))
      throw new FanoutError('no_publisher', `nobody publishes "${participant}" in room "${room}"`);
    if (entry && entry.node !== this.bus.self) {
      if (!this.pipes)
        throw new FanoutError(
          'no_publisher',
          `"${participant}" publishes on another node, and this node's SFU has no pipes`,
        );
      await this.pipes.ensure(room, participant, entry.node);
    }
    const v = await this.fanout.view(room, participant, {
      ice: (c) => signal.ice(c),
      closed: (reason) => {
        this.countViewers(room);
        signal.closed(reason);
      },
    });
    this.countViewers(room);
    return v;
  }

  private countViewers(room: string): void {
    void this.directory.setViewers(room, this.fanout.viewerCount(room)).catch(() => {});
  }

  answer(viewerId: string, sdp: string): Promise<void> {
    return this.fanout.answer(viewerId, sdp);
  }

  addIce(viewerId: string, c: IceCandidate) {
    return this.fanout.addIce(viewerId, c);
  }

  leave(viewerId: string): void {
    this.fanout.leave(viewerId);
  }
}
