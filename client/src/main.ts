// Restyle page: wires the camera, the galleries, the live session, the HUD and the status
// line together, and keeps window.__restyle (test_hooks.ts) current.
import './style.css';
import { MASK_MODES, type MaskOptions, type StyleInfo } from '../../shared/protocol';
import { fetchStyles } from './api';
import { CameraError, CameraPickers } from './camera';
import { FrameMeter } from './frame_meter';
import { CallRoom } from './call_room';
import { Galleries } from './gallery';
import { Hud } from './hud';
import { LookControls } from './look_options';
import { MediaInput, Superseded } from './media_input';
import { initialStyles, readParams, writeParams } from './params';
import { Signalling } from './signalling';
import { StampReader } from './stamp_source';
import { StatusLine } from './status_line';
import { hooks, recordError, recordLatency } from './test_hooks';
import { SelfView } from './self_view';
import { bindTransition, ui } from './ui';
import { WebrtcStats } from './webrtc_stats';

const params = readParams();
const status = new StatusLine(ui.status);
const media = new MediaInput(params.source);
const meter = new FrameMeter(ui.remote);
const webrtc = new WebrtcStats();
const hud = new Hud(ui.hud, ui.hudButton, params.hud, (on) => ui.hint.classList.toggle('hidden', on));
const pickers = new CameraPickers(ui.camera, ui.resolution, params.res, () => { void reopenMedia(); });
if (params.source === 'stamp') pickers.useTestPattern();

let styles: StyleInfo[] = [];
let selected = { fg: '', bg: '' };
let options: MaskOptions = { maskMode: params.maskMode, showMask: params.showMask };
hooks.options = { ...options };
let running = false;
const transition = bindTransition(params.transitionMs, () => remember());
const looks = new LookControls(ui.maskMode, ui.maskToggle, options, (o) => {
  applyOptions(o).catch(() => { /* shown in the status line */ });
});

/** the session's return leg; while the page publishes into a room it shows its SFU stream instead */
let returnStream: MediaStream | null = null;
function showRemote(s: MediaStream | null): void {
  if (ui.remote.srcObject === s) return;
  ui.remote.srcObject = s;
  meter.resetSource();
  ui.remoteWrap.classList.toggle('has-video', !!s);
}
let selfView: SelfView | undefined;

const signalling = new Signalling(
  { track: () => media.track, styles: () => selected, options: () => options, resolution: () => pickers.resolution, echo: params.echo },
  {
    state: (s, text) => { status.set(s, text); if (s === 'live') onLive(); },
    remoteStream: (s) => {
      returnStream = s;
      if (!selfView?.active) showRemote(s);
    },
    stats: (m) => { hooks.lastStats = m; hud.showServer(m); },
    styleApplied: (m) => { hooks.lastStyleApplied = { ...m }; },
    stylesChanged: () => { void loadStyles(); },
    error: (e, flash) => {
      recordError(e);
      if (flash) status.flash(e.message);
      if (e.code === 'unknown_style' && e.event === 'start') void loadStyles().then((changed) => { if (changed) signalling.restart(); });
    },
    socketRtt: (ms) => { hooks.socketRttMs = Math.round(ms * 10) / 10; },
  },
);

const galleries = new Galleries({
  fgEl: ui.galleryFg,
  bgEl: ui.galleryBg,
  uploadInput: ui.upload,
  onPick: (layer, id) => {
    const next = { ...selected, [layer]: id };
    applyStyle(next.fg, next.bg, transition.value).catch(() => { /* shown in the status line */ });
  },
  onUploadStart: (name) => status.flash(`Uploading “${name}”…`, 60_000),
  onUploaded: (s) => {
    if (!styles.some((x) => x.id === s.id)) setStyles([...styles, s]);
    status.flash(`Added style “${s.name}”`, 3000);
  },
  onUploadError: (e) => {
    recordError({ code: e.code, message: e.message, event: 'upload' });
    status.flash(`Upload failed: ${e.message}`);
  },
});

function remember(): void {
  if (selected.fg) writeParams({ ...selected, res: pickers.resolution, transitionMs: transition.value, ...options });
}

function select(sel: { fg: string; bg: string }): void {
  selected = { ...sel };
  hooks.selected = { ...sel };
  galleries.select(sel);
  remember();
}

function setStyles(list: StyleInfo[]): void {
  styles = list;
  hooks.styles = list.map((s) => ({ ...s }));
  galleries.render(list);
}

/** Fetches the style list (retrying until the server answers); true when the selection had to change. */
async function loadStyles(): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      setStyles(await fetchStyles());
      break;
    } catch (e) {
      if (attempt === 0) recordError({ code: 'styles', message: e instanceof Error ? e.message : String(e), event: 'styles' });
      if (!selected.fg) status.set('connecting', 'Connecting… (server unreachable, retrying)');
      await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * 2 ** attempt)));
    }
  }
  const want = selected.fg ? selected : { fg: params.fg, bg: params.bg };
  const sel = initialStyles(styles, want);
  const changed = sel.fg !== selected.fg || sel.bg !== selected.bg;
  select(sel);
  if (changed && selected.fg && hooks.sessionId) void signalling.setStyle(sel.fg, sel.bg, 0);
  return changed;
}

async function applyStyle(fg: string, bg: string, transitionMs: number): Promise<void> {
  const known = (id: string): boolean => styles.some((s) => s.id === id);
  if (!known(fg) || !known(bg)) {
    const msg = `unknown style "${known(fg) ? bg : fg}"`;
    recordError({ code: 'unknown_style', message: msg, event: 'setStyle' });
    status.flash(`Style not applied: ${msg}`);
    throw new Error(msg);
  }
  const prev = selected;
  select({ fg, bg });
  const r = await signalling.setStyle(fg, bg, transitionMs);
  if (r.ok) return;
  const err = r.error ?? { code: 'internal' as const, message: 'setStyle failed' };
  recordError(err);
  status.flash(`Style not applied: ${err.message}`);
  // keep the choice when the session just is not there (it applies at the next start)
  if (err.code === 'unknown_style' || err.code === 'bad_request') select(prev);
  throw new Error(err.message);
}

function showOptions(o: MaskOptions): void {
  options = { ...o };
  hooks.options = { ...o };
  looks.show(o);
  remember();
}

/** Mask mode / mask view from the controls or window.__restyle; a live session gets them now, a new one at its start. */
async function applyOptions(o: Partial<MaskOptions>): Promise<void> {
  const next: MaskOptions = { maskMode: o.maskMode ?? options.maskMode, showMask: o.showMask ?? options.showMask };
  const invalid = !(MASK_MODES as readonly string[]).includes(next.maskMode) ? `unknown mask mode "${String(next.maskMode)}"`
    : typeof next.showMask !== 'boolean' ? 'showMask must be true or false' : null;
  if (invalid) {
    recordError({ code: 'bad_request', message: invalid, event: 'setOptions' });
    status.flash(`Look not applied: ${invalid}`);
    throw new Error(invalid);
  }
  const prev = options;
  showOptions(next);
  const r = await signalling.setOptions({ ...next, transitionMs: transition.value });
  if (r.ok) return;
  const err = r.error ?? { code: 'internal' as const, message: 'setOptions failed' };
  recordError(err);
  status.flash(`Look not applied: ${err.message}`);
  // keep the choice when the session just is not there (it applies at the next start)
  if (err.code === 'bad_request') showOptions(prev);
  throw new Error(err.message);
}

function showRunning(on: boolean): void {
  running = on;
  ui.startStop.textContent = on ? 'Stop' : 'Start';
  ui.startStop.classList.toggle('primary', !on);
}

function cameraFailed(e: unknown): void {
  signalling.end();
  showRunning(false);
  ui.local.srcObject = null;
  if (e instanceof CameraError) {
    recordError({ code: 'camera', message: e.message, event: e.kind });
    if (e.kind === 'denied') status.set('camera-denied');
    else if (e.kind === 'not-found') status.set('no-camera');
    else status.set('error', `Camera error: ${e.message}`);
  } else {
    recordError({ code: 'camera', message: String(e) });
    status.set('error', `Could not start the video source: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Opens the camera (or the stamp source) and shows it; false when it failed. */
async function openMedia(): Promise<boolean> {
  status.set('starting', params.source === 'stamp' ? 'Starting test pattern…' : undefined);
  try {
    const stream = await media.open(pickers.deviceId, pickers.resolution);
    ui.local.srcObject = stream;
  } catch (e) {
    if (!(e instanceof Superseded)) cameraFailed(e);
    return false;
  }
  if (params.source === 'stamp') {
    const reader = new StampReader(pickers.resolution, (ms) => recordLatency(ms));
    meter.setListener((_now, video) => { reader.read(video); });
  } else {
    await pickers.refresh(media.track);
  }
  return true;
}

async function start(): Promise<void> {
  showRunning(true);
  if (await openMedia()) signalling.begin();
}

function stop(): void {
  showRunning(false);
  signalling.end();
  media.close();
  ui.local.srcObject = null;
  meter.setListener(null);
}

/** The camera or resolution changed: restart the camera and the session. */
async function reopenMedia(): Promise<void> {
  remember();
  if (!running) return;
  if (await openMedia()) signalling.begin();
}

ui.startStop.addEventListener('click', () => { if (running) stop(); else void start(); });

hooks.start = () => { if (!running) void start(); };
hooks.stop = () => stop();
hooks.setStyle = (fg, bg, transitionMs) => applyStyle(fg, bg, transitionMs ?? transition.value);
hooks.setOptions = (o) => applyOptions(o ?? {});

// call rooms: ?room=…&token=… (an invite link) joins once the session is live
const callRoom = new CallRoom(signalling.socket,
  { name: ui.roomName, join: ui.roomJoin, obs: ui.roomObs, invite: ui.roomInvite, grid: ui.roomGrid },
  (room, token) => hooks.publish(room, token),
  (text, isError) => { if (isError) recordError({ code: 'room', message: text, event: 'room' }); status.flash(text, isError ? 8000 : 3000); },
  () => selfView?.stop());
selfView = new SelfView(signalling.socket, (s) => showRemote(s ?? returnStream));
hooks.room = callRoom.state;
hooks.joinRoom = (room, token) => callRoom.join(room, token);
const invite = new URLSearchParams(location.search);
let wasLive = false;
function onLive(): void {
  if (!wasLive && invite.get('room')) { ui.roomName.value = invite.get('room') ?? ''; void callRoom.join(invite.get('room') ?? '', invite.get('token')); }
  else if (wasLive) callRoom.rejoin();
  wasLive = true;
}
hooks.publish = async (room, token, name, alpha) => {
  const r = await signalling.publish({ room, token, ...(name ? { name } : {}), ...(alpha ? { alpha } : {}) });
  if (!r.ok || !r.data) {
    const err = r.error ?? { code: 'internal' as const, message: 'publish failed' };
    recordError({ code: err.code, message: err.message, event: 'publish' });
    throw new Error(err.message);
  }
  // a colour stream: watch it through the SFU (the server's return leg pauses meanwhile)
  if (alpha) selfView?.stop(); else selfView?.start(room, token, r.data.name);
  return r.data.name;
};

function recentMedian(xs: number[], n: number): number | null {
  if (!xs.length) return null;
  const tail = xs.slice(-n).sort((a, b) => a - b);
  return tail[tail.length >> 1];
}

// client-side measurements, once a second
window.setInterval(async () => {
  const w = await webrtc.sample(signalling.peerConnection);
  hooks.webrtcRttMs = w.rttMs;
  hooks.jitterBufferMs = w.jitterBufferMs;
  if (!hud.visible) return;
  hud.showClient({
    remoteFps: hooks.remoteFps, socketRttMs: hooks.socketRttMs, webrtc: w,
    videoWidth: ui.remote.videoWidth, videoHeight: ui.remote.videoHeight, stampMs: recentMedian(hooks.latencies, 60),
  });
  if (!hooks.sessionId) hud.showServer(null);
}, 1000);

meter.start();
showRunning(false);
status.set(params.autostart ? 'starting' : 'stopped', 'Loading styles…');
void loadStyles().then(() => {
  if (params.autostart) void start();
  else status.set('stopped');
});
