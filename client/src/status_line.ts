// The one status line: always shows the single most relevant state. A state persists until
// the next one; a flash (an upload or style error) overrides it for a few seconds, then the
// state shows again. The machine-readable state goes to window.__restyle.status.
import { hooks, type PageState } from './test_hooks';

const DEFAULT_TEXT: Record<PageState, string> = {
  starting: 'Starting camera…',
  'camera-denied': 'Camera permission denied — allow the camera and reload',
  'no-camera': 'No camera found',
  connecting: 'Connecting…',
  live: 'Live',
  'server-full': 'Server busy: all stylizer slots are in use — retrying shortly',
  reconnecting: 'Reconnecting…',
  stopped: 'Stopped — press Start to go live',
  error: 'Something went wrong',
};

/** Visual tone per state (drives the dot colour). */
const TONE: Record<PageState, 'ok' | 'busy' | 'bad' | 'idle'> = {
  starting: 'busy',
  connecting: 'busy',
  reconnecting: 'busy',
  'server-full': 'busy',
  live: 'ok',
  stopped: 'idle',
  'camera-denied': 'bad',
  'no-camera': 'bad',
  error: 'bad',
};

export class StatusLine {
  private state: PageState = 'starting';
  private text = DEFAULT_TEXT.starting;
  private flashText: string | null = null;
  private flashTimer: number | undefined;

  constructor(private readonly el: HTMLElement) {
    this.render();
  }

  get current(): PageState {
    return this.state;
  }

  /** Sets the state; `text` overrides its default wording. */
  set(state: PageState, text?: string): void {
    const t = text ?? DEFAULT_TEXT[state];
    if (state === this.state && t === this.text) return;
    this.state = state;
    this.text = t;
    hooks.status = state;
    this.render();
  }

  /** Shows a transient message (errors) for `ms`, then the state again. */
  flash(text: string, ms = 5000): void {
    this.flashText = text;
    window.clearTimeout(this.flashTimer);
    this.flashTimer = window.setTimeout(() => {
      this.flashText = null;
      this.render();
    }, ms);
    this.render();
  }

  private render(): void {
    const flashing = this.flashText !== null;
    this.el.textContent = flashing ? this.flashText : this.text;
    this.el.dataset.state = this.state;
    this.el.dataset.tone = flashing ? 'bad' : TONE[this.state];
    this.el.classList.toggle('flash', flashing);
  }
}
