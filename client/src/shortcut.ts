// Single-letter keyboard shortcuts (H: stats, M: mask view). Ignored with a modifier held and
// while typing in a field, so they never steal a keystroke meant for a control.
export function bindShortcut(letter: string, action: () => void): void {
  const lower = letter.toLowerCase();
  document.addEventListener('keydown', (e) => {
    if (e.key.toLowerCase() !== lower) return;
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const t = e.target as HTMLElement | null;
    if (t && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName))) return;
    action();
  });
}
