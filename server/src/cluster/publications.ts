// Publishing a session of this node into a room, in a cluster: its uplink into this node's SFU
// (one encode) and its entry in the room directory, so viewers on any node find it here.
// Used for sessions of this node's sockets and for the ones it runs for other nodes' sockets.
import type { Logger } from 'pino';
import type { Fanout } from '../fanout/fanout.js';
import type { Session } from '../media/session.js';
import type { RoomDirectory } from './room_directory.js';

export class Publications {
  constructor(
    private readonly fanout: Fanout,
    private readonly directory: RoomDirectory,
    private readonly self: string,
    private readonly log: Logger,
  ) {}

  async publish(session: Session, room: string, name: string, alpha: boolean): Promise<void> {
    const uplink = await session.uplink(alpha);
    this.fanout.publish(room, name, uplink, alpha);
    // with Redis away the publication still serves this node's viewers; written again when it is back
    await this.directory
      .add(room, name, { node: this.self, alpha, sid: session.id })
      .catch((e: unknown) => this.log.warn({ room, err: (e as Error).message }, 'room entry not written'));
  }

  async unpublish(room: string, name: string): Promise<void> {
    this.fanout.unpublish(room, name);
    await this.directory.remove(room, name, this.self).catch(() => {});
  }
}
