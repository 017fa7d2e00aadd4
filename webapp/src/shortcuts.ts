// Keyboard shortcuts (reference webapp.md §2.16): Ctrl (Cmd on macOS) combinations matched on event.key with a
// fallback to event.code so non-US layouts work.

export type ShortcutAction = 'join' | 'mute' | 'hand' | 'reactions' | 'screen' | 'participants' | 'leave' | 'recording';

const isMac = () => typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || '');

interface Combo {
  ctrl?: boolean;
  alt?: boolean;
  shift?: boolean;
  key: string;
  code: string;
}

const combos: Record<ShortcutAction, Combo[]> = {
  join: [{ctrl: true, alt: true, key: 's', code: 'KeyS'}],
  mute: [{ctrl: true, shift: true, key: ' ', code: 'Space'}],
  hand: [{ctrl: true, shift: true, key: 'y', code: 'KeyY'}],
  reactions: [{ctrl: true, shift: true, key: 'x', code: 'KeyX'}],
  screen: [{ctrl: true, shift: true, key: 'e', code: 'KeyE'}],
  participants: [
    {alt: true, key: 'p', code: 'KeyP'},
    {ctrl: true, shift: true, key: 'p', code: 'KeyP'},
  ],
  leave: [{ctrl: true, shift: true, key: 'l', code: 'KeyL'}],
  recording: [{ctrl: true, alt: true, key: 'r', code: 'KeyR'}],
};

function matches(e: KeyboardEvent, c: Combo): boolean {
  const ctrl = isMac() ? e.metaKey : e.ctrlKey;
  if (Boolean(c.ctrl) !== ctrl || Boolean(c.alt) !== e.altKey || Boolean(c.shift) !== e.shiftKey) {
    return false;
  }
  return e.key.toLowerCase() === c.key || e.code === c.code;
}

export function shortcutFor(e: KeyboardEvent): ShortcutAction | null {
  for (const [name, list] of Object.entries(combos) as Array<[ShortcutAction, Combo[]]>) {
    if (list.some((c) => matches(e, c))) {
      return name;
    }
  }
  return null;
}

/** The keys of a shortcut, each as a tooltip shows it on a key chip: ["Ctrl", "Shift", "Space"]. */
export function shortcutKeys(name: ShortcutAction): string[] {
  const c = combos[name][0];
  const parts: string[] = [];
  if (c.ctrl) {
    parts.push(isMac() ? '⌘' : 'Ctrl');
  }
  if (c.alt) {
    parts.push(isMac() ? '⌥' : 'Alt');
  }
  if (c.shift) {
    parts.push('Shift');
  }
  parts.push(c.key === ' ' ? 'Space' : c.key.toUpperCase());
  return parts;
}

/** A shortcut as text, e.g. "Ctrl + Shift + Space". */
export function shortcutLabel(name: ShortcutAction): string {
  return shortcutKeys(name).join(' + ');
}

/** Typing in a field (input, textarea, select, contenteditable) outside the call UI: the pop-out leaves keys alone. */
export function isTypingOutside(target: EventTarget | null, callRoot: string): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) {
    return false;
  }
  const field = ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || el.isContentEditable === true;
  return field && !el.closest?.(callRoot);
}
