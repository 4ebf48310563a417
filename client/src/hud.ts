// The stats panel (toggle: button or "h"): the server's per-second `stats` (fps in/out,
// drops, size, engine p95, every pipeline stage, tier, r, degradation, the artistic looks'
// internal resolution; the speaker mask's source, mode and segmentation stages) next to what
// this browser measures (returned fps, socket and WebRTC round trips, jitter buffer), and an
// estimated glass-to-glass latency.
import type { StatsMsg } from '../../shared/protocol';
import { bindShortcut } from './shortcut';
import type { WebrtcSample } from './webrtc_stats';

export interface ClientFigures {
  remoteFps: number;
  socketRttMs: number | null;
  webrtc: WebrtcSample;
  videoWidth: number;
  videoHeight: number;
  /** median of the recent stamp latencies (source=stamp), ms */
  stampMs: number | null;
}

const ms = (v: number | null | undefined, digits = 1): string => (v == null ? '—' : `${v.toFixed(digits)} ms`);
const fixed = (v: number | null | undefined, digits = 1): string => (v == null ? '—' : v.toFixed(digits));

/** The speaker-mask stages (shown under "Mask", not under "Stages"), in pipeline order. */
const SEG_STAGES = ['segment', 'smooth', 'enhance'] as const;
const isSegStage = (k: string): boolean => (SEG_STAGES as readonly string[]).includes(k);

/**
 * Mean server time a frame waits for: the engine's frame path plus the frame's wait for the
 * engine (`queue`) and its hand-off to the encoder (`handoff`); the background work (the
 * low-res update, model runs off the path) is not in it.
 */
export function framePathMs(s: StatsMsg | null): number | null {
  if (!s) return null;
  return s.frameMs + (s.stages.queue ?? 0) + (s.stages.handoff ?? 0);
}

export class Hud {
  private readonly cells = new Map<string, HTMLElement>();
  private readonly server: HTMLElement;
  private readonly stages: HTMLElement;
  private readonly mask: HTMLElement;
  private readonly client: HTMLElement;
  private readonly estimate: HTMLElement;
  private stageKeys = '';
  private segKeys = '';
  private last: StatsMsg | null = null;

  constructor(
    private readonly el: HTMLElement,
    private readonly button: HTMLButtonElement,
    visible: boolean,
    private readonly onToggle?: (visible: boolean) => void,
  ) {
    el.replaceChildren();
    this.server = this.section('Server');
    this.stages = this.section('Stages (ms / frame)');
    this.stages.title =
      'Frame path: what each frame waits for on the server (with the segmentation stages under "Mask" that ran on it, ' +
      'queue and hand-off). Background: the asynchronous low-res update (per frame it serves) and model runs off the path; ' +
      'lowres is the last update.';
    this.mask = this.section('Mask');
    this.client = this.section('This browser');
    this.estimate = this.section('Latency');
    button.addEventListener('click', () => this.toggle());
    bindShortcut('h', () => this.toggle());
    this.toggle(visible);
    this.showServer(null);
  }

  get visible(): boolean {
    return !this.el.hidden;
  }

  toggle(force?: boolean): void {
    const show = force ?? this.el.hidden;
    this.el.hidden = !show;
    this.button.setAttribute('aria-pressed', String(show));
    this.onToggle?.(show);
  }

  showServer(s: StatsMsg | null): void {
    this.last = s;
    const box = this.server;
    this.set(box, 'fps', 'fps in / out', s ? `${fixed(s.fpsIn)} / ${fixed(s.fpsOut)}` : '—');
    this.set(box, 'drops', 'drops (total)', s ? `${s.drops} (${s.dropsTotal})` : '—');
    this.set(box, 'size', 'resolution', s && s.width ? `${s.width}×${s.height}` : '—');
    this.set(box, 'p95', 'engine p95', ms(s?.engineP95));
    this.set(box, 'cpu', 'stylizer CPU', s ? `${fixed(s.cpuMsPerS, 0)} ms/s` : '—');
    const back = s && s.bestTier !== s.tier ? ` (back to ${s.bestTier} when calm)` : '';
    this.set(box, 'tier', 'tier · r', s ? `${s.tier} · ${fixed(s.r, 2)}${back}` : '—');
    this.set(box, 'degr', 'degradation', s ? String(s.degradation) : '—');
    // the artistic looks' network runs at a reduced internal size, upsampled guided by the frame
    this.set(box, 'art', 'artistic net', s?.artistic ? `${s.artistic.replace('x', '×')} internal` : '—');
    const stageKeys = s ? Object.keys(s.stages).filter((k) => !isSegStage(k)) : [];
    if (stageKeys.join('|') !== this.stageKeys) {
      this.stageKeys = stageKeys.join('|');
      this.clearRows(this.stages, 'stage');
    }
    if (s) for (const k of stageKeys) this.set(this.stages, `stage:${k}`, k, ms(s.stages[k], 2));
    this.set(this.stages, 'stage-sum', 'frame path', ms(framePathMs(s), 2), true);
    this.set(this.stages, 'stage-bg', 'background / frame', ms(s?.backgroundMs, 2), true);
    this.showMask(s);
  }

  /** Where the speaker mask came from, how it is used, and the segmentation stages when reported. */
  private showMask(s: StatsMsg | null): void {
    const box = this.mask;
    const segKeys = s ? SEG_STAGES.filter((k) => typeof s.stages[k] === 'number') : [];
    if (segKeys.join('|') !== this.segKeys) {
      this.segKeys = segKeys.join('|');
      this.clearRows(box, 'seg');
    }
    this.set(box, 'mask', 'source', s?.mask ?? '—');
    this.set(box, 'mode', 'mode', s?.maskMode ? `${s.maskMode}${s.showMask ? ' · mask view' : ''}` : '—');
    if (!s || !segKeys.length) return;
    for (const k of segKeys) this.set(box, `seg:${k}`, k, ms(s.stages[k], 2));
    this.set(
      box,
      'seg-sum',
      'segmentation',
      ms(
        segKeys.reduce((a, k) => a + s.stages[k], 0),
        2,
      ),
      true,
    );
  }

  showClient(c: ClientFigures): void {
    const box = this.client;
    this.set(box, 'rfps', 'returned fps · decoded', `${fixed(c.remoteFps)} · ${fixed(c.webrtc.decodedFps)}`);
    this.set(box, 'rsize', 'returned size', c.videoWidth ? `${c.videoWidth}×${c.videoHeight}` : '—');
    this.set(box, 'codec', 'codec · dropped', `${c.webrtc.codec ?? '—'} · ${c.webrtc.framesDropped ?? '—'}`);
    this.set(box, 'sock', 'socket RTT', ms(c.socketRttMs));
    const lat = this.estimate;
    const engine = framePathMs(this.last);
    this.set(lat, 'rtt', 'WebRTC RTT', ms(c.webrtc.rttMs));
    this.set(lat, 'eng', 'server frame path', ms(engine));
    this.set(lat, 'jb', 'jitter buffer', ms(c.webrtc.jitterBufferMs));
    const parts = [c.webrtc.rttMs, engine, c.webrtc.jitterBufferMs];
    const est = parts.every((p) => p != null) ? parts.reduce<number>((a, b) => a + (b ?? 0), 0) : null;
    this.set(lat, 'g2g', 'est. glass-to-glass', est == null ? '—' : `≈ ${est.toFixed(0)} ms`, true);
    if (c.stampMs != null) this.set(lat, 'stamp', 'measured (stamp p50)', ms(c.stampMs, 0), true);
    this.estimate.title =
      'Estimate = WebRTC RTT + server frame path + jitter-buffer delay (background work is off the path). ' +
      'Capture, encode, decode and display add more; use ?source=stamp for a measurement.';
  }

  private section(title: string): HTMLElement {
    const sec = document.createElement('section');
    const h = document.createElement('h3');
    h.textContent = title;
    sec.append(h);
    this.el.append(sec);
    return sec;
  }

  /** Removes the rows of `box` whose keys start with `prefix` (their set changed). */
  private clearRows(box: HTMLElement, prefix: string): void {
    for (const [k, cell] of [...this.cells]) {
      if (!k.startsWith(prefix) || !box.contains(cell)) continue;
      cell.parentElement?.remove();
      this.cells.delete(k);
    }
  }

  private set(box: HTMLElement, key: string, label: string, value: string, strong = false): void {
    let cell = this.cells.get(key);
    if (!cell) {
      const row = document.createElement('div');
      row.className = strong ? 'row strong' : 'row';
      const l = document.createElement('span');
      l.className = 'k';
      l.textContent = label;
      cell = document.createElement('span');
      cell.className = 'v';
      row.append(l, cell);
      box.append(row);
      this.cells.set(key, cell);
    }
    if (cell.textContent !== value) cell.textContent = value;
  }
}
