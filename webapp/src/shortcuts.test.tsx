// Keyboard shortcuts (reference webapp.md §2.16): matching by key with the code fallback for other layouts, Cmd on
// macOS, the labels shown in tooltips, and the pop-out leaving keys typed in its chat alone.
import {fireEvent, renderHook} from '@testing-library/react';

import {useCallShortcuts} from './components/call_controls/controls';
import {isTypingOutside, shortcutFor, shortcutLabel} from './shortcuts';
import {fakeControls as controls} from './testing/controls';

const key = (init: KeyboardEventInit) => new KeyboardEvent('keydown', init);

describe('shortcuts', () => {
  test('the table of §2.16', () => {
    expect(shortcutFor(key({key: 's', code: 'KeyS', ctrlKey: true, altKey: true}))).toBe('join');
    expect(shortcutFor(key({key: ' ', code: 'Space', ctrlKey: true, shiftKey: true}))).toBe('mute');
    expect(shortcutFor(key({key: 'Y', code: 'KeyY', ctrlKey: true, shiftKey: true}))).toBe('hand');
    expect(shortcutFor(key({key: 'X', code: 'KeyX', ctrlKey: true, shiftKey: true}))).toBe('reactions');
    expect(shortcutFor(key({key: 'E', code: 'KeyE', ctrlKey: true, shiftKey: true}))).toBe('screen');
    expect(shortcutFor(key({key: 'p', code: 'KeyP', altKey: true}))).toBe('participants');
    expect(shortcutFor(key({key: 'P', code: 'KeyP', ctrlKey: true, shiftKey: true}))).toBe('participants');
    expect(shortcutFor(key({key: 'L', code: 'KeyL', ctrlKey: true, shiftKey: true}))).toBe('leave');
    expect(shortcutFor(key({key: 'r', code: 'KeyR', ctrlKey: true, altKey: true}))).toBe('recording');
    // Modifiers must match exactly.
    expect(shortcutFor(key({key: 'l', code: 'KeyL', ctrlKey: true}))).toBeNull();
    expect(shortcutFor(key({key: ' ', code: 'Space'}))).toBeNull();
  });

  test('other keyboard layouts match by the physical key', () => {
    expect(shortcutFor(key({key: 'ы', code: 'KeyS', ctrlKey: true, altKey: true}))).toBe('join');
    expect(shortcutFor(key({key: 'д', code: 'KeyL', ctrlKey: true, shiftKey: true}))).toBe('leave');
  });

  test('Cmd instead of Ctrl on macOS, in matching and in tooltips', () => {
    expect(shortcutLabel('mute')).toBe('Ctrl + Shift + Space');
    const platform = jest.spyOn(navigator, 'platform', 'get').mockReturnValue('MacIntel');
    expect(shortcutFor(key({key: ' ', code: 'Space', metaKey: true, shiftKey: true}))).toBe('mute');
    expect(shortcutFor(key({key: ' ', code: 'Space', ctrlKey: true, shiftKey: true}))).toBeNull();
    expect(shortcutLabel('join')).toBe('⌘ + ⌥ + S');
    platform.mockRestore();
  });

  test('typing in a field outside the call UI is not a shortcut in the pop-out', () => {
    document.body.innerHTML =
      '<div id="calls-expanded-view"><input id="inside"></div><textarea id="reply_textbox"></textarea><button id="b"></button>';
    expect(isTypingOutside(document.getElementById('reply_textbox'), '#calls-expanded-view')).toBe(true);
    expect(isTypingOutside(document.getElementById('inside'), '#calls-expanded-view')).toBe(false);
    expect(isTypingOutside(document.getElementById('b'), '#calls-expanded-view')).toBe(false);

    const c = controls();
    const toggleParticipants = jest.fn();
    const {unmount} = renderHook(() => useCallShortcuts(c, {toggleParticipants, openLeave: jest.fn(), popout: true}));
    fireEvent.keyDown(document.getElementById('reply_textbox')!, {
      key: ' ',
      code: 'Space',
      ctrlKey: true,
      shiftKey: true,
    });
    expect(c.toggleMute).not.toHaveBeenCalled();
    const ev = new KeyboardEvent('keydown', {
      key: ' ',
      code: 'Space',
      ctrlKey: true,
      shiftKey: true,
      bubbles: true,
      cancelable: true,
    });
    document.body.dispatchEvent(ev);
    expect(c.toggleMute).toHaveBeenCalledTimes(1);
    expect(ev.defaultPrevented).toBe(true);
    fireEvent.keyDown(document.body, {key: 'p', code: 'KeyP', altKey: true});
    expect(toggleParticipants).toHaveBeenCalledTimes(1);
    unmount();
    fireEvent.keyDown(document.body, {key: ' ', code: 'Space', ctrlKey: true, shiftKey: true});
    expect(c.toggleMute).toHaveBeenCalledTimes(1);
  });

  test('the leave shortcut opens the menu for a host with others, and leaves otherwise', () => {
    const host = controls({leaveNeedsMenu: true});
    const openLeave = jest.fn();
    renderHook(() => useCallShortcuts(host, {toggleParticipants: jest.fn(), openLeave}));
    fireEvent.keyDown(document.body, {key: 'L', code: 'KeyL', ctrlKey: true, shiftKey: true});
    expect(openLeave).toHaveBeenCalled();
    expect(host.leave).not.toHaveBeenCalled();
  });
});
