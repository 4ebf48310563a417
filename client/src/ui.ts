// The page's elements (index.html), looked up once, and the transition-time slider.
import { TRANSITION_MAX_MS } from './params';

function $<T extends HTMLElement>(selector: string, type: { new (): T }): T {
  const el = document.querySelector(selector);
  if (!(el instanceof type)) throw new Error(`index.html lacks ${selector}`);
  return el;
}

export const ui = {
  status: $('#status', HTMLElement),
  camera: $('#camera', HTMLSelectElement),
  resolution: $('#resolution', HTMLSelectElement),
  startStop: $('#start-stop', HTMLButtonElement),
  hudButton: $('#hud-toggle', HTMLButtonElement),
  remote: $('#remote', HTMLVideoElement),
  remoteWrap: $('#remote-wrap', HTMLElement),
  local: $('#local', HTMLVideoElement),
  hud: $('#hud', HTMLElement),
  hint: $('#hud-hint', HTMLElement),
  galleryFg: $('#gallery-fg', HTMLElement),
  galleryBg: $('#gallery-bg', HTMLElement),
  upload: $('#upload', HTMLInputElement),
  transition: $('#transition', HTMLInputElement),
  transitionValue: $('#transition-value', HTMLOutputElement),
  maskMode: $('#mask-mode', HTMLSelectElement),
  maskToggle: $('#mask-toggle', HTMLButtonElement),
  roomName: $('#room-name', HTMLInputElement),
  roomJoin: $('#room-join', HTMLButtonElement),
  roomObs: $('#room-obs', HTMLButtonElement),
  roomInvite: $('#room-invite', HTMLButtonElement),
  roomGrid: $('#room-grid', HTMLElement),
};

/** The transition slider (0–3000 ms, step 100). `value` keeps an exact ?transition= until moved. */
export function bindTransition(initialMs: number, onChange: () => void): { readonly value: number } {
  let value = initialMs;
  const el = ui.transition;
  el.min = '0';
  el.max = String(TRANSITION_MAX_MS);
  el.step = '100';
  el.value = String(initialMs);
  const show = (): void => {
    ui.transitionValue.textContent = `${value} ms`;
  };
  el.addEventListener('input', () => {
    value = Number(el.value);
    show();
  });
  el.addEventListener('change', () => onChange());
  show();
  return {
    get value() {
      return value;
    },
  };
}
