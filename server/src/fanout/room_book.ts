// The bookkeeping both SFUs share: rooms of publishers, each publisher's viewers, viewer
// ids, lookups with their errors, the census, and the order of release (a publisher leaving
// drops its viewers first; a dropped viewer is released, then told why). Each SFU adds only
// how it forwards media and how it frees a viewer's or a publisher's transport.
import { FanoutError, type FanoutCensus, type ViewerSignal } from './fanout.js';

export interface BookViewer {
  id: string;
  room: string;
  publisher: string;
  signal: ViewerSignal;
}
export interface BookPublisher<V> {
  id: string;
  alpha: boolean;
  viewers: Set<V>;
}

export abstract class RoomBook<P extends BookPublisher<V>, V extends BookViewer> {
  protected readonly rooms = new Map<string, Map<string, P>>();
  protected readonly viewers = new Map<string, V>();
  private nextId = 1;

  /** Frees what a dropped viewer holds (its peer or transport). */
  protected abstract releaseViewer(v: V): void;
  /** Frees what an unpublished publisher holds (after its viewers are dropped). */
  protected releasePublisher(_p: P): void {}

  /** Puts `p` into `room`, replacing an earlier publication of the same id. */
  protected addPublisher(room: string, p: P): void {
    this.unpublish(room, p.id);
    let r = this.rooms.get(room);
    if (!r) {
      r = new Map();
      this.rooms.set(room, r);
    }
    r.set(p.id, p);
  }

  /** True while `p` is still the publication of its id in `room`. */
  protected isCurrent(room: string, p: P): boolean {
    return this.rooms.get(room)?.get(p.id) === p;
  }

  unpublish(room: string, publisherId: string): void {
    const r = this.rooms.get(room),
      p = r?.get(publisherId);
    if (!r || !p) return;
    for (const v of [...p.viewers]) this.drop(v, 'publisher left');
    this.releasePublisher(p);
    r.delete(publisherId);
    if (!r.size) this.rooms.delete(room);
  }

  /** Publishers in a room (ids). */
  publishers(room: string): string[] {
    return [...(this.rooms.get(room)?.keys() ?? [])];
  }

  viewersOf(room: string, publisherId: string): number {
    return this.rooms.get(room)?.get(publisherId)?.viewers.size ?? 0;
  }

  viewerCount(room: string): number {
    let n = 0;
    for (const p of this.rooms.get(room)?.values() ?? []) n += p.viewers.size;
    return n;
  }

  protected publisher(room: string, publisherId: string): P {
    const p = this.rooms.get(room)?.get(publisherId);
    if (!p) throw new FanoutError('no_publisher', `nobody publishes "${publisherId}" in room "${room}"`);
    return p;
  }

  protected newViewerId(): string {
    return `v${this.nextId++}`;
  }

  protected addViewer(p: P, v: V): void {
    p.viewers.add(v);
    this.viewers.set(v.id, v);
  }

  leave(viewerId: string): void {
    const v = this.viewers.get(viewerId);
    if (v) this.drop(v, 'left');
  }

  census(): FanoutCensus {
    let publishers = 0;
    for (const r of this.rooms.values()) publishers += r.size;
    return { rooms: this.rooms.size, publishers, viewers: this.viewers.size };
  }

  protected unpublishAll(): void {
    for (const [room, r] of [...this.rooms]) for (const id of [...r.keys()]) this.unpublish(room, id);
  }

  protected need(viewerId: string): V {
    const v = this.viewers.get(viewerId);
    if (!v) throw new FanoutError('no_viewer', `no viewer ${viewerId}`);
    return v;
  }

  protected drop(v: V, reason: string): void {
    if (!this.viewers.delete(v.id)) return;
    this.rooms.get(v.room)?.get(v.publisher)?.viewers.delete(v);
    this.releaseViewer(v);
    v.signal.closed(reason);
  }
}
