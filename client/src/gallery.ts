// The two style galleries ("You (foreground)" and "Background") and the upload control.
// Each gallery is a row of thumbnail buttons in two sections, the photographic looks (colour
// and tone, and the uploads) and the artistic ones (a painting's strokes); the selected one is
// highlighted. Clicking one calls onPick; the owner decides what is selected (select()).
import { STYLE_KINDS, type StyleInfo, type StyleKind } from '../../shared/protocol';
import { ApiError, uploadStyle } from './api';

export type Layer = 'fg' | 'bg';

const KIND_LABEL: Record<StyleKind, { label: string; title: string }> = {
  photo: { label: 'Photographic', title: 'Colours and tones of a photograph, photorealistic' },
  artistic: { label: 'Artistic', title: "A painting's strokes and texture (a network per painting)" },
};

class Gallery {
  private selected = '';
  private readonly buttons = new Map<string, HTMLButtonElement>();
  /** one section per kind of look: its label and its row of buttons */
  private readonly sections = new Map<StyleKind, { el: HTMLElement; items: HTMLElement }>();

  constructor(
    private readonly el: HTMLElement,
    private readonly onPick: (id: string) => void,
  ) {
    el.setAttribute('role', 'radiogroup');
    el.addEventListener('click', (e) => {
      const btn = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-style]');
      if (btn && el.contains(btn)) this.onPick(btn.dataset.style!);
    });
  }

  render(styles: StyleInfo[]): void {
    const keep = new Set(styles.map((s) => s.id));
    for (const [id, b] of this.buttons)
      if (!keep.has(id)) {
        b.remove();
        this.buttons.delete(id);
      }
    for (const kind of STYLE_KINDS) {
      const list = styles.filter((s) => (s.kind ?? 'photo') === kind);
      const sec = this.section(kind);
      sec.el.hidden = list.length === 0;
      list.forEach((s, i) => {
        let b = this.buttons.get(s.id);
        if (!b) {
          b = this.make(s);
          this.buttons.set(s.id, b);
        }
        if (sec.items.children[i] !== b) sec.items.insertBefore(b, sec.items.children[i] ?? null);
      });
    }
    this.select(this.selected);
  }

  /** The section of one kind of look (made once, in STYLE_KINDS order). */
  private section(kind: StyleKind): { el: HTMLElement; items: HTMLElement } {
    let sec = this.sections.get(kind);
    if (!sec) {
      const el = document.createElement('div');
      el.className = 'gallery-section';
      el.dataset.kind = kind;
      const label = document.createElement('span');
      label.className = 'gallery-kind';
      label.textContent = KIND_LABEL[kind].label;
      label.title = KIND_LABEL[kind].title;
      const items = document.createElement('div');
      items.className = 'gallery-items';
      el.append(label, items);
      this.el.append(el);
      sec = { el, items };
      this.sections.set(kind, sec);
    }
    return sec;
  }

  select(id: string): void {
    this.selected = id;
    for (const [sid, b] of this.buttons) {
      const on = sid === id;
      b.classList.toggle('selected', on);
      b.setAttribute('aria-checked', String(on));
    }
    const cur = this.buttons.get(id);
    if (cur && typeof cur.scrollIntoView === 'function') cur.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  private make(s: StyleInfo): HTMLButtonElement {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'thumb';
    b.dataset.style = s.id;
    b.setAttribute('role', 'radio');
    b.title = s.credit ? `${s.name} — ${s.credit}` : s.name;
    const img = document.createElement('img');
    img.src = s.thumbnail;
    img.alt = '';
    img.loading = 'lazy';
    img.decoding = 'async';
    img.draggable = false;
    const name = document.createElement('span');
    name.className = 'thumb-name';
    name.textContent = s.name;
    b.append(img, name);
    if (!s.builtIn) b.classList.add('uploaded');
    if (s.kind === 'artistic') b.classList.add('artistic');
    return b;
  }
}

export interface GalleryOptions {
  fgEl: HTMLElement;
  bgEl: HTMLElement;
  uploadInput: HTMLInputElement;
  onPick: (layer: Layer, id: string) => void;
  onUploaded: (s: StyleInfo) => void;
  onUploadError: (e: ApiError) => void;
  onUploadStart: (fileName: string) => void;
}

export class Galleries {
  private readonly fg: Gallery;
  private readonly bg: Gallery;

  constructor(private readonly o: GalleryOptions) {
    this.fg = new Gallery(o.fgEl, (id) => o.onPick('fg', id));
    this.bg = new Gallery(o.bgEl, (id) => o.onPick('bg', id));
    o.uploadInput.addEventListener('change', () => {
      void this.uploadChosen();
    });
  }

  render(styles: StyleInfo[]): void {
    this.fg.render(styles);
    this.bg.render(styles);
  }

  select(sel: { fg: string; bg: string }): void {
    this.fg.select(sel.fg);
    this.bg.select(sel.bg);
  }

  private async uploadChosen(): Promise<void> {
    const input = this.o.uploadInput;
    const file = input.files?.[0];
    input.value = ''; // choosing the same file again fires change again
    if (!file) return;
    this.o.onUploadStart(file.name);
    input.disabled = true;
    try {
      this.o.onUploaded(await uploadStyle(file));
    } catch (e) {
      this.o.onUploadError(e instanceof ApiError ? e : new ApiError('upload', `upload failed: ${String(e)}`));
    } finally {
      input.disabled = false;
    }
  }
}
