// The OBS browser-source / viewer page, /obs/:room?token=…[&participant=…][&fit=cover|contain]
// [&bg=transparent]: only the video of one participant's stylized stream, filling the source,
// reconnecting by itself. A participant who publishes with alpha sends the speaker mask beside
// the colour; the page recombines them with WebGL, over a transparent page with
// bg=transparent. A short note shows while it waits (hidden once live). window.__obs: state
// for tests.
import { io } from 'socket.io-client';
import { AlphaCanvas } from './alpha_canvas';
import { RoomViewer, type ViewerState } from './room_viewer';
import type { RestyleSocket } from './socket_link';

interface ObsHooks {
  state: ViewerState;
  detail: string;
  participant: string | null;
  framesPresented: number;
  remoteFps: number;
  alpha: boolean;
}
declare global {
  interface Window {
    __obs: ObsHooks;
  }
}

class ObsPage {
  readonly hooks: ObsHooks = {
    state: 'connecting',
    detail: '',
    participant: null,
    framesPresented: 0,
    remoteFps: 0,
    alpha: false,
  };
  readonly #video = document.querySelector('#video') as HTMLVideoElement;
  readonly #note = document.querySelector('#note') as HTMLElement;
  readonly #canvas = document.querySelector('#canvas') as HTMLCanvasElement;
  /** paints a packed (colour | mask) stream; created by the first one */
  #painter: AlphaCanvas | null = null;
  #lastCount = 0;

  constructor(
    private readonly room: string,
    private readonly q: URLSearchParams,
  ) {
    if (q.get('fit') === 'cover') document.body.classList.add('cover');
  }

  start(): void {
    const token = this.q.get('token');
    if (!token) {
      this.hooks.state = 'unauthorized';
      this.#note.textContent = 'Add ?token=… to the address (a viewer token for this room)';
    } else {
      this.#watch(token);
    }
    // presented frames, for tests and the page's own health
    const onFrame = () => {
      this.hooks.framesPresented++;
      this.#video.requestVideoFrameCallback(onFrame);
    };
    this.#video.requestVideoFrameCallback(onFrame);
    setInterval(() => {
      this.hooks.remoteFps = this.hooks.framesPresented - this.#lastCount;
      this.#lastCount = this.hooks.framesPresented;
    }, 1000);
  }

  #watch(token: string): void {
    const { hooks, room } = this;
    const video = this.#video,
      transparent = this.q.get('bg') === 'transparent';
    const socket: RestyleSocket = io({ transports: ['websocket'] });
    // socket.io reconnects by itself after a lost connection, but not after the server said
    // goodbye: do it too (a restarted server; another node behind the same address)
    socket.on('disconnect', (reason) => {
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
    });
    const viewer = new RoomViewer(socket, room, token, this.q.get('participant'), {
      state: (s, detail) => {
        hooks.state = s;
        hooks.detail = detail;
        hooks.participant = viewer.participant;
        this.#note.textContent =
          s === 'live' ? '' : s === 'waiting' ? `Waiting for someone to publish in "${room}"…` : detail;
      },
      stream: (s, alpha) => {
        video.srcObject = s;
        hooks.alpha = alpha;
        // a packed stream is painted by WebGL; the video element stays as its (hidden) source
        video.classList.toggle('source', alpha);
        this.#canvas.classList.toggle('hidden', !alpha);
        if (alpha && !this.#painter) {
          this.#painter = new AlphaCanvas(this.#canvas, video, transparent);
          this.#painter.start();
        }
        if (s) void video.play().catch(() => {});
      },
    });
    viewer.start();
  }
}

const page = new ObsPage(
  decodeURIComponent(location.pathname.split('/')[2] ?? ''),
  new URLSearchParams(location.search),
);
window.__obs = page.hooks;
page.start();
