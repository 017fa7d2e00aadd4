// Closing a dialog or popup: Escape anywhere on the page, or a press outside it or on the backdrop around it. Shared
// by the plugin's menus and modals and the standalone page's, which bundles none of the plugin's hooks.
import React, {type RefObject, useEffect} from 'react';

/** Calls `onEscape` when Escape is pressed anywhere on the page (while `active`). */
export function useEscapeKey(onEscape: () => void, active = true): void {
  useEffect(() => {
    if (!active) {
      return undefined;
    }
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        onEscape();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onEscape, active]);
}

/**
 * Closes a popup on Escape and on a mouse press outside it (and outside the button that toggles it, when that is not
 * inside), while `active`.
 */
export function useDismiss(
  ref: RefObject<HTMLElement | null>,
  onClose: () => void,
  toggleSelector?: string,
  active = true,
): void {
  useEscapeKey(onClose, active);
  useEffect(() => {
    if (!active) {
      return undefined;
    }
    const onClick = (e: MouseEvent) => {
      if (
        ref.current &&
        !ref.current.contains(e.target as Node) &&
        !(toggleSelector && (e.target as HTMLElement).closest?.(toggleSelector))
      ) {
        onClose();
      }
    };
    document.addEventListener('mousedown', onClick);
    return () => document.removeEventListener('mousedown', onClick);
  }, [ref, onClose, toggleSelector, active]);
}

/** The backdrop of a modal dialog: a press on it (not on the dialog) closes the dialog. */
export function Backdrop({
  className,
  onClose,
  children,
}: {
  className: string;
  onClose: () => void;
  children: React.ReactNode;
}) {
  return (
    <div
      className={className}
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) {
          onClose();
        }
      }}
    >
      {children}
    </div>
  );
}
