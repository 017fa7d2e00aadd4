// A menu item that closes its menu, then does what it says (the "More options" and leave menus).
import React, {type ReactNode} from 'react';

export function ActionItem({
  id,
  className,
  onClose,
  act,
  children,
}: {
  id?: string;
  className?: string;
  onClose: () => void;
  act: () => void;
  children: ReactNode;
}) {
  return (
    <button
      role="menuitem"
      id={id}
      className={className}
      onClick={() => {
        onClose();
        act();
      }}
    >
      {children}
    </button>
  );
}
