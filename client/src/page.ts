// Restyle page: wires the camera, the galleries, the live session, the call room, the HUD and
// the status line together, and keeps window.__restyle (test_hooks.ts) current. One
// RestylePage per page load (main.ts) holds the page's state.
import { MASK_MODES, type MaskOptions, type StyleInfo } from '../../shared/protocol';
import { fetchStyles } from './api';
import { CallRoom } from './call_room';
import { CameraError, CameraPickers } from './camera';
import { FrameMeter } from './frame_meter';
import { Galleries } from './gallery';
import { Hud } from './hud';
import { LookControls } from './look_options';
import { MediaInput, Superseded } from './media_input';
import { initialStyles, readParams, writeParams, type PageParams } from './params';
import { SelfView } from './self_view';
import { Signalling } from './signalling';
import { StampReader } from './stamp_source';
import { StatusLine } from './status_line';
import { hooks, recordError, recordLatency } from './test_hooks';
import { bindTransition, ui } from './ui';
import { WebrtcStats } from './webrtc_stats';

function recentMedian(xs: number[], n: number): number | null {
  if (!xs.length) return null;
  const tail = xs.slice(-n).sort((a, b) => a - b);
  return tail[tail.length >> 1];
}

export class RestylePage {
  readonly #params: PageParams = readParams();
  readonly #status = new StatusLine(ui.status);
  readonly #media = new MediaInput(this.#params.source);
  readonly #meter = new FrameMeter(ui.remote);
  readonly #webrtc = new WebrtcStats();
  readonly #hud = new Hud(ui.hud, ui.hudButton, this.#params.hud, (on) => ui.hint.classList.toggle('hidden', on));
  readonly #pickers = new CameraPickers(ui.camera, ui.resolution, this.#params.res, () => {
    void this.#reopenMedia();
  });
  readonly #transition = bindTransition(this.#params.transitionMs, () => this.#remember());
  readonly #looks: LookControls;
  readonly #signalling: Signalling;
  readonly #galleries: Galleries;
  readonly #callRoom: CallRoom;
  readonly #selfView: SelfView;
  #styles: StyleInfo[] = [];
  #selected = { fg: '', bg: '' };
  #options: MaskOptions = { maskMode: this.#params.maskMode, showMask: this.#params.showMask };
  #running = false;
  /** the session's return leg; while the page publishes into a room it shows its SFU stream instead */
  #returnStream: MediaStream | null = null;
  /** the session went live once already (a later 'live' is a reconnect: rejoin the room) */
  #wasLive = false;

  constructor() {
    if (this.#params.source === 'stamp') this.#pickers.useTestPattern();
    hooks.options = { ...this.#options };
    this.#looks = new LookControls(ui.maskMode, ui.maskToggle, this.#options, (o) => {
      this.#applyOptions(o).catch(() => {
        /* shown in the status line */
      });
    });
    this.#signalling = this.#createSignalling();
    this.#galleries = this.#createGalleries();
    this.#callRoom = new CallRoom(
      this.#signalling.socket,
      { name: ui.roomName, join: ui.roomJoin, obs: ui.roomObs, invite: ui.roomInvite, grid: ui.roomGrid },
      (room, token, name) => hooks.publish(room, token, name),
      (text, isError) => {
        if (isError) recordError({ code: 'room', message: text, event: 'room' });
        this.#status.flash(text, isError ? 8000 : 3000);
      },
      () => this.#selfView.stop(),
    );
    this.#selfView = new SelfView(this.#signalling.socket, (s) => this.#showRemote(s ?? this.#returnStream));
    this.#bindHooks();
    ui.startStop.addEventListener('click', () => {
      if (this.#running) this.#stop();
      else void this.#start();
    });
  }

  /** Starts the page: the frame meter, the style list, then the camera when autostart is on. */
  boot(): void {
    // client-side measurements, once a second
    window.setInterval(() => {
      void this.#sampleClient();
    }, 1000);
    this.#meter.start();
    this.#showRunning(false);
    this.#status.set(this.#params.autostart ? 'starting' : 'stopped', 'Loading styles…');
    void this.#loadStyles().then(() => {
      if (this.#params.autostart) void this.#start();
      else this.#status.set('stopped');
    });
  }

  #createSignalling(): Signalling {
    const signalling: Signalling = new Signalling(
      {
        track: () => this.#media.track,
        styles: () => this.#selected,
        options: () => this.#options,
        resolution: () => this.#pickers.resolution,
        echo: this.#params.echo,
      },
      {
        state: (s, text) => {
          this.#status.set(s, text);
          if (s === 'live') this.#onLive();
        },
        remoteStream: (s) => {
          this.#returnStream = s;
          if (!this.#selfView.active) this.#showRemote(s);
        },
        stats: (m) => {
          hooks.lastStats = m;
          this.#hud.showServer(m);
        },
        styleApplied: (m) => {
          hooks.lastStyleApplied = { ...m };
        },
        stylesChanged: () => {
          void this.#loadStyles();
        },
        error: (e, flash) => {
          recordError(e);
          if (flash) this.#status.flash(e.message);
          if (e.code === 'unknown_style' && e.event === 'start')
            void this.#loadStyles().then((changed) => {
              if (changed) signalling.restart();
            });
        },
        socketRtt: (ms) => {
          hooks.socketRttMs = Math.round(ms * 10) / 10;
        },
      },
    );
    return signalling;
  }

  #createGalleries(): Galleries {
    return new Galleries({
      fgEl: ui.galleryFg,
      bgEl: ui.galleryBg,
      uploadInput: ui.upload,
      onPick: (layer, id) => {
        const next = { ...this.#selected, [layer]: id };
        this.#applyStyle(next.fg, next.bg, this.#transition.value).catch(() => {
          /* shown in the status line */
        });
      },
      onUploadStart: (name) => this.#status.flash(`Uploading “${name}”…`, 60_000),
      onUploaded: (s) => {
        if (!this.#styles.some((x) => x.id === s.id)) this.#setStyles([...this.#styles, s]);
        this.#status.flash(`Added style “${s.name}”`, 3000);
      },
      onUploadError: (e) => {
        recordError({ code: e.code, message: e.message, event: 'upload' });
        this.#status.flash(`Upload failed: ${e.message}`);
      },
    });
  }

  #bindHooks(): void {
    hooks.start = () => {
      if (!this.#running) void this.#start();
    };
    hooks.stop = () => this.#stop();
    hooks.setStyle = (fg, bg, transitionMs) => this.#applyStyle(fg, bg, transitionMs ?? this.#transition.value);
    hooks.setOptions = (o) => this.#applyOptions(o ?? {});
    hooks.room = this.#callRoom.state;
    hooks.joinRoom = async (room, token) => {
      await this.#callRoom.join(room, token);
    };
    hooks.publish = async (room, token, name, alpha) => {
      const r = await this.#signalling.publish({ room, token, ...(name ? { name } : {}), ...(alpha ? { alpha } : {}) });
      if (!r.ok || !r.data) {
        const err = r.error ?? { code: 'internal' as const, message: 'publish failed' };
        recordError({ code: err.code, message: err.message, event: 'publish' });
        throw new Error(err.message);
      }
      // a colour stream: watch it through the SFU (the server's return leg pauses meanwhile)
      if (alpha) this.#selfView.stop();
      else this.#selfView.start(room, token, r.data.name);
      return r.data.name;
    };
  }

  #showRemote(s: MediaStream | null): void {
    if (ui.remote.srcObject === s) return;
    ui.remote.srcObject = s;
    this.#meter.resetSource();
    ui.remoteWrap.classList.toggle('has-video', !!s);
  }

  /** Call rooms: ?room=…&token=… (an invite link) joins once the session is live. */
  #onLive(): void {
    const invite = new URLSearchParams(location.search);
    if (!this.#wasLive && invite.get('room')) {
      ui.roomName.value = invite.get('room') ?? '';
      void this.#callRoom.join(invite.get('room') ?? '', invite.get('token'));
    } else if (this.#wasLive) this.#callRoom.rejoin();
    this.#wasLive = true;
  }

  #remember(): void {
    if (this.#selected.fg)
      writeParams({
        ...this.#selected,
        res: this.#pickers.resolution,
        transitionMs: this.#transition.value,
        ...this.#options,
      });
  }

  #select(sel: { fg: string; bg: string }): void {
    this.#selected = { ...sel };
    hooks.selected = { ...sel };
    this.#galleries.select(sel);
    this.#remember();
  }

  #setStyles(list: StyleInfo[]): void {
    this.#styles = list;
    hooks.styles = list.map((s) => ({ ...s }));
    this.#galleries.render(list);
  }

  /** Fetches the style list (retrying until the server answers); true when the selection had to change. */
  async #loadStyles(): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.#setStyles(await fetchStyles());
        break;
      } catch (e) {
        if (attempt === 0)
          recordError({ code: 'styles', message: e instanceof Error ? e.message : String(e), event: 'styles' });
        if (!this.#selected.fg) this.#status.set('connecting', 'Connecting… (server unreachable, retrying)');
        await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * 2 ** attempt)));
      }
    }
    const want = this.#selected.fg ? this.#selected : { fg: this.#params.fg, bg: this.#params.bg };
    const sel = initialStyles(this.#styles, want);
    const changed = sel.fg !== this.#selected.fg || sel.bg !== this.#selected.bg;
    this.#select(sel);
    if (changed && this.#selected.fg && hooks.sessionId) void this.#signalling.setStyle(sel.fg, sel.bg, 0);
    return changed;
  }

  async #applyStyle(fg: string, bg: string, transitionMs: number): Promise<void> {
    const known = (id: string): boolean => this.#styles.some((s) => s.id === id);
    if (!known(fg) || !known(bg)) {
      const msg = `unknown style "${known(fg) ? bg : fg}"`;
      recordError({ code: 'unknown_style', message: msg, event: 'setStyle' });
      this.#status.flash(`Style not applied: ${msg}`);
      throw new Error(msg);
    }
    const prev = this.#selected;
    this.#select({ fg, bg });
    const r = await this.#signalling.setStyle(fg, bg, transitionMs);
    if (r.ok) return;
    const err = r.error ?? { code: 'internal' as const, message: 'setStyle failed' };
    recordError(err);
    this.#status.flash(`Style not applied: ${err.message}`);
    // keep the choice when the session just is not there (it applies at the next start)
    if (err.code === 'unknown_style' || err.code === 'bad_request') this.#select(prev);
    throw new Error(err.message);
  }

  #showOptions(o: MaskOptions): void {
    this.#options = { ...o };
    hooks.options = { ...o };
    this.#looks.show(o);
    this.#remember();
  }

  /** Mask mode / mask view from the controls or window.__restyle; a live session gets them now, a new one at its start. */
  async #applyOptions(o: Partial<MaskOptions>): Promise<void> {
    const next: MaskOptions = {
      maskMode: o.maskMode ?? this.#options.maskMode,
      showMask: o.showMask ?? this.#options.showMask,
    };
    const invalid = !(MASK_MODES as readonly string[]).includes(next.maskMode)
      ? `unknown mask mode "${String(next.maskMode)}"`
      : typeof next.showMask !== 'boolean'
        ? 'showMask must be true or false'
        : null;
    if (invalid) {
      recordError({ code: 'bad_request', message: invalid, event: 'setOptions' });
      this.#status.flash(`Look not applied: ${invalid}`);
      throw new Error(invalid);
    }
    const prev = this.#options;
    this.#showOptions(next);
    const r = await this.#signalling.setOptions({ ...next, transitionMs: this.#transition.value });
    if (r.ok) return;
    const err = r.error ?? { code: 'internal' as const, message: 'setOptions failed' };
    recordError(err);
    this.#status.flash(`Look not applied: ${err.message}`);
    // keep the choice when the session just is not there (it applies at the next start)
    if (err.code === 'bad_request') this.#showOptions(prev);
    throw new Error(err.message);
  }

  #showRunning(on: boolean): void {
    this.#running = on;
    ui.startStop.textContent = on ? 'Stop' : 'Start';
    ui.startStop.classList.toggle('primary', !on);
  }

  #cameraFailed(e: unknown): void {
    this.#signalling.end();
    this.#showRunning(false);
    ui.local.srcObject = null;
    if (e instanceof CameraError) {
      recordError({ code: 'camera', message: e.message, event: e.kind });
      if (e.kind === 'denied') this.#status.set('camera-denied');
      else if (e.kind === 'not-found') this.#status.set('no-camera');
      else this.#status.set('error', `Camera error: ${e.message}`);
    } else {
      recordError({ code: 'camera', message: String(e) });
      this.#status.set('error', `Could not start the video source: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Opens the camera (or the stamp source) and shows it; false when it failed. */
  async #openMedia(): Promise<boolean> {
    const stamp = this.#params.source === 'stamp';
    this.#status.set('starting', stamp ? 'Starting test pattern…' : undefined);
    try {
      ui.local.srcObject = await this.#media.open(this.#pickers.deviceId, this.#pickers.resolution);
    } catch (e) {
      if (!(e instanceof Superseded)) this.#cameraFailed(e);
      return false;
    }
    if (stamp) {
      const reader = new StampReader(this.#pickers.resolution, (ms) => recordLatency(ms));
      this.#meter.setListener((_now, video) => {
        reader.read(video);
      });
    } else {
      await this.#pickers.refresh(this.#media.track);
    }
    return true;
  }

  async #start(): Promise<void> {
    this.#showRunning(true);
    if (await this.#openMedia()) this.#signalling.begin();
  }

  #stop(): void {
    this.#showRunning(false);
    this.#signalling.end();
    this.#media.close();
    ui.local.srcObject = null;
    this.#meter.setListener(null);
  }

  /** The camera or resolution changed: restart the camera and the session. */
  async #reopenMedia(): Promise<void> {
    this.#remember();
    if (!this.#running) return;
    if (await this.#openMedia()) this.#signalling.begin();
  }

  async #sampleClient(): Promise<void> {
    const w = await this.#webrtc.sample(this.#signalling.peerConnection);
    hooks.webrtcRttMs = w.rttMs;
    hooks.jitterBufferMs = w.jitterBufferMs;
    hooks.decoded =
      w.framesDecoded === null || w.decodedAtMs === null ? null : { frames: w.framesDecoded, atMs: w.decodedAtMs };
    if (!this.#hud.visible) return;
    this.#hud.showClient({
      remoteFps: hooks.remoteFps,
      socketRttMs: hooks.socketRttMs,
      webrtc: w,
      videoWidth: ui.remote.videoWidth,
      videoHeight: ui.remote.videoHeight,
      stampMs: recentMedian(hooks.latencies, 60),
    });
    if (!hooks.sessionId) this.#hud.showServer(null);
  }
}
