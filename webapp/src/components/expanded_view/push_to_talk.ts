// Push-to-talk (hold Space) for the pop-out window.
import {useEffect, useRef} from 'react';

import type {CallControls} from '../call_controls/controls';
import {getCallsClient} from '../../client/current';

/**
 * Push-to-talk in the pop-out: holding Space unmutes, releasing it (or leaving the window) mutes again. Ignored while
 * typing in a field, or while a button outside the call UI has focus (Space would press it).
 */
export function usePushToTalk(controls: CallControls, enabled: boolean): void {
  const held = useRef(false);
  useEffect(() => {
    if (!enabled) {
      return undefined;
    }
    const typing = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (!t || t === document.body) {
        return false;
      }
      if (t.closest?.('#calls-expanded-view') && t.tagName === 'BUTTON') {
        return false;
      }
      return ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(t.tagName) || t.isContentEditable;
    };
    const release = () => {
      if (held.current) {
        held.current = false;
        const c = getCallsClient();
        if (c && !c.isMuted) {
          c.mute().catch(() => undefined);
        }
      }
    };
    const onDown = (e: KeyboardEvent) => {
      if (e.code !== 'Space' || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey || typing(e)) {
        return;
      }
      e.preventDefault();
      if (e.repeat || held.current) {
        return;
      }
      const c = getCallsClient();
      if (c && c.isMuted) {
        held.current = true;
        (document.activeElement as HTMLElement | null)?.blur?.();
        c.unmute().catch(() => undefined);
      }
    };
    const onUp = (e: KeyboardEvent) => {
      if (e.code === 'Space') {
        release();
      }
    };
    window.addEventListener('keydown', onDown);
    window.addEventListener('keyup', onUp);
    window.addEventListener('blur', release);
    return () => {
      window.removeEventListener('keydown', onDown);
      window.removeEventListener('keyup', onUp);
      window.removeEventListener('blur', release);
    };
  }, [enabled, controls]);
}
