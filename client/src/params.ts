// URL parameters (tests, benchmarks, bookmarks): fg, bg, res, transition, mode, mask,
// autostart, echo, hud, source. The page writes its current styles, resolution, transition
// and mask options back into the URL so a bookmark reopens the same look.
import { LIMITS, MASK_MODES, RESOLUTIONS, type MaskMode, type Resolution, type StyleInfo } from '../../shared/protocol';

export const TRANSITION_MAX_MS = 3000;
export const TRANSITION_DEFAULT_MS = 600;
const DEFAULT_FG = 'evening-glow';
const DEFAULT_BG = 'darkest-hour';

export interface PageParams {
  fg: string | null;
  bg: string | null;
  res: Resolution;
  transitionMs: number;
  /** how the speaker mask is used (?mode=, one of MASK_MODES; default styled) */
  maskMode: MaskMode;
  /** the mask debug view (?mask=on|off; default off) */
  showMask: boolean;
  autostart: boolean;
  echo: boolean;
  hud: boolean;
  source: 'camera' | 'stamp';
}

const isOn = (v: string | null, dflt: boolean): boolean =>
  v === null ? dflt : !['0', 'false', 'no', 'off'].includes(v.toLowerCase());

export function readParams(search: string = location.search): PageParams {
  const q = new URLSearchParams(search);
  const res = q.get('res');
  const t = Number(q.get('transition'));
  const mode = q.get('mode');
  return {
    fg: q.get('fg'),
    bg: q.get('bg'),
    res: (RESOLUTIONS as readonly string[]).includes(res ?? '') ? (res as Resolution) : '720p',
    transitionMs:
      q.has('transition') && Number.isFinite(t)
        ? Math.min(LIMITS.transitionMsMax, Math.max(0, Math.round(t)))
        : TRANSITION_DEFAULT_MS,
    maskMode: (MASK_MODES as readonly string[]).includes(mode ?? '') ? (mode as MaskMode) : 'styled',
    showMask: isOn(q.get('mask'), false),
    autostart: isOn(q.get('autostart'), true),
    echo: isOn(q.get('echo'), false),
    hud: isOn(q.get('hud'), false),
    source: q.get('source') === 'stamp' ? 'stamp' : 'camera',
  };
}

/** The styles to start with: the requested ones when they exist, else the defaults, else the first two. */
export function initialStyles(styles: StyleInfo[], p: Pick<PageParams, 'fg' | 'bg'>): { fg: string; bg: string } {
  const has = (id: string | null): id is string => !!id && styles.some((s) => s.id === id);
  const first = styles[0]?.id ?? DEFAULT_FG;
  const second = styles[1]?.id ?? first;
  return {
    fg: has(p.fg) ? p.fg : has(DEFAULT_FG) ? DEFAULT_FG : first,
    bg: has(p.bg) ? p.bg : has(DEFAULT_BG) ? DEFAULT_BG : second,
  };
}

/** Rewrites fg/bg/res/transition/mode/mask in the address bar without reloading. */
export function writeParams(v: {
  fg: string;
  bg: string;
  res: Resolution;
  transitionMs: number;
  maskMode: MaskMode;
  showMask: boolean;
}): void {
  const url = new URL(location.href);
  url.searchParams.set('fg', v.fg);
  url.searchParams.set('bg', v.bg);
  url.searchParams.set('res', v.res);
  url.searchParams.set('transition', String(v.transitionMs));
  url.searchParams.set('mode', v.maskMode);
  url.searchParams.set('mask', v.showMask ? 'on' : 'off');
  if (url.href !== location.href) history.replaceState(history.state, '', url);
}
