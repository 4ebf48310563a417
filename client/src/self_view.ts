// The publisher's own stylized video through the SFU while it publishes into a room. Once
// that stream's first frame is decoded the page shows it and tells the server (`selfView`),
// which pauses the session's return leg (it would encode the same frames a second time), so
// a publisher costs the server one encode in all, whatever the viewers. When the view ends
// (the SFU path failed, the page left the room) the return leg resumes and the page shows it.
import { RoomViewer } from './room_viewer';
import type { RestyleSocket } from './socket_link';

export class SelfView {
  private viewer: RoomViewer | null = null;

  /** `show(s)`: display `s`; null: the return leg's stream again. */
  constructor(
    private readonly socket: RestyleSocket,
    private readonly show: (s: MediaStream | null) => void,
  ) {}

  get active(): boolean {
    return !!this.viewer;
  }

  start(room: string, token: string, me: string): void {
    this.stop();
    const v: RoomViewer = new RoomViewer(this.socket, room, token, me, {
      state: () => {},
      stream: (s) => {
        if (this.viewer !== v) return;
        if (!s) {
          this.show(null);
          return;
        }
        // switch when there is a picture to switch to (no blank frame in between)
        const probe = document.createElement('video');
        probe.muted = true;
        probe.playsInline = true;
        probe.srcObject = s;
        void probe.play().catch(() => {});
        probe.requestVideoFrameCallback(() => {
          probe.srcObject = null;
          if (this.viewer !== v) return;
          this.show(s);
          // frames arrive through the SFU: the server may stop encoding the return leg
          if (v.id) this.socket.emit('selfView', { viewerId: v.id });
        });
      },
    });
    this.viewer = v;
    v.start();
  }

  stop(): void {
    if (!this.viewer) return;
    this.viewer.stop();
    this.viewer = null;
    this.show(null);
  }
}
