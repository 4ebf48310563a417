// What the room side of a socket connection (room_control.ts) needs: who publishes in a room,
// publishing a session's stream, and viewers through the SFU. Alone, that is this process's
// SFU (LocalRooms below); in a cluster, rooms span nodes (cluster/cluster_rooms.ts: the room
// directory in Redis, publications on the node that stylizes, viewers on their socket's node
// fed through pipes).
import type { Fanout, IceCandidate, ViewerSignal } from '../fanout/fanout.js';
import { Session } from '../media/session.js';
import type { SessionPort } from './session_port.js';
import { PortError } from './session_port.js';

/** The viewer side (view, answer, addIce, leave) is the fanout's, whatever node the publisher is on. */
export interface RoomService extends Pick<Fanout, 'view' | 'answer' | 'addIce' | 'leave'> {
  /** participants (publisher names) of a room */
  participants(room: string): Promise<string[]>;
  publish(room: string, name: string, session: SessionPort, alpha: boolean): Promise<void>;
  unpublish(room: string, name: string, session: SessionPort): Promise<void>;
  /** viewers of all publishers in a room */
  viewerCount(room: string): Promise<number>;
}

/** The local session behind a port, or an error: only it has an uplink to publish. */
export function localSession(s: SessionPort): Session {
  if (!(s instanceof Session)) throw new PortError('internal', 'this session runs on another node');
  return s;
}

/** Rooms of one process: its own SFU. */
export class LocalRooms implements RoomService {
  constructor(private readonly fanout: Fanout) {}

  async participants(room: string): Promise<string[]> {
    return this.fanout.publishers(room);
  }

  async publish(room: string, name: string, session: SessionPort, alpha: boolean): Promise<void> {
    const uplink = await localSession(session).uplink(alpha);
    this.fanout.publish(room, name, uplink, alpha);
  }

  async unpublish(room: string, name: string): Promise<void> {
    this.fanout.unpublish(room, name);
  }

  async viewerCount(room: string): Promise<number> {
    return this.fanout.viewerCount(room);
  }

  view(room: string, participant: string, signal: ViewerSignal) {
    return this.fanout.view(room, participant, signal);
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
