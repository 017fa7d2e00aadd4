// The expanded view's reactions bar (Ctrl+Shift+X): raise/lower hand, five quick emoji reactions, and the full
// searchable picker behind "More reactions".
import React, {useRef, useState} from 'react';
import {useIntl} from 'react-intl';

import type {CallControls} from '../call_controls/controls';
import {EmojiPicker} from './EmojiPicker';
import {HandButton} from '../call_controls/HandButton';
import {Emoji} from '../common/Emoji';
import {useDismiss} from '../../utils/dismiss';
import {SmileIcon} from '../common/icons';
import {getCallsClient} from '../../client/current';
import type {EmojiData} from '../../types';

export const QUICK_EMOJIS: EmojiData[] = [
  {name: '+1', unified: '1F44D', literal: '👍'},
  {name: 'clap', unified: '1F44F', literal: '👏'},
  {name: 'joy', unified: '1F602', literal: '😂'},
  {name: 'heart', unified: '2764-FE0F', literal: '❤️'},
  {name: 'tada', unified: '1F389', literal: '🎉'},
];

export function EmojiBar({onClose, controls}: {onClose: () => void; controls: CallControls}) {
  const {formatMessage} = useIntl();
  const ref = useRef<HTMLDivElement>(null);
  const [more, setMore] = useState(false);
  useDismiss(ref, onClose, '#calls-popout-emoji-button');
  const send = (e: EmojiData) => {
    getCallsClient()?.react(e);
    onClose();
  };
  return (
    <div
      id="calls-popout-emoji-bar"
      ref={ref}
      role="menu"
      aria-label={formatMessage({id: 'calls.reactions.bar', defaultMessage: 'Reactions'})}
    >
      <HandButton surface="calls-popout" controls={controls} onDone={onClose} />
      {QUICK_EMOJIS.map((e) => (
        <button key={e.name} role="menuitem" aria-label={e.name} onClick={() => send(e)}>
          <Emoji emoji={e} size={22} />
        </button>
      ))}
      <button
        role="menuitem"
        id="calls-popout-emoji-more"
        aria-label={formatMessage({id: 'calls.reactions.more', defaultMessage: 'More reactions'})}
        aria-expanded={more}
        aria-haspopup="dialog"
        onClick={() => setMore((m) => !m)}
      >
        <SmileIcon size={20} />
      </button>
      {more && <EmojiPicker onPick={send} />}
    </div>
  );
}
