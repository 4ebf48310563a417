// The looks bar's mask controls: the "Look" select (how the speaker mask is used) and the
// "Show mask" toggle (button or "m": the server tints the background as the mask sees it).
// They show the options they are given (show()); a change goes to onChange, and the owner
// decides what is current.
import { MASK_MODES, type MaskMode, type MaskOptions } from '../../shared/protocol';
import { bindShortcut } from './shortcut';

const MODE_LABELS: Record<MaskMode, string> = {
  styled: 'Both looks',
  'background-only': 'Background only (you stay natural)',
  'speaker-only': 'You only (background natural)',
  'blur-background': 'Blur background',
};

const MODE_TITLES: Record<MaskMode, string> = {
  styled: 'Your look on you, the background look on the background',
  'background-only': 'Only the background is restyled; you keep your natural colours',
  'speaker-only': 'Only you are restyled; the background keeps its natural colours',
  'blur-background': 'Both looks, and the background is blurred',
};

export class LookControls {
  private shown: MaskOptions;

  constructor(
    private readonly select: HTMLSelectElement,
    private readonly button: HTMLButtonElement,
    initial: MaskOptions,
    private readonly onChange: (o: Partial<MaskOptions>) => void,
  ) {
    select.replaceChildren(
      ...MASK_MODES.map((m) => {
        const opt = new Option(MODE_LABELS[m], m);
        opt.title = MODE_TITLES[m];
        return opt;
      }),
    );
    select.addEventListener('change', () => this.onChange({ maskMode: select.value as MaskMode }));
    button.addEventListener('click', () => this.toggleMask());
    bindShortcut('m', () => this.toggleMask());
    this.shown = { ...initial };
    this.show(initial);
  }

  show(o: MaskOptions): void {
    this.shown = { ...o };
    if (this.select.value !== o.maskMode) this.select.value = o.maskMode;
    this.select.title = MODE_TITLES[o.maskMode];
    this.button.setAttribute('aria-pressed', String(o.showMask));
  }

  private toggleMask(): void {
    this.onChange({ showMask: !this.shown.showMask });
  }
}
