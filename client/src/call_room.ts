// Call rooms: join a room by name, publish your stylized stream into it, and watch everyone
// else's in a grid (each participant keeps their own looks: the server stylizes each of them
// for themselves). Joining needs a publish token: from the invite link (?room=…&token=…), or
// minted by the server for a page on the server's own machine. "Copy OBS link" mints a
// viewer token with the publish token and copies /obs/<room>?token=…&participant=<you>.
import { RoomViewer } from './room_viewer';
import { call, type RestyleSocket } from './socket_link';

export interface CallRoomElements {
  name: HTMLInputElement;
  join: HTMLButtonElement;
  obs: HTMLButtonElement;
  invite: HTMLButtonElement;
  grid: HTMLElement;
}

export interface RoomState {
  room: string | null;
  me: string | null;
  participants: string[];
  tiles: Record<string, number>;
}

interface Tile {
  viewer: RoomViewer;
  el: HTMLElement;
  video: HTMLVideoElement;
  frames: number;
}

async function mintToken(room: string, role: 'view' | 'publish', auth?: string): Promise<string> {
  const r = await fetch(`/api/rooms/${encodeURIComponent(room)}/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: `Bearer ${auth}` } : {}) },
    body: JSON.stringify({ role }),
  });
  const j = (await r.json().catch(() => ({}))) as { token?: string; message?: string };
  if (!r.ok || !j.token) throw new Error(j.message ?? `token request failed (${r.status})`);
  return j.token;
}

export class CallRoom {
  readonly state: RoomState = { room: null, me: null, participants: [], tiles: {} };
  private token: string | null = null;
  private readonly tiles = new Map<string, Tile>();

  constructor(
    private readonly socket: RestyleSocket,
    private readonly el: CallRoomElements,
    /** publishes into `room` (as `name`, or a name the server picks); resolves with the name */
    private readonly publish: (room: string, token: string, name?: string) => Promise<string>,
    private readonly say: (text: string, isError?: boolean) => void,
    private readonly left: () => void = () => {},
  ) {
    el.join.addEventListener('click', () => {
      void (this.state.room ? this.leave() : this.join(el.name.value.trim()));
    });
    el.obs.addEventListener('click', () => {
      void this.copyObsLink();
    });
    el.invite.addEventListener('click', () => {
      void this.copy(this.inviteLink(), 'Invite link copied');
    });
    socket.on('roomChanged', (m) => {
      if (m.room === this.state.room) this.sync(m.participants);
    });
    this.render();
  }

  /**
   * Joins `room` (with the invite's token, or one minted here) and publishes into it; false
   * when that failed (said in the status line unless `quiet`).
   */
  async join(room: string, token?: string | null, quiet = false): Promise<boolean> {
    if (!room) {
      this.say('Type a room name first', true);
      return false;
    }
    try {
      const t =
        token ??
        (this.state.room === room ? this.token : null) ??
        (await mintToken(room, 'publish').catch((e: Error) => {
          throw new Error(`${e.message} — ask the room's host for an invite link`);
        }));
      // publishing again (a reconnect, maybe to another server): under the same name, so
      // OBS links that name this participant keep working
      this.state.me = await this.publish(room, t, (this.state.room === room && this.state.me) || undefined);
      this.token = t;
      this.state.room = room;
      const ack = await call(this.socket, 'room', { room, token: t });
      if (!ack.ok || !ack.data) throw new Error(ack.error?.message ?? 'room list failed');
      this.sync(ack.data.participants);
      this.say(`In room “${room}” as ${this.state.me}`);
      this.render();
      return true;
    } catch (e) {
      if (!quiet) this.say(`Could not join: ${(e as Error).message}`, true);
      this.render();
      return false;
    }
  }

  /**
   * After the session restarted (reconnect), publish again into the same room; a few tries,
   * 2 s apart: the previous publication may still be leaving (its server just went away).
   */
  rejoin(): void {
    const room = this.state.room,
      token = this.token;
    if (!room || !token) return;
    const attempt = async (left: number): Promise<void> => {
      if (this.state.room !== room || (await this.join(room, token, left > 0)) || left <= 0) return;
      setTimeout(() => void attempt(left - 1), 2000);
    };
    void attempt(4);
  }

  async leave(): Promise<void> {
    this.socket.emit('unpublish', {});
    this.left();
    for (const name of [...this.tiles.keys()]) this.drop(name);
    this.state.room = null;
    this.state.me = null;
    this.state.participants = [];
    this.token = null;
    this.render();
  }

  inviteLink(): string {
    const u = new URL(location.href);
    if (this.state.room && this.token) {
      u.searchParams.set('room', this.state.room);
      u.searchParams.set('token', this.token);
    }
    return u.href;
  }

  private async copyObsLink(): Promise<void> {
    if (!this.state.room || !this.token || !this.state.me) return;
    try {
      const view = await mintToken(this.state.room, 'view', this.token);
      const u = new URL(`/obs/${encodeURIComponent(this.state.room)}`, location.href);
      u.searchParams.set('token', view);
      u.searchParams.set('participant', this.state.me);
      await this.copy(u.href, 'OBS link copied (add ?bg=transparent for a transparent background)');
    } catch (e) {
      this.say(`No OBS link: ${(e as Error).message}`, true);
    }
  }

  private async copy(text: string, done: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.say(done);
    } catch {
      window.prompt('Copy this link', text);
    }
  }

  private sync(participants: string[]): void {
    this.state.participants = participants;
    const others = participants.filter((p) => p !== this.state.me);
    for (const name of [...this.tiles.keys()]) if (!others.includes(name)) this.drop(name);
    for (const name of others) if (!this.tiles.has(name)) this.add(name);
    this.render();
  }

  private add(name: string): void {
    const el = document.createElement('figure');
    el.className = 'tile';
    const video = document.createElement('video');
    video.autoplay = true;
    video.muted = true;
    video.playsInline = true;
    const cap = document.createElement('figcaption');
    cap.textContent = name;
    el.append(video, cap);
    this.el.grid.append(el);
    const tile: Tile = {
      el,
      video,
      frames: 0,
      viewer: new RoomViewer(this.socket, this.state.room!, this.token!, name, {
        state: (s, detail) => {
          el.dataset.state = s;
          cap.textContent = s === 'live' ? name : `${name} — ${detail}`;
        },
        stream: (s) => {
          video.srcObject = s;
          if (s) void video.play().catch(() => {});
        },
      }),
    };
    const count = () => {
      tile.frames++;
      this.state.tiles[name] = tile.frames;
      if (this.tiles.get(name) === tile) video.requestVideoFrameCallback(count);
    };
    video.requestVideoFrameCallback(count);
    this.tiles.set(name, tile);
    tile.viewer.start();
  }

  private drop(name: string): void {
    const t = this.tiles.get(name);
    if (!t) return;
    this.tiles.delete(name);
    delete this.state.tiles[name];
    t.viewer.stop();
    t.el.remove();
  }

  private render(): void {
    const inRoom = !!this.state.room;
    this.el.join.textContent = inRoom ? 'Leave' : 'Join';
    this.el.name.disabled = inRoom;
    this.el.obs.disabled = !inRoom;
    this.el.invite.disabled = !inRoom;
    this.el.grid.hidden = !this.tiles.size;
  }
}
