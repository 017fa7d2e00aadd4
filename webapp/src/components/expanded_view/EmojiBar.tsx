// The expanded view's reactions bar (Ctrl+Shift+X): raise/lower hand and five quick emoji reactions.
import React, {useRef} from 'react';
import {useIntl} from 'react-intl';

import type {CallControls} from '../call_controls/controls';
import {HandButton} from '../call_controls/HandButton';
import {useDismiss} from '../common/hooks';
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
  useDismiss(ref, onClose, '#calls-popout-emoji-button');
  return (
    <div
      id="calls-popout-emoji-bar"
      ref={ref}
      role="menu"
      aria-label={formatMessage({id: 'calls.reactions.bar', defaultMessage: 'Reactions'})}
    >
      <HandButton surface="calls-popout" controls={controls} onDone={onClose} />
      {QUICK_EMOJIS.map((e) => (
        <button
          key={e.name}
          role="menuitem"
          aria-label={e.name}
          onClick={() => {
            getCallsClient()?.react(e);
            onClose();
          }}
        >
          {e.literal}
        </button>
      ))}
    </div>
  );
}
