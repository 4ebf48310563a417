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

interface ObsHooks { state: ViewerState; detail: string; participant: string | null; framesPresented: number; remoteFps: number; alpha: boolean }
declare global { interface Window { __obs: ObsHooks } }

const hooks: ObsHooks = { state: 'connecting', detail: '', participant: null, framesPresented: 0, remoteFps: 0, alpha: false };
window.__obs = hooks;

const room = decodeURIComponent(location.pathname.split('/')[2] ?? '');
const q = new URLSearchParams(location.search);
const video = document.querySelector('#video') as HTMLVideoElement;
const note = document.querySelector('#note') as HTMLElement;
const canvas = document.querySelector('#canvas') as HTMLCanvasElement;
const transparent = q.get('bg') === 'transparent';
let painter: AlphaCanvas | null = null;
if (q.get('fit') === 'cover') document.body.classList.add('cover');

const token = q.get('token');
if (!token) {
  hooks.state = 'unauthorized';
  note.textContent = 'Add ?token=… to the address (a viewer token for this room)';
} else {
  const socket: RestyleSocket = io({ transports: ['websocket'] });
  const viewer = new RoomViewer(socket, room, token, q.get('participant'), {
    state: (s, detail) => {
      hooks.state = s; hooks.detail = detail; hooks.participant = viewer.participant;
      note.textContent = s === 'live' ? '' : s === 'waiting' ? `Waiting for someone to publish in "${room}"…` : detail;
    },
    stream: (s, alpha) => {
      video.srcObject = s;
      hooks.alpha = alpha;
      // a packed stream is painted by WebGL; the video element stays as its (hidden) source
      video.classList.toggle('source', alpha);
      canvas.classList.toggle('hidden', !alpha);
      if (alpha && !painter) { painter = new AlphaCanvas(canvas, video, transparent); painter.start(); }
      if (s) void video.play().catch(() => {});
    },
  });
  viewer.start();
}

// presented frames, for tests and the page's own health
let lastCount = 0;
const onFrame = () => { hooks.framesPresented++; video.requestVideoFrameCallback(onFrame); };
video.requestVideoFrameCallback(onFrame);
setInterval(() => { hooks.remoteFps = hooks.framesPresented - lastCount; lastCount = hooks.framesPresented; }, 1000);
