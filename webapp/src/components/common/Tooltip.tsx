// Styled tooltips, as upstream: the label, a second line when there is one, and a shortcut's keys as key chips.
// Shown on hover and on keyboard focus, in a portal on the element's own document (the pop-out is another window), fixed
// above the element (below it when there is no room) and kept inside the viewport. The element keeps its aria-label.
import React, {useCallback, useEffect, useId, useLayoutEffect, useRef, useState} from 'react';
import {createPortal} from 'react-dom';

import {shortcutKeys, type ShortcutAction} from '../../shortcuts';

type Anchor = {el: HTMLElement; rect: DOMRect};
type Handlers = {
  onMouseEnter?: React.MouseEventHandler;
  onMouseLeave?: React.MouseEventHandler;
  onFocus?: React.FocusEventHandler;
  onBlur?: React.FocusEventHandler;
  'aria-describedby'?: string;
};

function focusVisible(el: HTMLElement): boolean {
  try {
    return el.matches(':focus-visible');
  } catch {
    return true; // an engine without :focus-visible (jsdom): treat focus as keyboard focus
  }
}

const GAP = 8;
const MARGIN = 4;

export function Tooltip({
  text,
  hint,
  shortcut,
  children,
}: {
  text: string;
  /** A second, quieter line (e.g. "Or hold space bar"). */
  hint?: string;
  shortcut?: ShortcutAction;
  children: React.ReactElement<Handlers>;
}) {
  const id = `calls-tooltip-${useId().replace(/:/g, '')}`;
  const [anchor, setAnchor] = useState<Anchor | null>(null);
  const [pos, setPos] = useState<{left: number; top: number} | null>(null);
  const tipRef = useRef<HTMLDivElement>(null);
  const show = useCallback((el: HTMLElement) => setAnchor({el, rect: el.getBoundingClientRect()}), []);
  const hide = useCallback(() => {
    setAnchor(null);
    setPos(null);
  }, []);

  useLayoutEffect(() => {
    const tip = tipRef.current;
    if (!anchor || !tip) {
      return;
    }
    const win = anchor.el.ownerDocument.defaultView || window;
    const {rect} = anchor;
    const w = tip.offsetWidth;
    const h = tip.offsetHeight;
    const above = rect.top - GAP - h >= MARGIN;
    const left = Math.min(Math.max(MARGIN, rect.left + rect.width / 2 - w / 2), win.innerWidth - w - MARGIN);
    setPos({left, top: above ? rect.top - GAP - h : rect.bottom + GAP});
  }, [anchor]);

  useEffect(() => {
    if (!anchor) {
      return undefined;
    }
    const doc = anchor.el.ownerDocument;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && hide();
    // Escape, a click or a scroll ends it: the tooltip must never linger over what a click opened.
    doc.addEventListener('keydown', onKey);
    doc.addEventListener('scroll', hide, true);
    doc.addEventListener('mousedown', hide, true);
    return () => {
      doc.removeEventListener('keydown', onKey);
      doc.removeEventListener('scroll', hide, true);
      doc.removeEventListener('mousedown', hide, true);
    };
  }, [anchor, hide]);

  const p = children.props;
  const child = React.cloneElement(children, {
    onMouseEnter: (e: React.MouseEvent) => {
      p.onMouseEnter?.(e);
      show(e.currentTarget as HTMLElement);
    },
    onMouseLeave: (e: React.MouseEvent) => {
      p.onMouseLeave?.(e);
      hide();
    },
    onFocus: (e: React.FocusEvent) => {
      p.onFocus?.(e);
      // Only keyboard focus: a click focuses too, and would leave the tooltip over whatever the click opened.
      if (focusVisible(e.currentTarget as HTMLElement)) {
        show(e.currentTarget as HTMLElement);
      }
    },
    onBlur: (e: React.FocusEvent) => {
      p.onBlur?.(e);
      hide();
    },
    'aria-describedby': anchor ? id : p['aria-describedby'],
  });
  const keys = shortcut ? shortcutKeys(shortcut) : [];
  return (
    <>
      {child}
      {anchor &&
        createPortal(
          <div
            ref={tipRef}
            id={id}
            role="tooltip"
            className="calls-tooltip"
            style={{left: pos?.left ?? 0, top: pos?.top ?? 0, visibility: pos ? 'visible' : 'hidden'}}
          >
            <span className="calls-tooltip-text">{text}</span>
            {keys.length > 0 && (
              <span className="calls-tooltip-keys">
                {keys.map((k) => (
                  <kbd key={k}>{k}</kbd>
                ))}
              </span>
            )}
            {hint && <span className="calls-tooltip-hint">{hint}</span>}
          </div>,
          anchor.el.ownerDocument.body,
        )}
    </>
  );
}

/** A button named by its label, which is also its tooltip (with the shortcut's keys when it has one). */
export function TooltipButton({
  label,
  shortcut,
  ...button
}: {label: string; shortcut?: ShortcutAction} & React.ButtonHTMLAttributes<HTMLButtonElement>) {
  return (
    <Tooltip text={label} shortcut={shortcut}>
      <button {...button} aria-label={label} />
    </Tooltip>
  );
}
