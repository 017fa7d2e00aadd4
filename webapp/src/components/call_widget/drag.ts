// Dragging the widget by its header, kept inside the window (a press on a button is a click, not a drag).
import {type MouseEvent as ReactMouseEvent, useCallback, useRef, useState} from 'react';

export function useClampedDrag() {
  const [pos, setPos] = useState<{left: number; bottom: number}>({left: 12, bottom: 12});
  const drag = useRef<{x: number; y: number; left: number; bottom: number} | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  const onMouseDown = useCallback(
    (e: ReactMouseEvent) => {
      if ((e.target as HTMLElement).closest('button')) {
        return;
      }
      drag.current = {x: e.clientX, y: e.clientY, left: pos.left, bottom: pos.bottom};
      const move = (ev: MouseEvent) => {
        if (!drag.current || !ref.current) {
          return;
        }
        const w = ref.current.offsetWidth;
        const h = ref.current.offsetHeight;
        const left = Math.min(Math.max(0, drag.current.left + (ev.clientX - drag.current.x)), window.innerWidth - w);
        const bottom = Math.min(
          Math.max(0, drag.current.bottom - (ev.clientY - drag.current.y)),
          window.innerHeight - h,
        );
        setPos({left, bottom});
      };
      const up = () => {
        drag.current = null;
        document.removeEventListener('mousemove', move);
        document.removeEventListener('mouseup', up);
      };
      document.addEventListener('mousemove', move);
      document.addEventListener('mouseup', up);
    },
    [pos],
  );
  return {pos, ref, onMouseDown};
}
