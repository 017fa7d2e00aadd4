// The channel header menu: the items plugins add with registerChannelHeaderMenuAction (e.g. "Enable calls"). Closes
// on a choice, Escape or a click outside.
import React, {useCallback, useRef, useState} from 'react';

import {useRegistry} from '../registry';
import type {ChannelInfo} from '../../types';
import {useDismiss} from '../../utils/dismiss';

export function ChannelMenu({channel}: {channel: ChannelInfo}) {
  const reg = useRegistry();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(ref, close, undefined, open);
  if (!reg.channelHeaderMenu.length) {
    return null;
  }
  return (
    <div className="sa-channel-menu" ref={ref}>
      <button
        type="button"
        id="channelHeaderDropdownButton"
        aria-label="Channel menu"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls="channelHeaderDropdownMenu"
        onClick={() => setOpen((v) => !v)}
      >
        {'⌄'}
      </button>
      {open && (
        <ul id="channelHeaderDropdownMenu" role="menu" aria-label="Channel menu">
          {reg.channelHeaderMenu.map((item) => (
            <li key={item.id} role="none">
              <button
                type="button"
                role="menuitem"
                onClick={() => {
                  setOpen(false);
                  item.action(channel.id);
                }}
              >
                {item.text}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
